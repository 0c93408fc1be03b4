import { ScimError } from './scim-errors.js';

/** A filter Keyward answers: one attribute compared for equality (what Okta and Entra ID send). */
export interface ScimEquality {
  readonly attribute: string;
  readonly value: string;
}

/**
 * Parses `attribute eq "value"` (attribute names compare without case, RFC 7644 §3.4.2.2).
 * Anything else is refused with `invalidFilter` naming what is supported.
 */
export function parseScimFilter(filter: string, attributes: readonly string[]): ScimEquality {
  const match = /^\s*([A-Za-z][\w.]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(filter);
  const attribute = match ? attributes.find((a) => a.toLowerCase() === match[1].toLowerCase()) : undefined;
  if (!match || !attribute) {
    throw new ScimError(400, `The filter must be one of ${attributes.map((a) => `${a} eq "…"`).join(', ')}.`, 'invalidFilter');
  }
  return { attribute, value: match[2].replace(/\\(.)/g, '$1') };
}

/** `startIndex` (1-based) and `count` of a list request, within bounds (RFC 7644 §3.4.2.4). */
export function scimPage(query: Record<string, unknown>): { startIndex: number; count: number } {
  const number = (value: unknown, fallback: number) => {
    const parsed = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : fallback;
    return parsed;
  };
  return { startIndex: Math.max(1, number(query.startIndex, 1)), count: Math.min(200, Math.max(0, number(query.count, 100))) };
}

/** The SCIM list answer over one page of resources. */
export function listResponse(resources: readonly unknown[], totalResults: number, startIndex: number) {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
