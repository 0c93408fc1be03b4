import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import { rowFilterConditions } from '../audit-chain/chain-kinds.js';
import { EXPORT_KINDS, type ExportRequest } from './export-kinds.js';

/** Rows read per statement: memory stays flat however long the range. */
const EXPORT_PAGE = 1_000;

/**
 * The rows of an export, a page at a time, in `[time, id]` order, each as the chain's canonical
 * row (plain JSON). A keyset cursor, not an offset: every page is one index range scan, however
 * deep into a month of events it is. The next page is read only when the consumer asks for it,
 * so a slow download reads slowly instead of piling rows up.
 */
export async function* exportPages(em: EntityManager, request: ExportRequest): AsyncGenerator<Record<string, unknown>[]> {
  const kind = EXPORT_KINDS[request.kind];
  const time = `t.${kind.timeColumn}`;
  const filters = rowFilterConditions(kind.chain, request.filters, 't');
  const where = [`t.organization_id = ?`, `${time} >= ?`, `${time} < ?`, ...filters.where];
  const bindings: unknown[] = [request.orgId, request.from, request.to, ...filters.bindings];
  // The cursor's time travels as PostgreSQL prints it: a JavaScript Date would drop the microseconds.
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const page: Record<string, unknown>[] = await sqlRows(
      em,
      `select ${kind.chain.selectList('t')}, ${time}::text as "cursorAt"
         from ${kind.chain.table} t
        where ${where.join(' and ')}${after ? ` and (${time}, t.id) > (?::timestamptz, ?::uuid)` : ''}
        order by ${time}, t.id limit ${EXPORT_PAGE}`,
      after ? [...bindings, after.at, after.id] : bindings,
    );
    if (page.length > 0) yield page.map((row) => kind.chain.canonicalRow(row));
    if (page.length < EXPORT_PAGE) return;
    const last = page[page.length - 1]!;
    after = { at: last.cursorAt as string, id: last.id as string };
  }
}
