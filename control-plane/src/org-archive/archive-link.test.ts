import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RouteError } from '../http/rest-errors.js';
import { readArchiveLink, signArchiveLink } from './archive-link.js';

const pepper = randomBytes(32);
const orgId = randomUUID();

/** The query of a link signed for `org`, with `org` replaced by `shownAs`. */
function query(org: string, shownAs: string): Record<string, string> {
  const params = new URL(signArchiveLink('https://keyward.example.com', pepper, org).url).searchParams;
  params.set('org', shownAs);
  return Object.fromEntries(params);
}

function refusal(run: () => unknown): { status: number; code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof RouteError) return { status: error.status, code: error.code, message: error.message };
    throw error;
  }
  throw new Error('the link was accepted');
}

describe('organization archive links', () => {
  it('open with the organization id in upper case, since a UUID is the same in either case', () => {
    expect(readArchiveLink(pepper, query(orgId, orgId.toUpperCase()))).toBe(orgId);
  });

  it("are forged (403), not malformed, when another organization's id is written in upper case", () => {
    expect(refusal(() => readArchiveLink(pepper, query(orgId, randomUUID().toUpperCase())))).toEqual({
      status: 403,
      code: 'ARCHIVE_LINK_FORGED',
      message: 'The archive link was changed or not issued by this Keyward: its signature does not match. Export again.',
    });
  });

  it('are malformed (400) when the organization is not a UUID', () => {
    expect(refusal(() => readArchiveLink(pepper, query(orgId, `${orgId}x`)))).toEqual({
      status: 400,
      code: 'ARCHIVE_LINK_MALFORMED',
      message: 'The archive link is malformed: it needs `org` (an organization id), `expires` and `signature`, once each.',
    });
  });
});
