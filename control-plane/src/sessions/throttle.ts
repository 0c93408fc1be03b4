import { createHmac } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Failed sign-ins allowed per email and address before the first lock. */
const FREE_FAILURES = 5;
/** The first lock; each further failure doubles it. */
const FIRST_LOCK_SECONDS = 30;
/** The longest lock. */
const MAX_LOCK_SECONDS = 15 * 60;
/** Failures older than this are forgotten. */
const FAILURE_MEMORY_SECONDS = 24 * 3600;

/**
 * The row key of a throttle: its kind and an HMAC of its parts (email, address), so the table
 * stores neither emails nor addresses.
 */
export function throttleKey(kind: string, parts: readonly string[], salt: Buffer): string {
  return `${kind}:${createHmac('sha256', salt).update(parts.join('\n')).digest('hex').slice(0, 48)}`;
}

/** Seconds until a locked key may try again (0 when it is not locked). */
export async function lockedFor(em: EntityManager, key: string): Promise<number> {
  const rows = await em.execute<{ seconds: number }[]>(
    'select ceil(extract(epoch from (locked_until - now())))::int as seconds from auth_throttles where key = ? and locked_until > now()',
    [key],
  );
  return rows[0]?.seconds ?? 0;
}

/**
 * Counts one failure. From the `FREE_FAILURES`th on, the key is locked for 30 s, then 60 s,
 * 120 s… up to 15 minutes. Returns the failure count and the lock in seconds (0: not locked).
 */
export async function recordFailure(em: EntityManager, key: string): Promise<{ failures: number; lockSeconds: number }> {
  const [row] = await em.execute<{ count: number }[]>(
    `insert into auth_throttles as t (key, count, window_started_at, locked_until) values (?, 1, now(), null)
     on conflict (key) do update set
       count = case when t.window_started_at < now() - make_interval(secs => ?) then 1 else t.count + 1 end,
       window_started_at = case when t.window_started_at < now() - make_interval(secs => ?) then now() else t.window_started_at end
     returning count`,
    [key, FAILURE_MEMORY_SECONDS, FAILURE_MEMORY_SECONDS],
  );
  const failures = row.count;
  if (failures < FREE_FAILURES) return { failures, lockSeconds: 0 };
  const lockSeconds = Math.min(FIRST_LOCK_SECONDS * 2 ** (failures - FREE_FAILURES), MAX_LOCK_SECONDS);
  await em.execute('update auth_throttles set locked_until = now() + make_interval(secs => ?) where key = ?', [lockSeconds, key]);
  return { failures, lockSeconds };
}

/** Forgets a key's failures (after a successful sign-in). */
export async function clearThrottle(em: EntityManager, key: string): Promise<void> {
  await em.execute('delete from auth_throttles where key = ?', [key]);
}

/**
 * Counts one hit in a fixed window of `windowSeconds`. Returns whether the hit is within
 * `limit`, and when not, how long until the window ends.
 */
export async function hitWindow(
  em: EntityManager,
  key: string,
  limit: number,
  windowSeconds: number,
): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
  const [row] = await em.execute<{ count: number; remaining: number }[]>(
    `insert into auth_throttles as t (key, count, window_started_at, locked_until) values (?, 1, now(), null)
     on conflict (key) do update set
       count = case when t.window_started_at <= now() - make_interval(secs => ?) then 1 else t.count + 1 end,
       window_started_at = case when t.window_started_at <= now() - make_interval(secs => ?) then now() else t.window_started_at end
     returning count, ceil(extract(epoch from (t.window_started_at + make_interval(secs => ?) - now())))::int as remaining`,
    [key, windowSeconds, windowSeconds, windowSeconds],
  );
  return { allowed: row.count <= limit, retryAfterSeconds: Math.max(1, row.remaining) };
}

/** Deletes throttle rows nobody will consult again. */
export async function pruneThrottles(em: EntityManager): Promise<void> {
  await em.execute(`delete from auth_throttles where window_started_at < now() - make_interval(secs => ?) and (locked_until is null or locked_until < now())`, [
    FAILURE_MEMORY_SECONDS,
  ]);
}
