import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrgWithOwner, expectError, expectNoSecretsInLogs, startPlane, type TestOrg } from './fixtures.js';
import type { TestControlPlane } from './test-control-plane.js';

let cp: TestControlPlane;
let org: TestOrg;
const secrets: string[] = [];

beforeAll(async () => {
  cp = await startPlane({ KEYWARD_CP_MAX_BODY_BYTES: '16384' });
  org = await createOrgWithOwner(cp);
  secrets.push(org.owner.password, org.owner.session);
});

afterAll(async () => {
  expectNoSecretsInLogs(cp, secrets);
  // Nothing above is a server fault: no bad input may be logged as an unexpected error.
  expect(cp.logs.filter((l) => l.includes('unexpected error'))).toEqual([]);
  await cp?.close();
});

async function post(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(`${cp.url}/graphql`, { method: 'POST', headers: { cookie: `kw_session=${org.owner.session}`, ...headers }, body });
  const text = await res.text();
  expect(text).not.toMatch(/\bat \S+ \(|node_modules|stacktrace/i);
  return { status: res.status, body: JSON.parse(text) as { errors?: { message: string; extensions?: { code?: string } }[] } };
}

const owner = () => ({ session: org.owner.session });

/**
 * The shape limits answer before execution. Apollo files every validation-rule error under
 * GRAPHQL_VALIDATION_FAILED even when the rule set QUERY_TOO_COMPLEX, so either code is accepted;
 * the message says precisely what was too big.
 */
function expectComplexityError(res: Parameters<typeof expectError>[0], message: RegExp) {
  const code = res.errors?.[0]?.extensions?.code;
  expect(['QUERY_TOO_COMPLEX', 'GRAPHQL_VALIDATION_FAILED']).toContain(code);
  expectError(res, code as string, message);
  expect(res.data).toBeNull();
}

describe('bad requests', () => {
  it('answers malformed GraphQL with GRAPHQL_PARSE_FAILED', async () => {
    const res = await cp.gql('{ viewer { kind ', {}, owner());
    expect(res.status).toBe(400);
    expectError(res, 'GRAPHQL_PARSE_FAILED', /Syntax Error/);
  });

  it('answers an unknown field with GRAPHQL_VALIDATION_FAILED naming it', async () => {
    const res = await cp.gql('{ viewer { passwordHash } }', {}, owner());
    expectError(res, 'GRAPHQL_VALIDATION_FAILED', /Cannot query field "passwordHash"/);
  });

  it('answers a body that is not JSON with BAD_REQUEST', async () => {
    const res = await post('{"query": ');
    expect(res.status).toBe(400);
    expect(res.body.errors![0].extensions!.code).toBe('BAD_REQUEST');
  });

  it('answers an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await post(JSON.stringify({ query: '{ version }', variables: { pad: 'x'.repeat(20_000) } }));
    expect(res.status).toBe(413);
    expect(res.body.errors![0]).toEqual({ message: 'Request body is too large.', extensions: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('refuses a query nested too deep', async () => {
    let q = 'name';
    for (let i = 0; i < 12; i++) q = `ofType { ${q} }`;
    const res = await cp.gql(`{ __schema { types { fields { type { ${q} } } } } }`, {}, owner());
    expectComplexityError(res, /nested deeper than 10 levels/);
  });

  it('refuses a query selecting too many fields', async () => {
    // Small on the wire, huge once fragments are expanded: 41 spreads of 40 fields each.
    const forty = Array.from({ length: 40 }, (_, i) => `a${i}: version`).join(' ');
    const spreads = Array.from({ length: 41 }, () => '...Forty').join(' ');
    const res = await cp.gql(`query { ${spreads} } fragment Forty on Query { ${forty} }`, {}, owner());
    expectComplexityError(res, /more than 1500 fields/);
  });

  it('refuses a variable of the wrong type', async () => {
    const res = await cp.gql('mutation($n: String!) { createTeam(input: { name: $n }) { id } }', { n: 42 }, owner());
    expectError(res, 'BAD_USER_INPUT', /String cannot represent a non string value/);
  });

  it('refuses a literal of the wrong type', async () => {
    const res = await cp.gql('mutation { updateOrganizationSettings(input: { retentionDays: "many" }) { id } }', {}, owner());
    expectError(res, 'GRAPHQL_VALIDATION_FAILED', /Int cannot represent/);
  });

  it('refuses an unknown enum value', async () => {
    const res = await cp.gql('mutation { inviteMember(email: "a@example.test", role: EMPEROR) { id } }', {}, owner());
    expectError(res, 'GRAPHQL_VALIDATION_FAILED', /EMPEROR/);
  });
});

describe('bad values', () => {
  it('refuses a malformed email, naming the field', async () => {
    const res = await cp.gql('mutation { requestSignInCode(email: "not-an-email") }');
    expectError(res, 'BAD_USER_INPUT', /email must be an email address/);
    expect(res.errors![0].extensions!.fields).toEqual({ email: ['email must be an email address'] });
  });

  it('refuses a weak password with the reason', async () => {
    const res = await cp.gql(
      'mutation($c: String, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }',
      { c: org.owner.password, n: 'aaaaaaaaaaaaaaaa' },
      owner(),
    );
    expectError(res, 'BAD_USER_INPUT', /two kinds of character/);
    expect(res.errors![0].extensions!.reason).toBe('WEAK_PASSWORD');
  });

  it('refuses a code that is not six digits', async () => {
    expectError(await cp.gql('mutation { signInWithCode(email: "a@example.test", code: "12ab") { kind } }'), 'BAD_USER_INPUT', /six digits/);
  });

  it('answers NOT_FOUND for well-formed ids that match nothing, and BAD_USER_INPUT for malformed ones', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const q of [
      `mutation { renameTeam(id: "${unknown}", name: "x") { id } }`,
      `mutation { revokeInvitation(id: "${unknown}") { id } }`,
      `mutation { revokeApiToken(id: "${unknown}") { id } }`,
      `mutation { changeMemberRole(memberId: "${unknown}", role: ADMIN) { id } }`,
      `mutation { switchOrganization(organizationId: "${unknown}") { kind } }`,
    ]) {
      expectError(await cp.gql(q, {}, owner()), 'NOT_FOUND');
    }
    for (const q of [
      'mutation { renameTeam(id: "1; drop table teams", name: "x") { id } }',
      'mutation { revokeApiToken(id: "zzz") { id } }',
      'mutation { switchOrganization(organizationId: "x") { kind } }',
    ]) {
      expectError(await cp.gql(q, {}, owner()), 'BAD_USER_INPUT');
    }
  });

  it('answers expired or unknown tokens, links and codes with UNAUTHENTICATED', async () => {
    const token = 'A'.repeat(43);
    expectError(await cp.gql(`mutation { signInWithLinkToken(token: "${token}") { kind } }`), 'UNAUTHENTICATED', /wrong, used or expired/);
    expectError(await cp.gql(`mutation { acceptInvitation(token: "${token}") { kind } }`), 'UNAUTHENTICATED', /wrong, used or revoked/);
    expectError(
      await cp.gql('mutation { signInWithCode(email: "nobody@example.test", code: "123456") { kind } }'),
      'UNAUTHENTICATED',
      /wrong, used or expired/,
    );
    expectError(await cp.gql('{ viewer { kind } }', {}, { token: 'kwt_definitely_not_valid' }), 'UNAUTHENTICATED');
  });

  it('treats an unknown session cookie as signed out, not as an error', async () => {
    const res = await cp.gql<{ viewer: unknown }>('{ viewer { kind } }', {}, { session: 'x'.repeat(43) });
    expect(res.data!.viewer).toBeNull();
  });

  it('refuses over-long strings', async () => {
    expectError(
      await cp.gql('mutation($n: String!) { createTeam(input: { name: $n }) { id } }', { n: 'n'.repeat(5000) }, owner()),
      'BAD_USER_INPUT',
      /1 to 120/,
    );
  });
});
