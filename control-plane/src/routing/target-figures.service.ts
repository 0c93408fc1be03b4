import { ATTEMPT_OUTCOMES, type AttemptOutcome } from '@keyward/shared';
import { sqlRows } from '../config-publish/sql.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { assertUuid } from '../keys/validators.js';
import type { FigureWindow, NodeCircuitType, TargetFiguresType } from './target-figures.type.js';

const WINDOW_MS: Record<FigureWindow, number> = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 };
const FAILURES = ATTEMPT_OUTCOMES.filter((o) => o !== 'answered');

interface FigureRow {
  credential_id: string;
  model: string;
  requests: number;
  p50: string | null;
  p95: string | null;
  ttft_p50: string | null;
  cost: string;
  [failure: `f${number}`]: number;
}

const nullableNumber = (v: string | null) => (v === null ? null : Number(v));

/** How recent a node's heartbeat must be for its circuits to count (a few heartbeat intervals). */
const CIRCUIT_REPORT_MAX_AGE = '2 minutes';

/**
 * The circuits that are not closed, by target (`<credential id>/<model>`), on the nodes that
 * serve the organization (its own and global ones) and were heard from recently. Targets name
 * credentials, so a global node's report of another organization's targets matches none here.
 */
async function reportedCircuits(ctx: GraphQLContext, orgId: string): Promise<Map<string, NodeCircuitType[]>> {
  const rows = await sqlRows<{ node_id: string; target: string; state: string; open_until: string | null }>(
    ctx.em,
    `select n.node_id, c->>'target' as target, c->>'state' as state, c->>'openUntil' as open_until
       from nodes n cross join lateral jsonb_array_elements(n.open_circuits) c
      where (n.organization_id = ? or n.organization_id is null) and n.last_seen_at > now() - interval '${CIRCUIT_REPORT_MAX_AGE}'
      order by n.node_id`,
    [orgId],
  );
  const byTarget = new Map<string, NodeCircuitType[]>();
  for (const row of rows) {
    const list = byTarget.get(row.target) ?? [];
    list.push({ nodeId: row.node_id, state: row.state, openUntil: row.open_until === null ? null : new Date(row.open_until) });
    byTarget.set(row.target, list);
  }
  return byTarget;
}

/**
 * Per target (credential and model) over a recent window: attempts, failures by outcome,
 * latency p50/p95 to the status line, time to first token and cost of the answered ones — one
 * statement over the events' `attempts`, bounded by the organization and start time, so the
 * `(organization_id, started_at)` index picks the rows before their attempts are unnested.
 * The cost of a request belongs to the attempt that answered it.
 */
export async function targetFigures(ctx: GraphQLContext, window: FigureWindow, routeId: string | null | undefined): Promise<TargetFiguresType[]> {
  const orgId = orgOf(ctx);
  if (routeId != null) assertUuid(routeId, 'a route id');
  const since = new Date(Date.now() - WINDOW_MS[window]);
  const failures = FAILURES.map((_, i) => `count(*) filter (where a->>'outcome' = ?)::int as f${i}`).join(', ');
  const rows = await sqlRows<FigureRow>(
    ctx.em,
    `select a->>'credentialId' as credential_id, a->>'model' as model, count(*)::int as requests, ${failures},
            percentile_disc(0.5) within group (order by (a->>'latencyMs')::bigint) as p50,
            percentile_disc(0.95) within group (order by (a->>'latencyMs')::bigint) as p95,
            percentile_disc(0.5) within group (order by e.ttft_ms) filter (where a->>'outcome' = 'answered') as ttft_p50,
            coalesce(sum(e.cost_micros) filter (where a->>'outcome' = 'answered'), 0)::text as cost
       from usage_events e cross join lateral jsonb_array_elements(e.attempts) a
      where e.organization_id = ? and e.started_at >= ? and jsonb_typeof(e.attempts) = 'array'${routeId != null ? ' and e.route_id = ?' : ''}
      group by 1, 2 order by requests desc, 1, 2 limit 200`,
    [...FAILURES, orgId, since, ...(routeId != null ? [routeId] : [])],
  );
  const circuits = await reportedCircuits(ctx, orgId);
  return rows.map((row) => {
    const cost = Number(row.cost);
    if (!Number.isSafeInteger(cost)) throw new AppError('CONFLICT', 'The cost over this window is too large to report exactly; choose a shorter window.');
    const errors = FAILURES.map((outcome, i) => ({ outcome: outcome as AttemptOutcome, count: Number(row[`f${i}`]) })).filter((e) => e.count > 0);
    return {
      credentialId: row.credential_id,
      model: row.model,
      requests: row.requests,
      errors,
      failed: errors.reduce((sum, e) => sum + e.count, 0),
      latencyP50Ms: nullableNumber(row.p50),
      latencyP95Ms: nullableNumber(row.p95),
      ttftP50Ms: nullableNumber(row.ttft_p50),
      costMicros: cost,
      circuits: circuits.get(`${row.credential_id}/${row.model}`) ?? [],
    };
  });
}
