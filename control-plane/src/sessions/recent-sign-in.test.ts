import { describe, expect, it } from 'vitest';
import { addMember, createApiToken, expectError, expectOk, usePlaneWithOwner, type TestOrg, type TestPerson } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';

const EXPORT = 'mutation { createExport(input: { kind: AUDIT_ENTRIES, format: NDJSON, from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z" }) { url } }';
const REAUTHENTICATE = 'mutation($p: String!) { reauthenticate(currentPassword: $p) }';

let cp: TestControlPlane;
let org: TestOrg;
const secrets = usePlaneWithOwner((plane) => ({ cp, org } = plane));

async function admin(): Promise<TestPerson> {
  const p = await addMember(cp, org.orgId, 'admin');
  secrets.push(p.password, p.session);
  return p;
}

/** Moves the person's last proof of identity `minutes` into the past, as if they had signed in then. */
async function signedInMinutesAgo(p: TestPerson, minutes: number): Promise<void> {
  await cp.services.orm.em
    .fork()
    .execute(`update sessions set authenticated_at = now() - make_interval(mins => ?), created_at = now() - make_interval(mins => ?) where user_id = ?`, [
      minutes,
      minutes,
      p.userId,
    ]);
}

async function auditOf(p: TestPerson, action: string): Promise<{ outcome: string; error_code: string | null }[]> {
  return cp.services.orm.em
    .fork()
    .execute(`select outcome, error_code from audit_entries where actor = ? and action = ? order by created_at`, [`user:${p.userId}`, action]);
}

describe('recent sign-in before exports and deletions', () => {
  it('lets a person who signed in minutes ago export', async () => {
    const p = await admin();
    await signedInMinutesAgo(p, 9);
    expectOk(await cp.gql(EXPORT, {}, { session: p.session }));
  });

  it('refuses an export from a session signed in more than 10 minutes ago, saying to confirm it is you, and records the refusal', async () => {
    const p = await admin();
    await signedInMinutesAgo(p, 11);
    const res = await cp.gql(EXPORT, {}, { session: p.session });
    expectError(res, 'FORBIDDEN', /confirm it is you: enter your password \(reauthenticate\) or sign in again, then retry within 10 minutes/);
    expect(res.errors![0].extensions).toMatchObject({ reason: 'RECENT_SIGN_IN_REQUIRED', withinMinutes: 10 });
    expect(await auditOf(p, 'createExport')).toEqual([{ outcome: 'failure', error_code: 'FORBIDDEN' }]);
  });

  it('accepts the export again after reauthenticate with the current password, and refuses a wrong one', async () => {
    const p = await admin();
    await signedInMinutesAgo(p, 30);
    expectError(await cp.gql(REAUTHENTICATE, { p: 'Not-the-password-1' }, { session: p.session }), 'BAD_USER_INPUT', /current password is incorrect/);
    expectError(await cp.gql(EXPORT, {}, { session: p.session }), 'FORBIDDEN', /reauthenticate/);
    expectOk(await cp.gql(REAUTHENTICATE, { p: p.password }, { session: p.session }));
    expectOk(await cp.gql(EXPORT, {}, { session: p.session }));
    expect(await auditOf(p, 'reauthenticate')).toEqual([
      { outcome: 'failure', error_code: 'BAD_USER_INPUT' },
      { outcome: 'success', error_code: null },
    ]);
    const logged = cp.logs.join('\n');
    expect(logged).not.toContain(p.password);
  });

  it('tells a person without a password to sign in again with a code', async () => {
    const p = await admin();
    await cp.services.orm.em.fork().execute('update users set password_hash = null where id = ?', [p.userId]);
    const res = await cp.gql(REAUTHENTICATE, { p: 'anything-at-all' }, { session: p.session });
    expectError(res, 'BAD_USER_INPUT', /sign in again with an emailed code/);
  });

  it('keeps exports by API tokens to their role: a token has no sign-in to renew', async () => {
    const p = await admin();
    const token = await createApiToken(cp, p);
    secrets.push(token.secret);
    await signedInMinutesAgo(p, 60);
    expectOk(await cp.gql(EXPORT, {}, { token: token.secret }));
  });
});
