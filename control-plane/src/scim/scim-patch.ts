import { ScimError } from './scim-errors.js';

/** One PATCH operation with its op lower-cased (Entra ID sends `Replace`, `Add`, `Remove`). */
export interface PatchOperation {
  readonly op: 'add' | 'replace' | 'remove';
  readonly path: string | null;
  readonly value: unknown;
}

/** Reads a PatchOp body (RFC 7644 §3.5.2), refusing one that is not. */
export function patchOperations(body: unknown): PatchOperation[] {
  const operations = (body as { Operations?: unknown } | null)?.Operations;
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimError(400, 'A PATCH body needs an "Operations" list (urn:ietf:params:scim:api:messages:2.0:PatchOp).', 'invalidSyntax');
  }
  return operations.map((raw: { op?: unknown; path?: unknown; value?: unknown }) => {
    const op = typeof raw?.op === 'string' ? raw.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      throw new ScimError(400, `"${String(raw?.op).slice(0, 20)}" is not a PATCH op (add, replace, remove).`, 'invalidSyntax');
    const path = typeof raw.path === 'string' && raw.path.trim() !== '' ? raw.path.trim() : null;
    if (op === 'remove' && !path) throw new ScimError(400, 'A remove operation needs a path.', 'noTarget');
    return { op, path, value: raw.value };
  });
}

/**
 * A SCIM boolean, including the strings Entra ID sends ("True", "False"); anything else is
 * refused naming the attribute.
 */
export function scimBoolean(value: unknown, attribute: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new ScimError(400, `${attribute} must be true or false.`, 'invalidValue');
}

/** A string attribute value (or null to clear it), cut to `max`. */
export function scimString(value: unknown, attribute: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new ScimError(400, `${attribute} must be a string.`, 'invalidValue');
  return value.trim().slice(0, max) || null;
}
