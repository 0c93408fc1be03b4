/** PostgreSQL SQLSTATE codes (or classes) meaning "the database cannot serve us right now". */
const UNAVAILABLE_STATES = [
  /^08/, // connection exception
  /^57P0[1-4]$/, // admin/crash shutdown, cannot connect now, database dropped
  /^53/, // insufficient resources (too many connections, out of memory or disk)
  /^55000$/, // e.g. "database is not currently accepting connections"
  /^55P03$/, // lock not available
  /^40001$/, // serialization failure: retry
  /^40P01$/, // deadlock detected: retry
];
/** Node socket errors on the way to the database. */
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
/** Messages of pg, knex and MikroORM when the connection or pool fails (they carry no code). */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|Timeout acquiring a connection|pool is (?:probably full|destroyed)|Client has encountered a connection error|connection is closed|not queryable/i;

/**
 * Whether an error means the database is unreachable or temporarily unable to commit, as
 * opposed to a bug or bad data. Senders retry on the former (503), so nothing is lost.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_ERRNOS.has(code) || UNAVAILABLE_STATES.some((re) => re.test(code)))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
  }
  return false;
}
