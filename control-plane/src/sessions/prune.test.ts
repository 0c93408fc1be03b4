import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectOk, usePlaneWithOwner, type TestOrg } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';
import { startSignInPruner } from './prune.js';

let cp: TestControlPlane;
let org: TestOrg;
usePlaneWithOwner((plane) => ({ cp, org } = plane));

const sql = <T = Record<string, unknown>>(text: string, bindings: unknown[] = []) => cp.services.orm.em.fork().execute<T[]>(text, bindings);
const hash = () => randomBytes(32).toString('hex');

/** How many rows each store of codes, links and sessions still holds for the test's person. */
async function remaining(email: string, userId: string): Promise<Record<string, number>> {
  const count = async (text: string, bindings: unknown[]) => (await sql<{ n: number }>(text, bindings))[0]!.n;
  return {
    signInCodes: await count('select count(*)::int as n from sign_in_codes where email = ?', [email]),
    emailChanges: await count('select count(*)::int as n from email_changes where user_id = ?', [userId]),
    signInLinks: await count('select count(*)::int as n from sign_in_links where user_id = ?', [userId]),
    sessions: await count('select count(*)::int as n from sessions where user_id = ? and expires_at <= now()', [userId]),
    recipientCodes: await count('select count(*)::int as n from recipient_codes where email = ?', [email]),
    recipientSessions: await count('select count(*)::int as n from recipient_sessions where email = ?', [email]),
  };
}

describe('expired codes, links and sessions', () => {
  it('a session past its expiry signs nobody in', async () => {
    expectOk(await cp.gql('{ viewer { user { id } } }', {}, { session: org.owner.session }));
    await sql(`update sessions set expires_at = now() - interval '1 second' where user_id = ?`, [org.owner.userId]);
    const res = await cp.gql<{ viewer: unknown }>('{ viewer { user { id } } }', {}, { session: org.owner.session });
    expect(res.data?.viewer ?? null).toBeNull();
  });

  it('are purged while the control plane runs, not only when it starts: codes and links a day after they expire, sessions at once', async () => {
    const { email, userId } = org.owner;
    expectOk(await cp.gql('mutation($e: String!) { requestSignInCode(email: $e) }', { e: email }));
    await sql(`insert into email_changes (id, user_id, new_email, code_hash, expires_at) values (gen_random_uuid(), ?, ?, ?, now())`, [
      userId,
      'new-address@example.test',
      hash(),
    ]);
    await sql(`insert into sign_in_links (id, token_hash, user_id, expires_at) values (gen_random_uuid(), ?, ?, now())`, [hash(), userId]);
    await sql(`insert into recipient_codes (id, code_hash, expires_at, email) values (gen_random_uuid(), ?, now(), ?)`, [hash(), email]);
    await sql(`insert into recipient_sessions (id, email, token_hash, expires_at) values (gen_random_uuid(), ?, ?, now())`, [email, hash()]);
    await sql(`update sign_in_codes set expires_at = now() - interval '2 days' where email = ?`, [email]);
    await sql(`update email_changes set expires_at = now() - interval '2 days' where user_id = ?`, [userId]);
    await sql(`update sign_in_links set expires_at = now() - interval '2 days' where user_id = ?`, [userId]);
    await sql(`update recipient_codes set expires_at = now() - interval '2 days' where email = ?`, [email]);
    expect(await remaining(email, userId)).toEqual({ signInCodes: 1, emailChanges: 1, signInLinks: 1, sessions: 1, recipientCodes: 1, recipientSessions: 1 });

    const stop = await startSignInPruner(cp.services, 200);
    try {
      await expect
        .poll(() => remaining(email, userId), { timeout: 10_000 })
        .toEqual({
          signInCodes: 0,
          emailChanges: 0,
          signInLinks: 0,
          sessions: 0,
          recipientCodes: 0,
          recipientSessions: 0,
        });
    } finally {
      await stop();
    }
  });
});
