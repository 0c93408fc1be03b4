import { maskedUrl, parseSecret } from '@keyward/shared';

/**
 * Field names whose values are secrets (or may hold one) and never enter the audit trail:
 * passwords, secrets, tokens, sign-in codes, API keys, credentials, private keys. Matched on the
 * name with case and `_`/`-` ignored; names that are only ids of such things (`tokenId`) are kept.
 */
const SECRET_NAME = /(password|passphrase|passwd|secret|token|code|apikey|credential|privatekey|authorization|cookie|pepper|^key$)/;
const ID_NAME = /ids?$/;

const MAX_DEPTH = 6;
const MAX_ARRAY_ITEMS = 20;
const MAX_STRING = 500;

/** The placeholder left where a value was removed, so readers see that something was there. */
export const REDACTED = '[redacted]';

/** Whether an argument field name is one whose value must not be recorded. */
export function isSecretFieldName(name: string): boolean {
  const n = name.toLowerCase().replace(/[_-]/g, '');
  // An id of a secret-bearing thing (`tokenId`, `credentialId`) is not itself secret.
  if (n !== 'id' && ID_NAME.test(n)) return false;
  return SECRET_NAME.test(n);
}

/**
 * A copy of GraphQL arguments safe to store: secret-named fields replaced by a marker, any
 * string that parses as a Keyward secret replaced wherever it appears, and long strings, big
 * arrays and deep nesting cut short so one huge batch cannot bloat the audit table.
 */
export function redactArgs(args: Record<string, unknown>): Record<string, unknown> {
  return redactObject(args, 0);
}

function redactObject(obj: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(obj)) {
    if (isSecretFieldName(name) && value !== null && value !== undefined) out[name] = REDACTED;
    // A `url` (a webhook's, a sink's, an MCP server's) may carry a token in its path or query: its scheme and host are kept.
    else if (name === 'url' && typeof value === 'string') out[name] = maskedUrl(value);
    else out[name] = redactValue(value, depth + 1);
  }
  return out;
}

function redactValue(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    if (parseSecret(value)) return REDACTED;
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (depth > MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ARRAY_ITEMS).map((v) => redactValue(v, depth + 1));
    if (value.length > MAX_ARRAY_ITEMS) items.push(`[${value.length - MAX_ARRAY_ITEMS} more]`);
    return items;
  }
  if (typeof value === 'object') return redactObject(value as Record<string, unknown>, depth);
  return String(value);
}
