import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createApiToken,
  createOrgWithOwner,
  expectError,
  expectNoSecretsInLogs,
  expectOk,
  startPlane,
  type TestOrg,
  type TestPerson,
} from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';

const CREATE_TOKEN = 'mutation($name: String!) { createScimToken(name: $name) { secret baseUrl token { id prefix } } }';
const SET_SSO = 'mutation($input: SsoConnectionInput!) { setSsoConnection(input: $input) { id } }';
const MEMBERS = '{ members { id role user { email } } }';
const CREATE_TEAM = 'mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }';
const SET_GROUP_TEAMS = 'mutation($mappings: [ScimGroupTeamInput!]!) { setScimGroupTeams(mappings: $mappings) { group team { name } } }';
const TEAMS = '{ teams { name members { email } } }';
const SCIM_JSON = 'application/scim+json';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A SCIM client as an identity provider is one: JSON over HTTP with the bearer token. */
function scimClient(baseUrl: string, token: string | null) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; type: string | null; json: any }> => {
    const headers: Record<string, string> = { accept: SCIM_JSON };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = SCIM_JSON;
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    expect(text).not.toMatch(/\bat \S+ \(|node_modules|select |insert into/i);
    return { status: res.status, type: res.headers.get('content-type'), json: text ? JSON.parse(text) : null };
  };
}

/** Okta's documented create-user request (Okta SCIM 2.0 reference). */
function oktaUser(email: string, given: string, family: string) {
  return {
    schemas: [USER_SCHEMA],
    userName: email,
    name: { givenName: given, familyName: family },
    emails: [{ primary: true, value: email, type: 'work' }],
    displayName: `${given} ${family}`,
    locale: 'en-US',
    externalId: `00u${given.toLowerCase()}okta`,
    groups: [],
    password: 'never-stored-1234',
    active: true,
  };
}

/** Entra ID's documented create-user request (Microsoft's SCIM validator samples). */
function entraUser(email: string, given: string, family: string) {
  return {
    schemas: [USER_SCHEMA, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
    externalId: `${given.toLowerCase()}-entra-object-id`,
    userName: email,
    active: true,
    displayName: `${given} ${family}`,
    emails: [{ primary: true, type: 'work', value: email }],
    meta: { resourceType: 'User' },
    name: { formatted: `${given} ${family}`, familyName: family, givenName: given },
    roles: [],
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Research' },
  };
}

describe('SCIM provisioning', () => {
  let cp: TestControlPlane;
  let org: TestOrg;
  let scim: ReturnType<typeof scimClient>;
  let baseUrl: string;
  let tokenSecret: string;
  const secrets: string[] = [];

  beforeAll(async () => {
    cp = await startPlane();
    org = await createOrgWithOwner(cp);
    secrets.push(org.owner.password, org.owner.session);
    expectOk(
      await cp.gql(
        SET_SSO,
        {
          input: {
            issuer: 'http://127.0.0.1:9/realms/corp',
            clientId: 'keyward',
            clientSecret: 'sso-client-secret',
            emailDomains: ['corp.example'],
            defaultRole: 'DEVELOPER',
            groupRoles: [{ group: 'Keyward Admins', role: 'ADMIN' }],
          },
        },
        { session: org.owner.session },
      ),
    );
    const created = await cp.gql<{ createScimToken: { secret: string; baseUrl: string; token: { prefix: string } } }>(
      CREATE_TOKEN,
      { name: 'Okta' },
      { session: org.owner.session },
    );
    expectOk(created);
    ({ secret: tokenSecret, baseUrl } = created.data!.createScimToken);
    secrets.push(tokenSecret);
    expect(tokenSecret).toMatch(/^kws_/);
    // The address the control plane really listens on, as an identity provider is to reach it.
    expect(baseUrl).toBe(`http://localhost:${new URL(cp.url).port}/scim/v2`);
    scim = scimClient(baseUrl, tokenSecret);
  });

  afterAll(async () => {
    if (!cp) return;
    expectNoSecretsInLogs(cp, secrets);
    await cp.close();
  });

  async function roleOf(email: string): Promise<string | null> {
    const res = await cp.gql<{ members: { role: string; user: { email: string } }[] }>(MEMBERS, {}, { session: org.owner.session });
    expectOk(res);
    return res.data!.members.find((m) => m.user.email === email)?.role ?? null;
  }

  async function teamMembers(name: string): Promise<string[]> {
    const res = await cp.gql<{ teams: { name: string; members: { email: string }[] }[] }>(TEAMS, {}, { session: org.owner.session });
    expectOk(res);
    return res.data!.teams.find((t) => t.name === name)!.members.map((m) => m.email);
  }

  it('describes itself: ServiceProviderConfig, ResourceTypes and Schemas', async () => {
    const config = await scim('GET', '/ServiceProviderConfig');
    expect(config.status).toBe(200);
    expect(config.type).toMatch(/^application\/scim\+json/);
    expect(config.json).toMatchObject({ patch: { supported: true }, filter: { supported: true }, bulk: { supported: false } });
    expect((await scim('GET', '/ResourceTypes')).json.Resources.map((r: { name: string }) => r.name)).toEqual(['User', 'Group']);
    const schemas = await scim('GET', '/Schemas');
    expect(schemas.json.Resources.map((s: { id: string }) => s.id)).toEqual([USER_SCHEMA, GROUP_SCHEMA]);
    expect((await scim('GET', `/Schemas/${USER_SCHEMA}`)).json.attributes.map((a: { name: string }) => a.name)).toContain('userName');
  });

  it('refuses requests without a live SCIM token, in the SCIM error schema', async () => {
    for (const token of [null, 'kwt_not-a-scim-token', `kws_${'A'.repeat(49)}`]) {
      const res = await scimClient(`${cp.url}/scim/v2`, token)('GET', '/Users');
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ schemas: [ERROR_SCHEMA], status: '401' });
    }
  });

  it('creates, finds, replaces and deactivates a user as Okta does', async () => {
    const created = await scim('POST', '/Users', oktaUser('ada@corp.example', 'Ada', 'Lovelace'));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      schemas: [USER_SCHEMA],
      userName: 'ada@corp.example',
      active: true,
      name: { givenName: 'Ada', familyName: 'Lovelace' },
    });
    expect(JSON.stringify(created.json)).not.toContain('never-stored-1234');
    expect(await roleOf('ada@corp.example')).toBe('DEVELOPER');

    const found = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "ada@corp.example"')}&startIndex=1&count=100`);
    expect(found.json).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(found.json.Resources[0].id).toBe(created.json.id);
    const none = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody@corp.example"')}`);
    expect(none.json).toMatchObject({ totalResults: 0, Resources: [] });

    const duplicate = await scim('POST', '/Users', oktaUser('ada@corp.example', 'Ada', 'Lovelace'));
    expect(duplicate.status).toBe(409);
    expect(duplicate.json).toMatchObject({ schemas: [ERROR_SCHEMA], status: '409', scimType: 'uniqueness' });

    const replaced = await scim('PUT', `/Users/${created.json.id}`, { ...oktaUser('ada@corp.example', 'Ada', 'King'), id: created.json.id, active: false });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ active: false, name: { familyName: 'King' } });
    expect(await roleOf('ada@corp.example')).toBeNull();

    const reactivated = await scim('PATCH', `/Users/${created.json.id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', value: { active: true } }] });
    expect(reactivated.json.active).toBe(true);
    expect(await roleOf('ada@corp.example')).toBe('DEVELOPER');
  });

  it("follows Entra ID's PATCH quirks, and deactivating ends the member's sessions, API tokens and playground conversations at once", async () => {
    const member: TestPerson = await addMember(cp, org.orgId, 'developer', { email: 'grace@corp.example' });
    secrets.push(member.password, member.session);
    const apiToken = await createApiToken(cp, member);
    secrets.push(apiToken.secret);
    const created = await scim('POST', '/Users', entraUser('grace@corp.example', 'Grace', 'Hopper'));
    expect(created.status).toBe(201);
    const id = created.json.id as string;

    const renamed = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [
        { op: 'Replace', path: 'name.givenName', value: 'Amazing Grace' },
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'grace.hopper@corp.example' },
        { op: 'Add', path: 'title', value: 'Rear Admiral' },
        { op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Navy' },
      ],
    });
    expect(renamed.status).toBe(200);
    expect(renamed.json.name.givenName).toBe('Amazing Grace');
    expect(renamed.json.emails).toEqual([{ value: 'grace.hopper@corp.example', type: 'work', primary: true }]);

    expectOk(await cp.gql('{ viewer { kind } }', {}, { session: member.session }));
    expectOk(await cp.gql('{ viewer { kind } }', {}, { token: apiToken.secret }));
    const key = await cp.gql<{ createKey: { key: { id: string } } }>(
      'mutation { createKey(input: { name: "grace", ownerLabel: "grace" }) { key { id } } }',
      {},
      {
        session: org.owner.session,
      },
    );
    expectOk(key);
    expectOk(
      await cp.gql(
        'mutation($k: ID!) { savePlaygroundConversation(input: { keyId: $k, model: "gpt-4o-mini", messages: [{ role: "user", content: "hello" }] }) { id } }',
        { k: key.data!.createKey.key.id },
        { session: member.session },
      ),
    );
    const deactivated = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(deactivated.status).toBe(200);
    expect(deactivated.json.active).toBe(false);
    expect(await roleOf('grace@corp.example')).toBeNull();
    const viewer = await cp.gql<{ viewer: unknown }>('{ viewer { kind } }', {}, { session: member.session });
    expect(viewer.data?.viewer ?? null).toBeNull();
    expectError(await cp.gql('{ viewer { kind } }', {}, { token: apiToken.secret }), 'UNAUTHENTICATED');
    // Their playground conversations here went with the membership.
    const db = new pg.Client({ connectionString: cp.databaseUrl });
    await db.connect();
    try {
      expect((await db.query('select count(*)::int as n from playground_conversations where user_id = $1', [member.userId])).rows[0].n).toBe(0);
    } finally {
      await db.end();
    }

    const bad = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Replace', path: 'active', value: 'maybe' }] });
    expect(bad.json).toMatchObject({ status: '400', scimType: 'invalidValue', detail: 'active must be true or false.' });
  });

  it('maps groups to roles as Okta and Entra ID change their members', async () => {
    const linus = (await scim('POST', '/Users', oktaUser('linus@corp.example', 'Linus', 'Torvalds'))).json;
    const group = await scim('POST', '/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: 'Keyward Admins',
      members: [{ value: linus.id, display: linus.userName }],
    });
    expect(group.status).toBe(201);
    expect(group.json.members).toEqual([expect.objectContaining({ value: linus.id, display: 'linus@corp.example' })]);
    expect(await roleOf('linus@corp.example')).toBe('ADMIN');
    expect((await scim('GET', `/Users/${linus.id}`)).json.groups).toEqual([expect.objectContaining({ value: group.json.id, display: 'Keyward Admins' })]);

    // Okta removes a member through a filtered path.
    await scim('PATCH', `/Groups/${group.json.id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: `members[value eq "${linus.id}"]` }] });
    expect(await roleOf('linus@corp.example')).toBe('DEVELOPER');
    // Entra ID adds with a capitalised op and a list of values.
    await scim('PATCH', `/Groups/${group.json.id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Add', path: 'members', value: [{ value: linus.id }] }] });
    expect(await roleOf('linus@corp.example')).toBe('ADMIN');
    const withoutMembers = await scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Keyward Admins"')}`);
    expect(withoutMembers.json.totalResults).toBe(1);
    expect(withoutMembers.json.Resources[0].members).toBeUndefined();
    // Okta renames with a pathless replace; a renamed group no longer matches the mapping.
    await scim('PATCH', `/Groups/${group.json.id}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [{ op: 'replace', value: { id: group.json.id, displayName: 'Former Admins' } }],
    });
    expect(await roleOf('linus@corp.example')).toBe('DEVELOPER');
    expect((await scim('DELETE', `/Groups/${group.json.id}`)).status).toBe(204);
    expect((await scim('GET', `/Groups/${group.json.id}`)).status).toBe(404);
  });

  it('puts group members in the teams the organization maps their groups to, as Okta and Entra ID change them', async () => {
    const teamIds: Record<string, string> = {};
    for (const name of ['Platform', 'Research']) {
      const team = await cp.gql<{ createTeam: { id: string } }>(CREATE_TEAM, { input: { name } }, { session: org.owner.session });
      expectOk(team);
      teamIds[name] = team.data!.createTeam.id;
    }
    // Okta sends a group's displayName; Entra ID's groups are matched by their object id, sent as externalId.
    const mapped = await cp.gql<{ setScimGroupTeams: { group: string; team: { name: string } }[] }>(
      SET_GROUP_TEAMS,
      {
        mappings: [
          { group: 'Okta Platform', teamId: teamIds.Platform },
          { group: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', teamId: teamIds.Research },
        ],
      },
      { session: org.owner.session },
    );
    expectOk(mapped);
    expect(mapped.data!.setScimGroupTeams.map((m) => m.team.name)).toEqual(['Research', 'Platform']);

    // Okta: the group is pushed empty, then members are added, replaced with PUT and removed by filter.
    const kay = (await scim('POST', '/Users', oktaUser('kay@corp.example', 'Kay', 'Sievers'))).json;
    const lee = (await scim('POST', '/Users', oktaUser('lee@corp.example', 'Lee', 'Felsenstein'))).json;
    const okta = (await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Okta Platform', members: [] })).json;
    await scim('PATCH', `/Groups/${okta.id}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [
        {
          op: 'add',
          path: 'members',
          value: [
            { value: kay.id, display: kay.userName },
            { value: lee.id, display: lee.userName },
          ],
        },
      ],
    });
    expect(await teamMembers('Platform')).toEqual(['kay@corp.example', 'lee@corp.example']);
    const replaced = await scim('PUT', `/Groups/${okta.id}`, {
      schemas: [GROUP_SCHEMA],
      id: okta.id,
      displayName: 'Okta Platform',
      members: [{ value: lee.id }],
    });
    expect(replaced.status).toBe(200);
    expect(await teamMembers('Platform')).toEqual(['lee@corp.example']);
    await scim('PATCH', `/Groups/${okta.id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: `members[value eq "${lee.id}"]` }] });
    expect(await teamMembers('Platform')).toEqual([]);
    await scim('PATCH', `/Groups/${okta.id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: kay.id }] }] });
    expect(await teamMembers('Platform')).toEqual(['kay@corp.example']);
    expect((await scim('DELETE', `/Groups/${okta.id}`)).status).toBe(204);
    expect(await teamMembers('Platform')).toEqual([]);

    // Entra ID: created with its object id as externalId, members added and removed with capitalised ops and value lists.
    const ida = (await scim('POST', '/Users', entraUser('ida@corp.example', 'Ida', 'Rhodes'))).json;
    const entra = await scim('POST', '/Groups', {
      schemas: [GROUP_SCHEMA, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'Research Staff',
      meta: { resourceType: 'Group' },
    });
    expect(entra.status).toBe(201);
    const entraGroup = `/Groups/${entra.json.id}`;
    await scim('PATCH', entraGroup, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Add', path: 'members', value: [{ value: ida.id }] }] });
    expect(await teamMembers('Research')).toEqual(['ida@corp.example']);
    // A rename keeps the externalId, so the mapping still holds.
    await scim('PATCH', entraGroup, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Replace', path: 'displayName', value: 'Research (renamed)' }] });
    expect(await teamMembers('Research')).toEqual(['ida@corp.example']);
    await scim('PATCH', entraGroup, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Remove', path: 'members', value: [{ value: ida.id }] }] });
    expect(await teamMembers('Research')).toEqual([]);
    await scim('PATCH', entraGroup, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Add', path: 'members', value: [{ value: ida.id }] }] });
    expect(await teamMembers('Research')).toEqual(['ida@corp.example']);
    // Deactivating the person takes them out of every team.
    await scim('PATCH', `/Users/${ida.id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(await teamMembers('Research')).toEqual([]);
    await scim('PATCH', `/Users/${ida.id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] });
    expect(await teamMembers('Research')).toEqual(['ida@corp.example']);

    // Changing the setting moves people at once; a mapping the setting no longer has empties its team.
    expectOk(await cp.gql(SET_GROUP_TEAMS, { mappings: [{ group: 'Research (renamed)', teamId: teamIds.Platform }] }, { session: org.owner.session }));
    expect(await teamMembers('Research')).toEqual([]);
    expect(await teamMembers('Platform')).toEqual(['ida@corp.example']);
    expect((await scim('DELETE', entraGroup)).status).toBe(204);
    expect(await teamMembers('Platform')).toEqual([]);

    expectError(
      await cp.gql(SET_GROUP_TEAMS, { mappings: [{ group: 'x', teamId: '00000000-0000-4000-8000-000000000000' }] }, { session: org.owner.session }),
      'NOT_FOUND',
      /^No team 00000000-0000-4000-8000-000000000000 in this organization\.$/,
    );
    expectError(
      await cp.gql(
        SET_GROUP_TEAMS,
        {
          mappings: [
            { group: 'x', teamId: teamIds.Platform },
            { group: 'x', teamId: teamIds.Research },
          ],
        },
        { session: org.owner.session },
      ),
      'BAD_USER_INPUT',
      /mapped twice/,
    );
    const developer: TestPerson = await addMember(cp, org.orgId, 'developer');
    secrets.push(developer.password, developer.session);
    expectError(await cp.gql(SET_GROUP_TEAMS, { mappings: [] }, { session: developer.session }), 'FORBIDDEN');
  });

  it('pages through users with startIndex and count', async () => {
    for (const name of ['p1', 'p2', 'p3']) expect((await scim('POST', '/Users', oktaUser(`${name}@corp.example`, name, 'Page'))).status).toBe(201);
    const all = await scim('GET', '/Users');
    const page = await scim('GET', '/Users?startIndex=2&count=2');
    expect(page.json).toMatchObject({ totalResults: all.json.totalResults, startIndex: 2, itemsPerPage: 2 });
    expect(page.json.Resources.map((u: { id: string }) => u.id)).toEqual(all.json.Resources.slice(1, 3).map((u: { id: string }) => u.id));
  });

  it('deletes a user, who leaves the organization', async () => {
    const user = (await scim('POST', '/Users', oktaUser('temp@corp.example', 'Temp', 'Worker'))).json;
    expect(await roleOf('temp@corp.example')).toBe('DEVELOPER');
    expect((await scim('DELETE', `/Users/${user.id}`)).status).toBe(204);
    expect((await scim('GET', `/Users/${user.id}`)).status).toBe(404);
    expect(await roleOf('temp@corp.example')).toBeNull();
  });

  it('answers bad requests precisely', async () => {
    expect((await scim('GET', `/Users?filter=${encodeURIComponent('title sw "x"')}`)).json).toMatchObject({ status: '400', scimType: 'invalidFilter' });
    expect((await scim('POST', '/Users', '{"userName": ')).json).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
    expect((await scim('POST', '/Users', { userName: 'not an email' })).json).toMatchObject({ status: '400', scimType: 'invalidValue' });
    const someone = (await scim('POST', '/Users', oktaUser('bad.input@corp.example', 'Bad', 'Input'))).json;
    expect((await scim('PATCH', `/Users/${someone.id}`, { Operations: [] })).json).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
    expect((await scim('PATCH', `/Users/${someone.id}`, { Operations: [{ op: 'frobnicate', path: 'active' }] })).json.detail).toMatch(/is not a PATCH op/);
    expect((await scim('GET', '/Users/00000000-0000-4000-8000-000000000000')).json).toMatchObject({ status: '404' });
    expect((await scim('GET', '/Users/not-a-uuid')).json).toMatchObject({ status: '404' });
    expect((await scim('GET', '/Bulk')).status).toBe(404);
  });

  it("finds nothing of another organization's users", async () => {
    const mine = (await scim('POST', '/Users', oktaUser('mine@corp.example', 'Mine', 'Only'))).json;
    const other = await createOrgWithOwner(cp);
    secrets.push(other.owner.password, other.owner.session);
    const otherToken = await cp.gql<{ createScimToken: { secret: string } }>(CREATE_TOKEN, { name: 'Entra' }, { session: other.owner.session });
    expectOk(otherToken);
    secrets.push(otherToken.data!.createScimToken.secret);
    const theirs = scimClient(`${cp.url}/scim/v2`, otherToken.data!.createScimToken.secret);
    expect((await theirs('GET', `/Users/${mine.id}`)).status).toBe(404);
    expect((await theirs('GET', `/Users?filter=${encodeURIComponent('userName eq "mine@corp.example"')}`)).json.totalResults).toBe(0);
    expect((await theirs('GET', '/Users')).json.totalResults).toBe(0);
    expect((await theirs('PATCH', `/Users/${mine.id}`, { Operations: [{ op: 'replace', path: 'active', value: false }] })).status).toBe(404);
    expect((await theirs('DELETE', `/Users/${mine.id}`)).status).toBe(404);
    expect(await roleOf('mine@corp.example')).toBe('DEVELOPER');
  });

  it('stops accepting a revoked token at once', async () => {
    const created = await cp.gql<{ createScimToken: { secret: string; token: { id: string } } }>(
      CREATE_TOKEN,
      { name: 'rotating' },
      { session: org.owner.session },
    );
    expectOk(created);
    secrets.push(created.data!.createScimToken.secret);
    const client = scimClient(`${cp.url}/scim/v2`, created.data!.createScimToken.secret);
    expect((await client('GET', '/Users')).status).toBe(200);
    expectOk(
      await cp.gql(
        'mutation($id: ID!) { revokeScimToken(id: $id) { revokedAt } }',
        { id: created.data!.createScimToken.token.id },
        { session: org.owner.session },
      ),
    );
    expect((await client('GET', '/Users')).json).toMatchObject({ status: '401', detail: 'This SCIM token is unknown or revoked.' });
  });
});
