import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUuid } from '@keyward/shared';
import type { RowFilterName } from '../audit-chain/chain-kinds.js';
import { derivedKey } from '../auth/derived-key.js';
import { RouteError } from '../http/rest-errors.js';
import { EXPORT_FORMATS, EXPORT_KIND_NAMES, EXPORT_KINDS, type ExportFormat, type ExportKindName, type ExportRequest } from './export-kinds.js';

/** How long a download link works after `createExport` gave it out. */
const EXPORT_LINK_TTL_MS = 15 * 60_000;

/** What the link-signing key is derived for (from the key pepper, never the pepper itself). */
const EXPORT_LINKS_PURPOSE = 'export-links v1';

/** Where exports download from: `/v1/exports/<kind>.<format>`. */
export const EXPORT_ROUTE = '/v1/exports/:file';

const FILE = new RegExp(`^(${EXPORT_KIND_NAMES.join('|')})\\.(${EXPORT_FORMATS.join('|')})$`);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
const FIXED_PARAMS = ['org', 'from', 'to', 'expires', 'signature'] as const;

/**
 * The bytes the signature covers: every fact the link asserts, one a line, in a fixed order, so
 * changing any of them — another organization, kind, format, range, filter or expiry — breaks it.
 */
function signedText(r: ExportRequest): string {
  const filters = Object.entries(r.filters)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`);
  return ['keyward-export v1', r.orgId, r.kind, r.format, r.from.toISOString(), r.to.toISOString(), ...filters, String(r.expiresAt.getTime() / 1000)].join(
    '\n',
  );
}

function signatureOf(pepper: Buffer, r: ExportRequest): string {
  return createHmac('sha256', derivedKey(pepper, EXPORT_LINKS_PURPOSE)).update(signedText(r)).digest('base64url');
}

/**
 * A download URL for one export: `<publicUrl>/v1/exports/<kind>.<format>?org=…&from=…&to=…
 * [&keyId=…][&decision=…][&actor=…][&action=…]&expires=<unix seconds>&signature=…`. It is a
 * capability on its own (no cookie or token travels with it), bound by an HMAC to one
 * organization, kind, format, range and set of filters until it expires.
 */
export function signExportLink(publicUrl: string, pepper: Buffer, request: ExportRequest): string {
  const params = new URLSearchParams({ org: request.orgId, from: request.from.toISOString(), to: request.to.toISOString() });
  for (const [name, value] of Object.entries(request.filters)) params.set(name, value);
  params.set('expires', String(request.expiresAt.getTime() / 1000));
  params.set('signature', signatureOf(pepper, request));
  return `${publicUrl}/v1/exports/${request.kind}.${request.format}?${params.toString()}`;
}

/** Whole seconds, so the link's `expires` is exactly what was signed. */
export function exportLinkExpiry(now: Date): Date {
  return new Date(Math.ceil((now.getTime() + EXPORT_LINK_TTL_MS) / 1000) * 1000);
}

/**
 * Reads and checks a download link: its shape (400), its range (400), its signature (403) and
 * its expiry (410), in that order, each refusal a `RouteError` saying precisely what is wrong.
 */
export function readExportLink(pepper: Buffer, file: string, query: Record<string, unknown>, now: Date = new Date()): ExportRequest {
  const match = FILE.exec(file);
  if (!match)
    throw new RouteError(
      404,
      'NOT_FOUND',
      `No export is called ${JSON.stringify(file.slice(0, 60))}: it is <${EXPORT_KIND_NAMES.join('|')}>.<${EXPORT_FORMATS.join('|')}>.`,
    );
  const kind = match[1] as ExportKindName;
  const format = match[2] as ExportFormat;
  const accepted = Object.keys(EXPORT_KINDS[kind].chain.filterColumns);
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!(FIXED_PARAMS as readonly string[]).includes(name) && !accepted.includes(name))
      throw malformed(`\`${name}\` is not a parameter of a ${kind} export link.`);
    if (typeof value !== 'string') throw malformed(`\`${name}\` must be given once.`);
    params[name] = value;
  }
  for (const name of FIXED_PARAMS) if (!params[name]) throw malformed(`\`${name}\` is missing.`);
  if (!isUuid(params.org)) throw malformed('`org` must be an organization id.');
  const from = isoTime(params, 'from');
  const to = isoTime(params, 'to');
  if (!/^\d{1,12}$/.test(params.expires!)) throw malformed('`expires` must be a time in whole seconds since 1970.');
  if (!SIGNATURE.test(params.signature!)) throw malformed('`signature` must be 43 base64url characters.');
  if (from.getTime() >= to.getTime()) throw new RouteError(400, 'BAD_RANGE', '`from` must be before `to`.');
  const filters: Partial<Record<RowFilterName, string>> = {};
  for (const name of accepted) if (params[name] !== undefined) filters[name as RowFilterName] = params[name];
  // A UUID is the same in either case; the link was signed with it in lower case.
  const request: ExportRequest = { orgId: params.org.toLowerCase(), kind, format, from, to, filters, expiresAt: new Date(Number(params.expires) * 1000) };
  const expected = Buffer.from(signatureOf(pepper, request));
  if (!timingSafeEqual(expected, Buffer.from(params.signature!))) {
    throw new RouteError(
      403,
      'EXPORT_LINK_FORGED',
      'The export link was changed or not issued by this Keyward: its signature does not match. Create a new export.',
    );
  }
  if (request.expiresAt.getTime() <= now.getTime()) {
    throw new RouteError(410, 'EXPORT_LINK_EXPIRED', `The export link expired at ${request.expiresAt.toISOString()}. Create a new export.`);
  }
  return request;
}

function isoTime(params: Record<string, string>, name: 'from' | 'to'): Date {
  const at = ISO_TIME.test(params[name]!) ? new Date(params[name]!) : null;
  if (!at || Number.isNaN(at.getTime())) throw malformed(`\`${name}\` must be an ISO 8601 UTC time, like 2026-01-31T00:00:00.000Z.`);
  return at;
}

function malformed(reason: string): RouteError {
  return new RouteError(400, 'EXPORT_LINK_MALFORMED', `The export link is malformed: ${reason}`);
}

/** `keyward-<kind>-<from>-<to>.<format>`, times as `20261201T000000Z`: what the download is saved as. */
export function exportFileName(r: Pick<ExportRequest, 'kind' | 'format' | 'from' | 'to'>): string {
  const stamp = (at: Date) =>
    at
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')
      .replace(/[-:]/g, '');
  return `keyward-${r.kind}-${stamp(r.from)}-${stamp(r.to)}.${r.format}`;
}
