import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createOrgWithOwner, expectError, expectNoSecretsInLogs, expectOk, startPlane, type TestOrg } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';

let cp: TestControlPlane;
let org: TestOrg;
const secrets: string[] = [];

beforeAll(async () => {
  cp = await startPlane();
  org = await createOrgWithOwner(cp);
  secrets.push(org.owner.password, org.owner.session);
});

afterAll(async () => {
  expectNoSecretsInLogs(cp, secrets);
  await cp?.close();
});

const CREATE = 'mutation($name: String!, $d: String) { createTeam(input: { name: $name, description: $d }) { id name description } }';

describe('teams', () => {
  it('are created, listed by name, renamed and deleted', async () => {
    const b = await cp.gql<{ createTeam: { id: string } }>(CREATE, { name: 'Beta', d: 'second' }, { session: org.owner.session });
    const a = await cp.gql<{ createTeam: { id: string } }>(CREATE, { name: '  Alpha  ' }, { session: org.owner.session });
    expectOk(a);
    const list = await cp.gql<{ teams: { name: string; description: string | null }[] }>('{ teams { name description } }', {}, { session: org.owner.session });
    expect(list.data!.teams).toEqual([
      { name: 'Alpha', description: null },
      { name: 'Beta', description: 'second' },
    ]);
    const renamed = await cp.gql<{ renameTeam: { name: string } }>(
      'mutation($id: ID!) { renameTeam(id: $id, name: "Gamma") { name } }',
      { id: b.data!.createTeam.id },
      { session: org.owner.session },
    );
    expect(renamed.data!.renameTeam.name).toBe('Gamma');
    const deleted = await cp.gql<{ deleteTeam: string }>(
      'mutation($id: ID!) { deleteTeam(id: $id) }',
      { id: a.data!.createTeam.id },
      { session: org.owner.session },
    );
    expect(deleted.data!.deleteTeam).toBe(a.data!.createTeam.id);
    const after = await cp.gql<{ teams: { name: string }[] }>('{ teams { name } }', {}, { session: org.owner.session });
    expect(after.data!.teams.map((t) => t.name)).toEqual(['Gamma']);
  });

  it('have unique names inside an organization, but two organizations may share one', async () => {
    expectOk(await cp.gql(CREATE, { name: 'Platform' }, { session: org.owner.session }));
    expectError(await cp.gql(CREATE, { name: 'Platform' }, { session: org.owner.session }), 'CONFLICT', /already exists/);
    const other = await createOrgWithOwner(cp);
    secrets.push(other.owner.password, other.owner.session);
    expectOk(await cp.gql(CREATE, { name: 'Platform' }, { session: other.owner.session }));
  });

  it('refuse blank names and unknown ids precisely', async () => {
    expectError(await cp.gql(CREATE, { name: '   ' }, { session: org.owner.session }), 'BAD_USER_INPUT', /name must not be blank/);
    expectError(await cp.gql(CREATE, { name: 'x'.repeat(121) }, { session: org.owner.session }), 'BAD_USER_INPUT', /1 to 120/);
    expectError(await cp.gql('mutation { deleteTeam(id: "00000000-0000-4000-8000-000000000000") }', {}, { session: org.owner.session }), 'NOT_FOUND');
    expectError(await cp.gql('mutation { deleteTeam(id: "42") }', {}, { session: org.owner.session }), 'BAD_USER_INPUT', /team id/);
  });

  it('leave their keys without a team when deleted, and the config follows', async () => {
    const team = await cp.gql<{ createTeam: { id: string } }>(CREATE, { name: 'Doomed' }, { session: org.owner.session });
    const teamId = team.data!.createTeam.id;
    const key = await cp.gql<{ createKey: { key: { id: string }; secret: string } }>(
      'mutation($t: ID!) { createKey(input: { name: "k", ownerLabel: "agent", teamId: $t }) { key { id } secret } }',
      { t: teamId },
      { session: org.owner.session },
    );
    expectOk(key);
    secrets.push(key.data!.createKey.secret);
    const latestKey = async () => {
      const [row] = await cp.services.orm.em
        .fork()
        .execute<{ collections: { keys: Record<string, { id: string; teamId: string | null }> } }[]>(
          'select collections from config_versions where org_id = ? order by version desc limit 1',
          [org.orgId],
        );
      return Object.values(row.collections.keys).find((k) => k.id === key.data!.createKey.key.id);
    };
    expect((await latestKey())?.teamId).toBe(teamId);
    expectOk(await cp.gql('mutation($id: ID!) { deleteTeam(id: $id) }', { id: teamId }, { session: org.owner.session }));
    expect((await latestKey())?.teamId).toBeNull();
  });

  it('are readable by every role and managed by owners and admins only', async () => {
    const auditor = await addMember(cp, org.orgId, 'auditor');
    const admin = await addMember(cp, org.orgId, 'admin');
    secrets.push(auditor.password, auditor.session, admin.password, admin.session);
    expectOk(await cp.gql('{ teams { id } }', {}, { session: auditor.session }));
    expectError(await cp.gql(CREATE, { name: 'Nope' }, { session: auditor.session }), 'FORBIDDEN', /teams:manage/);
    expectOk(await cp.gql(CREATE, { name: 'Yes' }, { session: admin.session }));
  });
});
