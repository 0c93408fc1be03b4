/**
 * Field-level checks shared by the wire validators. Each throws `FieldError` with the path and
 * what was expected; the validators turn that into one `WireError` sentence. Checks return the
 * value narrowed, so validators read as a list of fields.
 */

/** A field failed its check; `path` is dotted (`keys.ab12.allowedModels[1]`). */
export class FieldError extends Error {
  constructor(
    readonly path: string,
    readonly expectation: string,
  ) {
    super(`"${path}" ${expectation}`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `parent.key`, or `parent["odd key"]` when the key would make the path ambiguous. */
export function child(parent: string, key: string): string {
  if (!PLAIN_KEY.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** `parent[index]`. */
export function item(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

function ensure(value: unknown, path: string, ok: boolean, expectation: string): void {
  if (ok) return;
  throw new FieldError(path, value === undefined ? 'is missing' : expectation);
}

/** A plain object (not null, not an array). */
export function object(value: unknown, path: string): Record<string, unknown> {
  ensure(value, path, typeof value === 'object' && value !== null && !Array.isArray(value), 'must be an object');
  return value as Record<string, unknown>;
}

/** Any string, possibly empty. */
export function string(value: unknown, path: string): string {
  ensure(value, path, typeof value === 'string', 'must be a string');
  return value as string;
}

/** A string with at least one character. */
export function nonEmptyString(value: unknown, path: string): string {
  ensure(value, path, typeof value === 'string' && value.length > 0, 'must be a non-empty string');
  return value as string;
}

/** `true` or `false`. */
export function boolean(value: unknown, path: string): boolean {
  ensure(value, path, typeof value === 'boolean', 'must be a boolean');
  return value as boolean;
}

/** An integer from 0 up to 2^53 − 1 (token counts, costs, latencies, versions). */
export function count(value: unknown, path: string): number {
  ensure(value, path, Number.isSafeInteger(value) && (value as number) >= 0, 'must be a non-negative integer');
  return value as number;
}

/** An integer within `[min, max]`. */
export function integerIn(value: unknown, path: string, min: number, max: number): number {
  ensure(value, path, Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max, `must be an integer from ${min} to ${max}`);
  return value as number;
}

/** A UUID in canonical 8-4-4-4-12 form. */
export function uuid(value: unknown, path: string): string {
  ensure(value, path, typeof value === 'string' && UUID.test(value), 'must be a UUID');
  return value as string;
}

/** An ISO 8601 date-time with a time zone designator (`2025-06-01T12:00:00.000Z`). */
export function isoDateTime(value: unknown, path: string): string {
  const ok = typeof value === 'string' && ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
  ensure(value, path, ok, 'must be an ISO 8601 date-time such as 2025-06-01T12:00:00Z');
  return value as string;
}

/** Lower-case hex of exactly `length` characters. */
export function hex(value: unknown, path: string, length: number): string {
  const ok = typeof value === 'string' && value.length === length && /^[0-9a-f]*$/.test(value);
  ensure(value, path, ok, `must be ${length} lower-case hex characters`);
  return value as string;
}

/** Base64 that decodes to exactly `bytes` bytes, or to at least one byte when `bytes` is omitted. */
export function base64(value: unknown, path: string, bytes?: number): string {
  const ok = typeof value === 'string' && value.length > 0 && BASE64.test(value) && (bytes === undefined || Buffer.byteLength(value, 'base64') === bytes);
  ensure(value, path, ok, bytes === undefined ? 'must be non-empty base64' : `must be base64 of ${bytes} bytes`);
  return value as string;
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  const ok = typeof value === 'string' && (allowed as readonly string[]).includes(value);
  const quoted = allowed.map((a) => `"${a}"`);
  ensure(value, path, ok, quoted.length === 1 ? `must be ${quoted[0]}` : `must be one of ${quoted.join(', ')}`);
  return value as T;
}

/** Null, or whatever `check` accepts; the message names both. */
export function nullable<T>(value: unknown, path: string, check: (value: unknown, path: string) => T): T | null {
  if (value === null) return null;
  try {
    return check(value, path);
  } catch (err) {
    if (err instanceof FieldError && err.path === path && err.expectation !== 'is missing') {
      throw new FieldError(path, err.expectation.replace(/^must be /, 'must be null or '));
    }
    throw err;
  }
}

/** An array whose every element passes `check`. */
export function arrayOf<T>(value: unknown, path: string, check: (value: unknown, path: string) => T): T[] {
  ensure(value, path, Array.isArray(value), 'must be an array');
  const array = value as unknown[];
  for (let i = 0; i < array.length; i++) check(array[i], item(path, i));
  return array as T[];
}

/** An object whose every value passes `check`. */
export function recordOf<T>(value: unknown, path: string, check: (value: unknown, path: string, key: string) => T): Record<string, T> {
  const record = object(value, path);
  for (const key of Object.keys(record)) check(record[key], child(path, key), key);
  return record as Record<string, T>;
}

const knownTimeZones = new Set<string>();

/** An IANA time zone name the runtime knows (`Europe/Paris`, `UTC`). */
export function timeZone(value: unknown, path: string): string {
  nonEmptyString(value, path);
  const zone = value as string;
  if (!knownTimeZones.has(zone)) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
    } catch {
      throw new FieldError(path, 'must be an IANA time zone such as Europe/Paris');
    }
    knownTimeZones.add(zone);
  }
  return zone;
}

/** An absolute http(s) URL. */
export function httpUrl(value: unknown, path: string): string {
  nonEmptyString(value, path);
  let ok = false;
  try {
    const url = new URL(value as string);
    ok = url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    ok = false;
  }
  if (!ok) throw new FieldError(path, 'must be an absolute http or https URL');
  return value as string;
}
