/**
 * RFC 8785 (JSON Canonicalization Scheme) for the values an audit-chain row holds and the parts
 * of an HDP token its signatures cover: objects with
 * their keys sorted by UTF-16 code units, no whitespace, strings and finite numbers written
 * as ECMAScript's `JSON.stringify` writes them (which is what RFC 8785 prescribes). Written
 * here rather than taken from a package so the README's offline check can carry the same few
 * lines. `undefined` object members are left out, as `JSON.stringify` does; anything else that
 * JSON cannot hold (non-finite numbers, bigints, functions) is refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON holds only finite numbers');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) out += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  if (typeof value === 'object' && !(value instanceof Date)) {
    const object = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 requires.
    const keys = Object.keys(object).sort();
    let out = '{';
    for (const key of keys) {
      const member = object[key];
      if (member === undefined) continue;
      out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(member)}`;
    }
    return `${out}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${value instanceof Date ? 'Date (write it as an ISO string)' : typeof value}`);
}
