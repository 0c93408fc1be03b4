import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import { AppError } from '../errors.js';

/** What usage rows are summed by. */
export type UsageGroupBy = 'org' | 'team' | 'key' | 'model' | 'day';

/** Usage summed over one group. */
export interface UsageRow {
  /** The organization, team or key id, the model, or the day (`YYYY-MM-DD`); null for "no team". */
  readonly group: string | null;
  /** A name for people: the team's or key's name, when it still exists. */
  readonly label: string | null;
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly costMicros: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Longest range one query may sum (charts ask for a year at most). */
const MAX_DAYS = 400;

const GROUP_SQL: Readonly<Record<UsageGroupBy, { key: string; label: string; join: string }>> = {
  org: { key: 'r.organization_id::text', label: 'null::text', join: '' },
  team: { key: 'r.team_id::text', label: 'max(t.name)', join: 'left join teams t on t.id = r.team_id and t.organization_id = r.organization_id' },
  key: { key: 'r.key_id::text', label: 'max(k.name)', join: 'left join keys k on k.id = r.key_id and k.organization_id = r.organization_id' },
  model: { key: 'r.model', label: 'null::text', join: '' },
  day: { key: "to_char(r.day, 'YYYY-MM-DD')", label: 'null::text', join: '' },
};

/** Checks a `from`–`to` range of local days (both inclusive) and returns the exclusive end. */
function checkDayRange(from: string, to: string): { fromDay: string; toDay: string } {
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
      throw new AppError('BAD_USER_INPUT', `${name} must be a calendar day written YYYY-MM-DD.`, { fields: { [name]: ['must be YYYY-MM-DD'] } });
    }
  }
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (end < start) throw new AppError('BAD_USER_INPUT', 'to must not be before from.');
  if ((end - start) / 86_400_000 + 1 > MAX_DAYS) throw new AppError('BAD_USER_INPUT', `A usage query covers at most ${MAX_DAYS} days.`);
  return { fromDay: from, toDay: new Date(end + 86_400_000).toISOString().slice(0, 10) };
}

/** Limits usage to one key's or one team's. */
export interface UsageScope {
  readonly keyId?: string | null;
  readonly teamId?: string | null;
}

/**
 * Sums the organization's usage over local days `from` to `to` (inclusive, in its time zone),
 * grouped as asked, biggest cost first (days in order when grouped by day), optionally of one
 * key or one team only.
 */
export async function usageRollups(
  em: EntityManager,
  orgId: string,
  groupBy: UsageGroupBy,
  from: string,
  to: string,
  scope: UsageScope = {},
): Promise<UsageRow[]> {
  const { fromDay, toDay } = checkDayRange(from, to);
  const group = GROUP_SQL[groupBy];
  const filters = [scope.keyId ? 'and r.key_id = ?' : '', scope.teamId ? 'and r.team_id = ?' : ''].join(' ');
  const rows = await sqlRows<{ grp: string | null; label: string | null; requests: string; input: string; output: string; cached: string; cost: string }>(
    em,
    `select ${group.key} as grp, ${group.label} as label, sum(r.requests) as requests, sum(r.input_tokens) as input,
            sum(r.output_tokens) as output, sum(r.cached_input_tokens) as cached, sum(r.cost_micros) as cost
       from spend_rollups r ${group.join}
      where r.organization_id = ? and r.day >= ? and r.day < ? ${filters}
      group by 1
      order by ${groupBy === 'day' ? '1 asc' : '7 desc, 1 asc'}`,
    [orgId, fromDay, toDay, ...[scope.keyId, scope.teamId].filter(Boolean)],
  );
  return rows.map((row) => ({
    group: row.grp === '' && groupBy === 'model' ? '' : row.grp,
    label: row.label,
    requests: Number(row.requests),
    inputTokens: Number(row.input),
    outputTokens: Number(row.output),
    cachedInputTokens: Number(row.cached),
    costMicros: Number(row.cost),
  }));
}
