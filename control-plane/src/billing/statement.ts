import type { Plan } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { formatUsd } from '../budgets/money.js';
import { monthDays } from '../budgets/periods.js';
import { sqlRows } from '../config-publish/sql.js';
import type { Edition } from '../config.js';
import { AppError } from '../errors.js';
import { PLANS, plansApply, type PlanTerms } from './plans.js';

/** One line of a monthly statement. Money in integer micro-dollars. */
interface StatementLine {
  readonly kind: 'plan_fee' | 'usage' | 'included_usage';
  readonly description: string;
  /** The model, for usage lines. */
  readonly model: string | null;
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly amountMicros: number;
}

/** An organization's statement for one calendar month of its time zone. */
export interface Statement {
  readonly month: string;
  /** The plan the statement is priced with; null on a self-hosted installation, which has no plans. */
  readonly plan: Plan | null;
  readonly lines: readonly StatementLine[];
  /** Model usage at list price, before the plan's included allowance. */
  readonly usageMicros: number;
  /** Plan fee plus usage above the included allowance (usage alone without plans). */
  readonly totalMicros: number;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Checks a `YYYY-MM` month. */
function checkMonth(month: string): string {
  if (!MONTH.test(month)) throw new AppError('BAD_USER_INPUT', 'month must be a calendar month written YYYY-MM.', { fields: { month: ['must be YYYY-MM'] } });
  return month;
}

/**
 * Builds the statement of `month` from the spend rollups: the plan's monthly fee, one usage
 * line per model (cost at list price when the request ran), and the plan's included usage as a
 * credit up to the usage. The plan is the organization's current one; a self-hosted
 * installation has no plans, so its statements are the usage lines alone. Late events for a
 * past month (a node that was offline) change its statement when they arrive.
 */
export async function buildStatement(edition: Edition, em: EntityManager, orgId: string, month: string): Promise<Statement> {
  const days = monthDays(checkMonth(month));
  const [org] = await sqlRows<{ plan: Plan }>(em, 'select plan from organizations where id = ?', [orgId]);
  if (!org) throw new AppError('NOT_FOUND', 'This organization does not exist.');
  const terms: PlanTerms | null = plansApply(edition) ? PLANS[org.plan] : null;
  const usage = await sqlRows<{ model: string; requests: string; input: string; output: string; cost: string }>(
    em,
    `select r.model, sum(r.requests) as requests, sum(r.input_tokens) as input, sum(r.output_tokens) as output, sum(r.cost_micros) as cost
       from spend_rollups r where r.organization_id = ? and r.day >= ? and r.day < ?
      group by r.model order by r.model`,
    [orgId, days.fromDay, days.toDay],
  );
  const lines: StatementLine[] = [];
  if (terms) {
    lines.push({
      kind: 'plan_fee',
      description: `${terms.label} plan, ${month}`,
      model: null,
      requests: 0,
      inputTokens: 0,
      outputTokens: 0,
      amountMicros: terms.monthlyFeeMicros,
    });
  }
  let usageMicros = 0;
  for (const row of usage) {
    const amountMicros = Number(row.cost);
    usageMicros += amountMicros;
    lines.push({
      kind: 'usage',
      description: row.model === '' ? 'Usage without a model' : `Usage of ${row.model}`,
      model: row.model === '' ? null : row.model,
      requests: Number(row.requests),
      inputTokens: Number(row.input),
      outputTokens: Number(row.output),
      amountMicros,
    });
  }
  if (!terms) return { month, plan: null, lines, usageMicros, totalMicros: usageMicros };
  const included = Math.min(usageMicros, terms.includedUsageMicros);
  if (included > 0) {
    lines.push({
      kind: 'included_usage',
      description: `Usage included in the ${terms.label} plan (up to $${formatUsd(terms.includedUsageMicros)})`,
      model: null,
      requests: 0,
      inputTokens: 0,
      outputTokens: 0,
      amountMicros: -included,
    });
  }
  return { month, plan: org.plan, lines, usageMicros, totalMicros: terms.monthlyFeeMicros + usageMicros - included };
}

/** The statement as CSV (RFC 4180, CRLF line ends), amounts as USD decimals. */
export function statementCsv(statement: Statement): string {
  const rows: string[][] = [['month', 'kind', 'description', 'model', 'requests', 'input_tokens', 'output_tokens', 'amount_usd']];
  for (const line of statement.lines) {
    rows.push([
      statement.month,
      line.kind,
      line.description,
      line.model ?? '',
      String(line.requests),
      String(line.inputTokens),
      String(line.outputTokens),
      formatUsd(line.amountMicros),
    ]);
  }
  rows.push([statement.month, 'total', 'Total', '', '', '', '', formatUsd(statement.totalMicros)]);
  return rows.map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Quotes a cell when needed, and defuses spreadsheet formulas (a model name like `=HYPERLINK(…)`). */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
