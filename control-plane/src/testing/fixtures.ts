import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import type { Role } from '../auth/roles.js';
import { Membership } from '../organizations/membership.entity.js';
import { DEFAULT_ORGANIZATION_SETTINGS, Organization } from '../organizations/organization.entity.js';
import { createSession } from '../sessions/session.service.js';
import { hashPassword } from '../users/password.js';
import { User } from '../users/user.entity.js';
import { heldRequest, postApproval } from './approval-fixtures.js';
import { startTestControlPlane, type GqlResult, type TestControlPlane } from './test-control-plane.js';

/**
 * Starts a test control plane for identity and access tests. The KMS comes from the
 * environment (`local-key:`) because these tests never seal a credential and need no key file.
 */
export function startPlane(env: Record<string, string> = {}): Promise<TestControlPlane> {
  return startTestControlPlane(inject('pgAdminUrl'), { KEYWARD_KMS: `local-key:${randomBytes(32).toString('base64')}`, ...env });
}

/** A person created for a test, with a live session. */
export interface TestPerson {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly password: string;
  /** Value of the `kw_session` cookie. */
  readonly session: string;
  readonly role: Role;
  /** The membership id in the fixture's organization. */
  readonly memberId: string;
}

/** An organization created for a test, with its owner. */
export interface TestOrg {
  readonly orgId: string;
  readonly name: string;
  readonly slug: string;
  readonly owner: TestPerson;
}

/** A fresh unique word, so parallel fixtures never collide and leaks are easy to spot. */
export function uniqueWord(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** A password the policy accepts, different every call. */
export function strongPassword(): string {
  return `Str0ng-${randomBytes(9).toString('base64url')}`;
}

/**
 * Creates an organization and its owner directly in the database (the API path for this is
 * tested on its own) and signs the owner in.
 */
export async function createOrgWithOwner(cp: TestControlPlane, options: { name?: string; email?: string; plan?: Organization['plan'] } = {}): Promise<TestOrg> {
  const name = options.name ?? uniqueWord('Org ');
  const slug = uniqueWord('org-');
  const em = cp.services.orm.em.fork();
  const org = em.create(Organization, { name, slug, plan: options.plan ?? 'free', settings: { ...DEFAULT_ORGANIZATION_SETTINGS } });
  await em.flush();
  const owner = await addMember(cp, org.id, 'owner', { email: options.email });
  return { orgId: org.id, name, slug, owner };
}

/** What `usePlaneWithOwner` hands a test file once its plane is up. */
export interface PlaneWithOwner {
  readonly cp: TestControlPlane;
  readonly org: TestOrg;
}

/**
 * The usual set-up of a test file: before its tests, a plane with one organization and its
 * signed-in owner (handed to `onStarted`); after them, a check that no log line holds any of the
 * returned secrets (the owner's password and session, plus whatever the tests add) and a close.
 */
export function usePlaneWithOwner(onStarted: (plane: PlaneWithOwner) => void): string[] {
  const secrets: string[] = [];
  let cp: TestControlPlane | undefined;
  beforeAll(async () => {
    cp = await startPlane();
    const org = await createOrgWithOwner(cp);
    secrets.push(org.owner.password, org.owner.session);
    onStarted({ cp, org });
  });
  afterAll(async () => {
    if (!cp) return;
    expectNoSecretsInLogs(cp, secrets);
    await cp.close();
  });
  return secrets;
}

/** Creates a person with a password, makes them a member of `orgId` with `role`, and signs them in there. */
export async function addMember(cp: TestControlPlane, orgId: string, role: Role, options: { email?: string; name?: string } = {}): Promise<TestPerson> {
  const email = options.email ?? `${uniqueWord(role)}@example.test`;
  const name = options.name ?? uniqueWord(`${role} `);
  const password = strongPassword();
  const em = cp.services.orm.em.fork();
  const existing = await em.findOne(User, { email });
  const user = existing ?? em.create(User, { email, name, passwordHash: await hashPassword(password) });
  const membership = em.create(Membership, { organization: orgId, user, role });
  await em.flush();
  const session = await newSession(cp, user.id, orgId);
  return { userId: user.id, email, name, password, session, role, memberId: membership.id };
}

/** A new session for an existing person (each call independent, so a test may sign one out). */
export async function newSession(cp: TestControlPlane, userId: string, orgId: string | null = null): Promise<string> {
  const { token } = await createSession(cp.services, cp.services.orm.em.fork(), { userId, orgId, ip: '127.0.0.1', userAgent: 'fixtures' });
  return token;
}

/** Creates an API token through the API as `person` and returns its id and secret. */
export async function createApiToken(cp: TestControlPlane, person: TestPerson, role: Role = person.role): Promise<{ id: string; secret: string }> {
  const res = await cp.gql<{ createApiToken: { token: { id: string }; secret: string } }>(
    'mutation($name: String!, $role: Role!) { createApiToken(name: $name, role: $role) { token { id } secret } }',
    { name: uniqueWord('token '), role: role.toUpperCase() },
    { session: person.session },
  );
  expectOk(res);
  return { id: res.data!.createApiToken.token.id, secret: res.data!.createApiToken.secret };
}

/** The `kw_session` value a response set, if any (empty string when it cleared the cookie). */
export function sessionCookieOf(res: GqlResult<unknown> | Response): string | undefined {
  for (const header of res.headers.getSetCookie()) {
    const m = /^kw_session=([^;]*)/.exec(header);
    if (m) return decodeURIComponent(m[1]);
  }
  return undefined;
}

/** Asserts a GraphQL answer has no errors (showing them when it does). */
export function expectOk(res: GqlResult<unknown>): void {
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
}

/** Asserts a GraphQL answer failed with `code` (and nothing leaked about the failure's internals). */
export function expectError(res: GqlResult<unknown>, code: string, message?: RegExp): void {
  expect(res.errors?.length, `expected ${code}, got ${JSON.stringify(res.data)}`).toBeGreaterThan(0);
  expect(res.errors![0].extensions?.code, JSON.stringify(res.errors)).toBe(code);
  if (message) expect(res.errors![0].message).toMatch(message);
  const text = JSON.stringify(res.errors);
  expect(text).not.toMatch(/\bat \S+ \(|stacktrace|select |insert into|violates|postgres/i);
}

/** Asserts no log line contains any of `secrets` (passwords, codes, tokens a test created). */
export function expectNoSecretsInLogs(cp: TestControlPlane, secrets: readonly string[]): void {
  const all = cp.logs.join('\n');
  for (const secret of secrets) {
    if (!secret) continue;
    expect(all.includes(secret), `a log line contains the secret ${secret.slice(0, 4)}…`).toBe(false);
  }
}

/**
 * Objects of one kind that the tenant-isolation test plants in the victim organization and then
 * tries to reach from another. Extend `ORG_OBJECT_FIXTURES` with a fixture per new kind
 * (keys, credentials, nodes…): the test then feeds their ids into every resolver.
 */
export interface OrgObjectFixture {
  readonly kind: string;
  /**
   * Which ID arguments this kind's id goes into: tested against the argument name without its
   * `Id` suffix (`teamId`), then against the field name (`deleteTeam(id)`). More specific
   * patterns come first in the list (`ApiToken` before `Token`).
   */
  readonly matches: RegExp;
  /** Creates one object in `org` and returns its id and strings that must never reach another organization. */
  create(cp: TestControlPlane, org: TestOrg): Promise<{ id: string; markers: string[] }>;
  /** A JSON-able view of the kind's state in `org`, compared before and after the attack. */
  snapshot(cp: TestControlPlane, org: TestOrg): Promise<unknown>;
}

async function ownerQuery<T>(cp: TestControlPlane, org: TestOrg, query: string): Promise<T> {
  const res = await cp.gql<T>(query, {}, { session: org.owner.session });
  expectOk(res);
  return res.data as T;
}

/**
 * One fixture per kind of org-owned object, created through the public API. A new kind (budgets,
 * policies, webhooks…) adds an entry here, and the tenant-isolation test covers it.
 */
export const ORG_OBJECT_FIXTURES: OrgObjectFixture[] = [
  {
    kind: 'policy',
    matches: /polic/i,
    async create(cp, org) {
      const name = uniqueWord('Policy ');
      const res = await cp.gql<{ createPolicy: { id: string } }>(
        'mutation($s: String!) { createPolicy(input: { source: $s }) { id } }',
        { s: `name: ${name}\nrules:\n  - id: no-shell\n    when: { toolOffered: shell* }\n    action: block\n` },
        { session: org.owner.session },
      );
      expectOk(res);
      return { id: res.data!.createPolicy.id, markers: [res.data!.createPolicy.id, name] };
    },
    snapshot: (cp, org) => ownerQuery(cp, org, '{ policies { id name enabled shadow currentVersion source attachments { kind id } } }'),
  },
  {
    kind: 'webhook',
    matches: /webhook|slack/i,
    async create(cp, org) {
      const path = `/${uniqueWord('hook')}`;
      const res = await cp.gql<{ createWebhook: { webhook: { id: string }; secret: string } }>(
        'mutation($u: String!) { createWebhook(input: { url: $u, events: ["approval.requested"] }) { webhook { id } secret } }',
        { u: `https://hooks.example.com${path}` },
        { session: org.owner.session },
      );
      expectOk(res);
      const { webhook, secret } = res.data!.createWebhook;
      return { id: webhook.id, markers: [webhook.id, path, secret] };
    },
    snapshot: (cp, org) => ownerQuery(cp, org, '{ webhooks { id kind url urlHint events } }'),
  },
  {
    kind: 'approval',
    matches: /approv|rejectrequest/i,
    async create(cp, org) {
      const key = await cp.gql<{ createKey: { key: { id: string } } }>(
        'mutation { createKey(input: { name: "held agent", ownerLabel: "approval probe" }) { key { id } } }',
        {},
        { session: org.owner.session },
      );
      const node = await cp.gql<{ createNodeToken: { secret: string } }>(
        'mutation { createNodeToken(name: "approvals node") { secret } }',
        {},
        {
          session: org.owner.session,
        },
      );
      expectOk(key);
      expectOk(node);
      const marker = uniqueWord('held-');
      const message = heldRequest(org.orgId, key.data!.createKey.key.id, { summary: { messages: [{ role: 'user', text: marker }], toolCalls: [] } });
      const posted = await postApproval(cp.url, node.data!.createNodeToken.secret, message);
      expect(posted.status).toBe(201);
      return { id: message.id, markers: [message.id, marker, message.requestId] };
    },
    snapshot: (cp, org) => ownerQuery(cp, org, '{ approvals(first: 50) { nodes { id status decision decidedBy decisionReason outcome } } }'),
  },
  {
    kind: 'apiToken',
    matches: /apitoken/i,
    async create(cp, org) {
      const token = await createApiToken(cp, org.owner, 'developer');
      return { id: token.id, markers: [token.id, token.secret, token.secret.slice(0, 9)] };
    },
    snapshot: (cp, org) => ownerQuery(cp, org, '{ apiTokens { id name role revokedAt expiresAt } }'),
  },
  {
    kind: 'nodeToken',
    matches: /node/i,
    async create(cp, org) {
      const name = uniqueWord('node ');
      const res = await cp.gql<{ createNodeToken: { token: { id: string; prefix: string }; secret: string } }>(
        'mutation($n: String!) { createNodeToken(name: $n) { token { id prefix } secret } }',
        { n: name },
        { session: org.owner.session },
      );
      expectOk(res);
      const { token, secret } = res.data!.createNodeToken;
      return { id: token.id, markers: [token.id, name, secret, token.prefix] };
    },
    snapshot: (cp, org) => ownerQuery(cp, org, '{ nodeTokens { id name revokedAt } }'),
  },
  {
    kind: 'credential',
    matches: /credential/i,
    async create(cp, org) {
      const name = uniqueWord('cred ');
      const apiKey = `sk-${randomBytes(18).toString('hex')}`;
      const res = await cp.gql<{ createCredential: { id: string } }>(
        'mutation($n: String!, $k: String!) { createCredential(input: { provider: OPENAI, name: $n, apiKey: $k }) { id } }',
        { n: name, k: apiKey },
        { session: org.owner.session },
      );
      expectOk(res);
      return { id: res.data!.createCredential.id, markers: [res.data!.createCredential.id, name, apiKey] };
    },
    snapshot: (cp, org) => ownerQuery(cp, org, '{ credentials { id name baseUrl models lastFour secretVersion } }'),
  },
  {
    kind: 'playgroundConversation',
    matches: /playground|conversation/i,
    async create(cp, org) {
      const key = await cp.gql<{ createKey: { key: { id: string } } }>(
        'mutation { createKey(input: { name: "playground probe", ownerLabel: "isolation probe" }) { key { id } } }',
        {},
        { session: org.owner.session },
      );
      expectOk(key);
      const prompt = uniqueWord('prompt ');
      const res = await cp.gql<{ savePlaygroundConversation: { id: string } }>(
        'mutation($k: ID!, $p: String!) { savePlaygroundConversation(input: { keyId: $k, model: "gpt-4o-mini", messages: [{ role: "user", content: $p }] }) { id } }',
        { k: key.data!.createKey.key.id, p: prompt },
        { session: org.owner.session },
      );
      expectOk(res);
      return { id: res.data!.savePlaygroundConversation.id, markers: [res.data!.savePlaygroundConversation.id, prompt] };
    },
    snapshot: (cp, org) => ownerQuery(cp, org, '{ playgroundConversations { id title model keyId messages { role content } } }'),
  },
  {
    kind: 'key',
    matches: /key/i,
    async create(cp, org) {
      const name = uniqueWord('key ');
      const res = await cp.gql<{ createKey: { key: { id: string; prefix: string }; secret: string } }>(
        'mutation($n: String!) { createKey(input: { name: $n, ownerLabel: "isolation probe" }) { key { id prefix } secret } }',
        { n: name },
        { session: org.owner.session },
      );
      expectOk(res);
      const { key, secret } = res.data!.createKey;
      return { id: key.id, markers: [key.id, name, secret, key.prefix] };
    },
    snapshot: (cp, org) =>
      ownerQuery(cp, org, '{ keys(first: 100) { nodes { id name status prefix expiresAt revokedAt allowedModels credentialIds labels } } }'),
  },
  {
    kind: 'invitation',
    matches: /invitation/i,
    async create(cp, org) {
      const email = `${uniqueWord('invitee')}@example.test`;
      const res = await cp.gql<{ inviteMember: { id: string } }>(
        'mutation($email: String!) { inviteMember(email: $email, role: DEVELOPER) { id } }',
        { email },
        { session: org.owner.session },
      );
      expectOk(res);
      return { id: res.data!.inviteMember.id, markers: [res.data!.inviteMember.id, email] };
    },
    snapshot: (cp, org) => ownerQuery(cp, org, '{ invitations { id email role status revokedAt } }'),
  },
  {
    kind: 'team',
    matches: /team/i,
    async create(cp, org) {
      const name = uniqueWord('Team ');
      const res = await cp.gql<{ createTeam: { id: string } }>(
        'mutation($name: String!) { createTeam(input: { name: $name }) { id } }',
        { name },
        { session: org.owner.session },
      );
      expectOk(res);
      return { id: res.data!.createTeam.id, markers: [res.data!.createTeam.id, name] };
    },
    snapshot: (cp, org) => ownerQuery(cp, org, '{ teams { id name description } }'),
  },
  {
    kind: 'trustedIssuer',
    matches: /trustedIssuer/i,
    async create(cp, org) {
      const kid = uniqueWord('idp-');
      const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!;
      const res = await cp.gql<{ addTrustedIssuer: { id: string } }>(
        'mutation($kid: String!, $publicKey: String!) { addTrustedIssuer(input: { name: "Identity provider", kid: $kid, publicKey: $publicKey }) { id } }',
        { kid, publicKey },
        { session: org.owner.session },
      );
      expectOk(res);
      return { id: res.data!.addTrustedIssuer.id, markers: [res.data!.addTrustedIssuer.id, kid, publicKey] };
    },
    snapshot: (cp, org) => ownerQuery(cp, org, '{ trustedIssuers { kid publicKey agentId name } }'),
  },
  {
    kind: 'member',
    matches: /member/i,
    async create(cp, org) {
      const person = await addMember(cp, org.orgId, 'developer');
      return { id: person.memberId, markers: [person.memberId, person.userId, person.email, person.name] };
    },
    snapshot: (cp, org) => ownerQuery(cp, org, '{ members { id role user { id email name } } }'),
  },
  {
    kind: 'organization',
    matches: /organi[sz]ation/i,
    async create(_cp, org) {
      return { id: org.orgId, markers: [org.orgId, org.name, org.slug, org.owner.email, org.owner.userId] };
    },
    snapshot: (cp, org) => ownerQuery(cp, org, '{ organization { id name slug plan settings { timeZone contentCapture retentionDays limiterFailMode } } }'),
  },
];
