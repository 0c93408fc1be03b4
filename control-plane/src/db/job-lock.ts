import type { MikroORM } from '@mikro-orm/postgresql';

/**
 * Runs one round of a background job on one control plane at a time, across every control plane
 * of the database: the round holds a transaction-scoped advisory lock named after the job
 * (`pg_try_advisory_xact_lock`) on a pooled connection for as long as it runs. A control plane
 * that finds the lock taken skips the round and returns null (it tries again at its next one);
 * one that dies mid-round loses its connection, and PostgreSQL releases the lock with it, so the
 * next round of another control plane takes over.
 */
export async function runAlone<T>(orm: MikroORM, job: string, round: () => Promise<T>): Promise<T | null> {
  return orm.em.getKnex().transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: { taken: boolean }[] }>('select pg_try_advisory_xact_lock(hashtext(?)) as taken', [`keyward:job:${job}`]);
    return rows[0]?.taken ? round() : null;
  });
}
