import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUuid } from '@keyward/shared';
import { derivedKey } from '../auth/derived-key.js';
import { RouteError } from '../http/rest-errors.js';

/** How long a download link works after `exportOrganization` gave it out. */
const LINK_TTL_MS = 15 * 60_000;
/** What the link-signing key is derived for (from the key pepper, never the pepper itself). */
const PURPOSE = 'organization-archive-links v1';
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

/** Where organization archives download from. */
export const ARCHIVE_ROUTE = '/v1/organization-archive';

function signatureOf(pepper: Buffer, orgId: string, expiresAt: Date): string {
  return createHmac('sha256', derivedKey(pepper, PURPOSE))
    .update(['keyward-organization-archive v1', orgId, String(expiresAt.getTime() / 1000)].join('\n'))
    .digest('base64url');
}

/** A signed download link: `<publicUrl>/v1/organization-archive?org=…&expires=<unix seconds>&signature=…`, a capability on its own for 15 minutes. */
export function signArchiveLink(publicUrl: string, pepper: Buffer, orgId: string, now: Date = new Date()): { url: string; expiresAt: Date } {
  const expiresAt = new Date(Math.ceil((now.getTime() + LINK_TTL_MS) / 1000) * 1000);
  const params = new URLSearchParams({ org: orgId, expires: String(expiresAt.getTime() / 1000), signature: signatureOf(pepper, orgId, expiresAt) });
  return { url: `${publicUrl}${ARCHIVE_ROUTE}?${params.toString()}`, expiresAt };
}

/** Checks a download link: its shape (400), its signature (403) and its expiry (410). Returns the organization's id. */
export function readArchiveLink(pepper: Buffer, query: Record<string, unknown>, now: Date = new Date()): string {
  const { org, expires, signature } = query;
  if (!isUuid(org) || typeof expires !== 'string' || !/^\d{1,12}$/.test(expires) || typeof signature !== 'string' || !SIGNATURE.test(signature))
    throw new RouteError(
      400,
      'ARCHIVE_LINK_MALFORMED',
      'The archive link is malformed: it needs `org` (an organization id), `expires` and `signature`, once each.',
    );
  const expiresAt = new Date(Number(expires) * 1000);
  // A UUID is the same in either case; the link was signed with it in lower case.
  const orgId = org.toLowerCase();
  if (!timingSafeEqual(Buffer.from(signatureOf(pepper, orgId, expiresAt)), Buffer.from(signature)))
    throw new RouteError(403, 'ARCHIVE_LINK_FORGED', 'The archive link was changed or not issued by this Keyward: its signature does not match. Export again.');
  if (expiresAt.getTime() <= now.getTime())
    throw new RouteError(410, 'ARCHIVE_LINK_EXPIRED', `The archive link expired at ${expiresAt.toISOString()}. Export again.`);
  return orgId;
}

/** `keyward-organization-<slug>-20261207T143000Z.ndjson.gz`: what the download is saved as. */
export function archiveFileName(slug: string, at: Date): string {
  return `keyward-organization-${slug}-${at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '')}.ndjson.gz`;
}
