import { performance } from 'node:perf_hooks';
import { applyConfigDelta, generateSecret, hashSecret, type ConfigDelta, type ConfigSnapshot } from '@keyward/shared';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import {
  connectNode,
  createLocalKmsFile,
  createNodeTokenFor,
  createOrgWithMember,
  findSecretsInLogs,
  restartableControlPlane,
  type LocalKmsFile,
  type NodeStream,
  type OrgMember,
} from '../testing/enforcement-fixtures.js';
import { gqlRequest, startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { requestConfigPublish } from './publish.js';

const CREATE_KEY = 'mutation($input: CreateKeyInput!) { createKey(input: $input) { secret key { id prefix } } }';
const HEARTBEAT = 'mutation($input: NodeHeartbeatInput!) { nodeHeartbeat(input: $input) }';

let cp: TestControlPlane;
let kms: LocalKmsFile;
let owner: OrgMember;
const globalToken = generateSecret('node_token');
const streams: NodeStream[] = [];

function node(token: string, nodeId: string, knownVersion?: number): NodeStream {
  const stream = connectNode(cp, token, nodeId, knownVersion);
  streams.push(stream);
  return stream;
}

async function snapshotOf(stream: NodeStream): Promise<ConfigSnapshot> {
  const message = await stream.next();
  expect(message.type).toBe('snapshot');
  return message as ConfigSnapshot;
}

async function deltaOf(stream: NodeStream): Promise<ConfigDelta> {
  const message = await stream.next();
  expect(message.type).toBe('delta');
  return message as ConfigDelta;
}

async function createKey(member: OrgMember, input: Record<string, unknown> = {}) {
  const res = await member.gql<{ createKey: { secret: string; key: { id: string; prefix: string } } }>(CREATE_KEY, {
    input: { name: 'agent', ownerLabel: 'agent', ...input },
  });
  return res;
}

beforeAll(async () => {
  kms = await createLocalKmsFile();
  cp = await startTestControlPlane(inject('pgAdminUrl'), { ...kms.env, KEYWARD_NODE_TOKEN: globalToken });
  owner = await createOrgWithMember(cp, 'owner');
});

afterAll(async () => {
  for (const stream of streams) await stream.close();
  await cp?.close();
  await kms?.remove();
});

describe('a node subscribing to the config', () => {
  it('gets a full snapshot first, even for an organization with nothing configured', async () => {
    const org = await createOrgWithMember(cp, 'admin');
    const stream = node(await createNodeTokenFor(org), 'empty-org-node');
    const snapshot = await snapshotOf(stream);
    expect(snapshot.version).toBe(cp.services.configStore.version);
    expect(Object.keys(snapshot.orgs)).toEqual([org.orgId]);
    expect(snapshot.keys).toEqual({});
    expect(snapshot.credentials).toEqual({});
  });

  it('gets a delta well under a second after a key is created', async () => {
    const stream = node(globalToken, 'latency-node');
    const snapshot = await snapshotOf(stream);
    expect(snapshot.orgs[owner.orgId]).toMatchObject({ id: owner.orgId, plan: 'pro', contentCapture: false });

    const started = performance.now();
    const res = await createKey(owner, { name: 'fresh' });
    const delta = await deltaOf(stream);
    const latencyMs = performance.now() - started;
    console.log(`config delta reached the node ${latencyMs.toFixed(1)} ms after createKey was sent`);
    // The figure is reported above; the bound only catches a delta that never came promptly.
    expect(latencyMs).toBeLessThan(5_000);

    const hash = hashSecret(res.data!.createKey.secret, cp.config.keyPepper);
    expect(delta).toMatchObject({ fromVersion: snapshot.version, version: snapshot.version + 1, removed: {} });
    expect(delta.changed.keys).toEqual({ [hash]: expect.objectContaining({ id: res.data!.createKey.key.id, hash, name: 'fresh' }) });
  });

  it('receives removed entries when a key is revoked and when a credential is deleted', async () => {
    const stream = node(globalToken, 'removal-node');
    const snapshot = await snapshotOf(stream);
    const { data } = await createKey(owner, { name: 'short-lived' });
    const oldHash = hashSecret(data!.createKey.secret, cp.config.keyPepper);
    const id = data!.createKey.key.id;
    await deltaOf(stream);

    const rotated = await owner.gql<{ rotateKey: { secret: string } }>('mutation($id: ID!) { rotateKey(id: $id, graceSeconds: 600) { secret } }', { id });
    const newHash = hashSecret(rotated.data!.rotateKey.secret, cp.config.keyPepper);
    const rotation = await deltaOf(stream);
    expect(rotation.fromVersion).toBe(snapshot.version + 1);
    expect(Object.keys(rotation.changed.keys!).sort()).toEqual([newHash, oldHash].sort());
    expect(rotation.changed.keys![oldHash].graceUntil).not.toBeNull();

    await owner.gql('mutation($id: ID!) { revokeKey(id: $id) { id } }', { id });
    const revocation = await deltaOf(stream);
    expect(revocation.changed).toEqual({});
    expect([...revocation.removed.keys!].sort()).toEqual([newHash, oldHash].sort());

    const credential = await owner.gql<{ createCredential: { id: string } }>(
      'mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }',
      { input: { provider: 'GEMINI', name: 'gemini', apiKey: 'AIzaSy-test-0123456789abcdef' } },
    );
    const credentialId = credential.data!.createCredential.id;
    expect(Object.keys((await deltaOf(stream)).changed.credentials!)).toEqual([credentialId]);
    await owner.gql('mutation($id: ID!) { deleteCredential(id: $id) }', { id: credentialId });
    expect((await deltaOf(stream)).removed).toEqual({ credentials: [credentialId] });
  });

  it('sends organization changes published through requestConfigPublish', async () => {
    const stream = node(globalToken, 'settings-node');
    await snapshotOf(stream);
    const em = cp.services.orm.em.fork();
    await em.getConnection().execute(`update organizations set settings = jsonb_set(settings, '{contentCapture}', 'true') where id = ?`, [owner.orgId]);
    await requestConfigPublish(cp.services, owner.orgId, 'settings changed');
    const delta = await deltaOf(stream);
    expect(delta.changed.orgs![owner.orgId].contentCapture).toBe(true);
    await em.getConnection().execute(`update organizations set settings = jsonb_set(settings, '{contentCapture}', 'false') where id = ?`, [owner.orgId]);
    await requestConfigPublish(cp.services, owner.orgId, 'settings changed');
    expect((await deltaOf(stream)).changed.orgs![owner.orgId].contentCapture).toBe(false);
  });

  it('keeps serving the old config when a change would leave a reference dangling', async () => {
    const stream = node(globalToken, 'rejection-node');
    const snapshot = await snapshotOf(stream);
    const other = await createOrgWithMember(cp, 'owner');
    await deltaOf(stream); // the new organization
    const foreign = await other.gql<{ createCredential: { id: string } }>(
      'mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }',
      { input: { provider: 'OPENAI', name: 'theirs', apiKey: 'sk-theirs-0123456789' } },
    );
    await deltaOf(stream);
    const versionBefore = cp.services.configStore.version;
    expect(versionBefore).toBe(snapshot.version + 2);

    const { data } = await createKey(owner, { name: 'keeps working' });
    await deltaOf(stream);
    const foreignId = foreign.data!.createCredential.id;
    const res = await owner.gql('mutation($id: ID!, $ids: [ID!]) { updateKey(id: $id, input: { credentialIds: $ids }) { id } }', {
      id: data!.createKey.key.id,
      ids: [foreignId],
    });
    expect(res.errors?.[0].extensions?.code).toBe('CONFIG_REJECTED');
    expect(res.errors?.[0].message).toBe(
      `The change was not applied because the config would be inconsistent: key "keeps working" (${data!.createKey.key.prefix}) routes to credential ${foreignId}, which does not exist in this organization.`,
    );
    await stream.expectSilence(300);
    expect(cp.services.configStore.version).toBe(versionBefore + 1);
    const key = await owner.gql<{ key: { credentialIds: string[] } }>('query($id: ID!) { key(id: $id) { credentialIds } }', {
      id: data!.createKey.key.id,
    });
    expect(key.data!.key.credentialIds).toEqual([]);
  });

  it('gets only an empty delta confirming its version when it reconnects at the current version', async () => {
    const version = cp.services.configStore.version;
    const stream = node(globalToken, 'returning-node', version);
    expect(await deltaOf(stream)).toMatchObject({ fromVersion: version, version, changed: {}, removed: {} });
    await createKey(owner, { name: 'after the return' });
    expect(await deltaOf(stream)).toMatchObject({ fromVersion: version, version: version + 1 });
  });

  it('gets one delta with what it missed when it reconnects with an older version, and the same config as a new node', async () => {
    const first = node(globalToken, 'away-node');
    const before = await snapshotOf(first);
    await first.close();
    const kept = await createKey(owner, { name: 'made while away' });
    const dropped = await createKey(owner, { name: 'revoked while away' });
    await owner.gql('mutation($id: ID!) { revokeKey(id: $id) { id } }', { id: dropped.data!.createKey.key.id });
    const version = cp.services.configStore.version;
    expect(version).toBeGreaterThanOrEqual(before.version + 3);

    const resumed = await deltaOf(node(globalToken, 'away-node', before.version));
    expect(resumed).toMatchObject({ fromVersion: before.version, version });
    expect(Object.values(resumed.changed.keys ?? {}).map((k) => k.name)).toEqual(expect.arrayContaining(['made while away']));
    const fresh = await snapshotOf(node(globalToken, 'new-node'));
    const { generatedAt: _a, ...applied } = { ...before, ...applyConfigDelta(before, resumed), version };
    const { generatedAt: _b, ...expected } = fresh;
    expect(applied).toEqual(expected);
    expect(kept.data!.createKey.key.id).toBeTruthy();
  });

  it('gets a snapshot when it names a version the control plane never reached', async () => {
    const version = cp.services.configStore.version;
    expect((await node(globalToken, 'from-the-future', version + 1000).next()).type).toBe('snapshot');
  });
});

describe('organization node tokens', () => {
  it('see only their organization, with empty deltas for everyone else’s publishes', async () => {
    const mine = await createOrgWithMember(cp, 'admin');
    const theirs = await createOrgWithMember(cp, 'admin');
    await createKey(theirs, { name: 'not for you' });
    const stream = node(await createNodeTokenFor(mine), 'scoped-node');
    const snapshot = await snapshotOf(stream);
    expect(Object.keys(snapshot.orgs)).toEqual([mine.orgId]);

    await createKey(theirs, { name: 'still not for you' });
    const empty = await deltaOf(stream);
    expect(empty).toMatchObject({ fromVersion: snapshot.version, version: snapshot.version + 1, changed: {}, removed: {} });

    const { data } = await createKey(mine, { name: 'mine' });
    const delta = await deltaOf(stream);
    expect(delta.fromVersion).toBe(empty.version);
    expect(Object.values(delta.changed.keys!).map((k) => k.id)).toEqual([data!.createKey.key.id]);
  });

  it('are created by admins only and cannot revoke the global token', async () => {
    const org = await createOrgWithMember(cp, 'developer');
    const refused = await org.gql('mutation { createNodeToken(name: "x") { secret } }');
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const tokens = await owner.gql<{ nodeTokens: { id: string; scope: string }[] }>('{ nodeTokens { id scope } }');
    const global = tokens.data!.nodeTokens.find((t) => t.scope === 'GLOBAL')!;
    const revoke = await owner.gql('mutation($id: ID!) { revokeNodeToken(id: $id) { id } }', { id: global.id });
    expect(revoke.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('node status', () => {
  it('records heartbeats and shows version, lag, backlog and connection', async () => {
    const org = await createOrgWithMember(cp, 'admin');
    const token = await createNodeTokenFor(org, 'edge-1');
    const stream = node(token, 'edge-1a');
    const snapshot = await snapshotOf(stream);
    const beat = await gqlRequest<{ nodeHeartbeat: boolean }>(
      cp.url,
      HEARTBEAT,
      { input: { nodeId: 'edge-1a', configVersion: snapshot.version - 1, eventBacklog: 42, hostname: 'edge-host', softwareVersion: '0.1.0' } },
      { token },
    );
    expect(beat.data).toEqual({ nodeHeartbeat: true });

    const query = '{ nodes { id name scope hostname softwareVersion configVersion currentVersion lag eventBacklog lastSeenAt connected } }';
    const list = await org.gql<{ nodes: Record<string, unknown>[] }>(query);
    const entry = list.data!.nodes.find((n) => n.id === 'edge-1a')!;
    expect(entry).toMatchObject({
      name: 'edge-1',
      scope: 'ORGANIZATION',
      hostname: 'edge-host',
      softwareVersion: '0.1.0',
      configVersion: snapshot.version - 1,
      currentVersion: snapshot.version,
      lag: 1,
      eventBacklog: 42,
      connected: true,
    });
    expect(Date.now() - new Date(entry.lastSeenAt as string).getTime()).toBeLessThan(10_000);

    await stream.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await org.gql<{ nodes: { id: string; connected: boolean }[] }>('{ nodes { id connected } }');
    expect(after.data!.nodes.find((n) => n.id === 'edge-1a')!.connected).toBe(false);

    const auditor = await createOrgWithMember(cp, 'auditor');
    expect((await auditor.gql('{ nodes { id } }')).errors).toBeUndefined();
    const other = await auditor.gql<{ nodes: { id: string }[] }>('{ nodes { id } }');
    expect(other.data!.nodes.map((n) => n.id)).not.toContain('edge-1a');
  });

  it('refuses a heartbeat whose circuit report is malformed or too long, naming the field', async () => {
    const org = await createOrgWithMember(cp, 'admin');
    const token = await createNodeTokenFor(org, 'edge-2');
    const beat = (openCircuits: unknown) =>
      gqlRequest(
        cp.url,
        HEARTBEAT,
        { input: { nodeId: 'edge-2a', configVersion: 0, eventBacklog: 0, hostname: 'h', softwareVersion: '1', openCircuits } },
        { token },
      );
    const wrongState = await beat([{ target: 'cred/gpt-4o', state: 'ajar' }]);
    expect(wrongState.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(JSON.stringify(wrongState.errors)).toContain('must be open or half_open');
    const tooMany = await beat(Array.from({ length: 501 }, (_, i) => ({ target: `cred/m${i}`, state: 'half_open' })));
    expect(tooMany.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect((await beat([{ target: 'cred/gpt-4o', state: 'open', openUntil: new Date(Date.now() + 30_000).toISOString() }])).errors).toBeUndefined();
  });

  it('refuses heartbeats and streams from anyone but nodes', async () => {
    const res = await owner.gql(HEARTBEAT, {
      input: { nodeId: 'n', configVersion: 0, eventBacklog: 0, hostname: 'h', softwareVersion: '1' },
    });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const stream = node(owner.token, 'impostor');
    await stream.completed;
    expect(JSON.stringify(stream.errors)).toContain('Only data-plane nodes may do this.');
  });

  it('ends the streams of a revoked node token and refuses it afterwards', async () => {
    const org = await createOrgWithMember(cp, 'admin');
    const token = await createNodeTokenFor(org, 'doomed');
    const stream = node(token, 'doomed-1');
    await snapshotOf(stream);
    const tokens = await org.gql<{ nodeTokens: { id: string; name: string }[] }>('{ nodeTokens { id name } }');
    const id = tokens.data!.nodeTokens.find((t) => t.name === 'doomed')!.id;
    const revoked = await org.gql<{ revokeNodeToken: { revokedAt: string } }>('mutation($id: ID!) { revokeNodeToken(id: $id) { revokedAt } }', {
      id,
    });
    expect(revoked.data!.revokeNodeToken.revokedAt).not.toBeNull();
    await stream.completed;
    const beat = await gqlRequest(
      cp.url,
      HEARTBEAT,
      {
        input: { nodeId: 'doomed-1', configVersion: 0, eventBacklog: 0, hostname: 'h', softwareVersion: '1' },
      },
      { token },
    );
    expect(beat.status).toBe(401);
    expect(beat.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('never logs a node token', () => {
    expect(findSecretsInLogs(cp.logs, [globalToken])).toEqual([]);
  });
});

describe('restarting the control plane', () => {
  it('resumes the same version sequence and config', async () => {
    const token = generateSecret('node_token');
    const lifecycle = await restartableControlPlane(inject('pgAdminUrl'), { KEYWARD_NODE_TOKEN: token });
    try {
      const first = await lifecycle.start();
      const org = await createOrgWithMember(first, 'owner');
      const { data } = await org.gql<{ createKey: { secret: string } }>(CREATE_KEY, { input: { name: 'durable', ownerLabel: 'a' } });
      const hash = hashSecret(data!.createKey.secret, lifecycle.config.keyPepper);
      const version = first.services.configStore.version;
      expect(version).toBeGreaterThanOrEqual(2);
      await first.close();

      const second = await lifecycle.start();
      expect(second.services.configStore.version).toBe(version);
      // A node that was current needs nothing; one that was behind gets a snapshot, since the
      // updates it missed went with the old process.
      const behind = connectNode(second, token, 'behind-restart', version - 1);
      const snapshot = (await behind.next()) as ConfigSnapshot;
      await behind.close();
      expect(snapshot).toMatchObject({ type: 'snapshot', version });
      expect(snapshot.keys[hash]).toMatchObject({ name: 'durable' });
      const stream = connectNode(second, token, 'after-restart', version);
      try {
        expect(await stream.next()).toMatchObject({ type: 'delta', fromVersion: version, version, changed: {}, removed: {} });
        await gqlRequest(second.url, CREATE_KEY, { input: { name: 'next', ownerLabel: 'a' } }, { token: org.token });
        const delta = (await stream.next()) as ConfigDelta;
        expect(delta).toMatchObject({ type: 'delta', fromVersion: version, version: version + 1 });
      } finally {
        await stream.close();
      }
    } finally {
      await lifecycle.destroy();
    }
  });
});
