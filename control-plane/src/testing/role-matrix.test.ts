import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleCan, ROLES, type Permission, type Role } from '../auth/roles.js';
import { addMember, createApiToken, createOrgWithOwner, expectNoSecretsInLogs, uniqueWord, startPlane, type TestOrg, type TestPerson } from './fixtures.js';
import type { GqlResult, TestControlPlane } from './test-control-plane.js';

let cp: TestControlPlane;
let org: TestOrg;
const secrets: string[] = [];

/** One guarded operation, run with valid arguments so that only the permission decides. */
interface Operation {
  readonly name: string;
  readonly permission: Permission;
  run(caller: TestPerson): Promise<GqlResult<unknown>>;
}

async function ownerMakes<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await cp.gql<T>(query, variables, { session: org.owner.session });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as T;
}

async function freshTeam(): Promise<string> {
  const d = await ownerMakes<{ createTeam: { id: string } }>('mutation($n: String!) { createTeam(input: { name: $n }) { id } }', { n: uniqueWord('t') });
  return d.createTeam.id;
}

async function freshInvitation(): Promise<string> {
  const d = await ownerMakes<{ inviteMember: { id: string } }>('mutation($e: String!) { inviteMember(email: $e, role: AUDITOR) { id } }', {
    e: `${uniqueWord('i')}@example.test`,
  });
  return d.inviteMember.id;
}

async function freshMember(role: Role): Promise<TestPerson> {
  const p = await addMember(cp, org.orgId, role);
  secrets.push(p.password, p.session);
  return p;
}

const OPERATIONS: Operation[] = [
  { name: 'policies', permission: 'policies:read', run: (c) => cp.gql('{ policies { id } }', {}, { session: c.session }) },
  {
    name: 'createPolicy',
    permission: 'policies:write',
    run: (c) =>
      cp.gql(
        'mutation($s: String!) { createPolicy(input: { source: $s }) { id } }',
        { s: `name: ${uniqueWord('p')}\nrules:\n  - id: r\n    action: log\n` },
        { session: c.session },
      ),
  },
  { name: 'approvals', permission: 'approvals:read', run: (c) => cp.gql('{ approvals { totalCount } }', {}, { session: c.session }) },
  { name: 'webhooks', permission: 'webhooks:manage', run: (c) => cp.gql('{ webhooks { id } }', {}, { session: c.session }) },
  { name: 'auditSinks', permission: 'auditSinks:manage', run: (c) => cp.gql('{ auditSinks { id } }', {}, { session: c.session }) },
  { name: 'organization', permission: 'org:read', run: (c) => cp.gql('{ organization { id } }', {}, { session: c.session }) },
  { name: 'teams', permission: 'org:read', run: (c) => cp.gql('{ teams { id } }', {}, { session: c.session }) },
  { name: 'members', permission: 'members:read', run: (c) => cp.gql('{ members { id } }', {}, { session: c.session }) },
  { name: 'invitations', permission: 'members:read', run: (c) => cp.gql('{ invitations { id } }', {}, { session: c.session }) },
  { name: 'apiTokens', permission: 'tokens:manage', run: (c) => cp.gql('{ apiTokens { id } }', {}, { session: c.session }) },
  { name: 'auditLog', permission: 'audit:read', run: (c) => cp.gql('{ auditLog { entries { id } } }', {}, { session: c.session }) },
  {
    name: 'updateOrganizationSettings',
    permission: 'org:manage',
    run: (c) => cp.gql('mutation { updateOrganizationSettings(input: { retentionDays: 31 }) { id } }', {}, { session: c.session }),
  },
  {
    name: 'createTeam',
    permission: 'teams:manage',
    run: (c) => cp.gql('mutation($n: String!) { createTeam(input: { name: $n }) { id } }', { n: uniqueWord('t') }, { session: c.session }),
  },
  {
    name: 'renameTeam',
    permission: 'teams:manage',
    run: async (c) =>
      cp.gql('mutation($id: ID!, $n: String!) { renameTeam(id: $id, name: $n) { id } }', { id: await freshTeam(), n: uniqueWord('r') }, { session: c.session }),
  },
  {
    name: 'deleteTeam',
    permission: 'teams:manage',
    run: async (c) => cp.gql('mutation($id: ID!) { deleteTeam(id: $id) }', { id: await freshTeam() }, { session: c.session }),
  },
  {
    name: 'inviteMember',
    permission: 'members:manage',
    run: (c) =>
      cp.gql(
        'mutation($e: String!, $r: Role!) { inviteMember(email: $e, role: $r) { id } }',
        { e: `${uniqueWord('n')}@example.test`, r: c.role.toUpperCase() },
        { session: c.session },
      ),
  },
  {
    name: 'revokeInvitation',
    permission: 'members:manage',
    run: async (c) => cp.gql('mutation($id: ID!) { revokeInvitation(id: $id) { id } }', { id: await freshInvitation() }, { session: c.session }),
  },
  {
    name: 'changeMemberRole',
    permission: 'members:manage',
    run: async (c) =>
      cp.gql(
        'mutation($m: ID!) { changeMemberRole(memberId: $m, role: APPROVER) { id } }',
        { m: (await freshMember('developer')).memberId },
        { session: c.session },
      ),
  },
  {
    name: 'removeMember',
    permission: 'members:manage',
    run: async (c) => cp.gql('mutation($m: ID!) { removeMember(memberId: $m) }', { m: (await freshMember('developer')).memberId }, { session: c.session }),
  },
  {
    name: 'createApiToken',
    permission: 'tokens:manage',
    run: (c) => cp.gql('mutation($r: Role!) { createApiToken(name: "m", role: $r) { secret } }', { r: c.role.toUpperCase() }, { session: c.session }),
  },
  {
    name: 'revokeApiToken',
    permission: 'tokens:manage',
    run: async (c) => {
      // Revoke a token of one's own when one may have tokens; otherwise try the owner's.
      const mine = roleCan(c.role, 'tokens:manage') ? await createApiToken(cp, c) : await createApiToken(cp, org.owner);
      secrets.push(mine.secret);
      return cp.gql('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: mine.id }, { session: c.session });
    },
  },
];

beforeAll(async () => {
  cp = await startPlane();
  org = await createOrgWithOwner(cp);
  secrets.push(org.owner.password, org.owner.session);
});

afterAll(async () => {
  expectNoSecretsInLogs(cp, secrets);
  await cp?.close();
});

describe('the role matrix', () => {
  for (const role of ROLES) {
    it(`lets ${role} do exactly what roles.ts grants`, async () => {
      const caller = await freshMember(role);
      const outcomes: string[] = [];
      const expected: string[] = [];
      for (const op of OPERATIONS) {
        const res = await op.run(caller);
        for (const e of res.errors ?? []) if (e.extensions?.code !== 'FORBIDDEN') outcomes.push(`${op.name}: unexpected ${e.extensions?.code} ${e.message}`);
        const secret = (res.data as { createApiToken?: { secret: string } } | null)?.createApiToken?.secret;
        if (secret) secrets.push(secret);
        const forbidden = res.errors?.some((e) => e.extensions?.code === 'FORBIDDEN') ?? false;
        outcomes.push(`${op.name}: ${forbidden ? 'refused' : 'allowed'}`);
        expected.push(`${op.name}: ${roleCan(role, op.permission) ? 'allowed' : 'refused'}`);
      }
      expect(outcomes).toEqual(expected);
    });
  }
});
