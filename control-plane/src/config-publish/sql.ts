import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs one parameterized statement (`?` placeholders, bound by the driver rather than inlined)
 * on the entity manager's connection, inside its transaction when it has one, and returns the
 * rows. Raw statements bypass the tenant filter, so every caller names the organization itself.
 */
export async function sqlRows<T = Record<string, unknown>>(em: EntityManager, text: string, bindings: readonly unknown[] = []): Promise<T[]> {
  const query = em.getKnex().raw(text, bindings as never[]);
  const trx = em.getTransactionContext();
  if (trx) query.transacting(trx);
  const result = (await query) as { rows: T[] };
  return result.rows;
}
