import { generateSecret, type ConfigDelta, type ConfigSnapshot } from '@keyward/shared';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import {
  connectNode,
  createLocalKmsFile,
  createOrgWithMember,
  findSecretsInLogs,
  type LocalKmsFile,
  type NodeStream,
  type OrgMember,
} from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';

const POLICY_FIELDS = 'id name description enabled shadow currentVersion document source format createdBy attachments { kind id name }';
const CREATE = `mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { ${POLICY_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $source: String!, $format: PolicyFormat, $note: String) {
  updatePolicy(id: $id, source: $source, format: $format, note: $note) { ${POLICY_FIELDS} } }`;
const ATTACH = `mutation($id: ID!, $scope: ScopeInput!) { attachPolicy(id: $id, scope: $scope) { ${POLICY_FIELDS} } }`;
const DETACH = `mutation($id: ID!, $scope: ScopeInput!) { detachPolicy(id: $id, scope: $scope) { ${POLICY_FIELDS} } }`;
const TEST = `query($input: TestPolicyInput!) { testPolicy(input: $input) {
  request { rules { ruleId index on action shadow reached matched reason } decision { action block { status message } hold { timeoutSeconds onTimeout } redact tags matches { ruleId action shadow } shadow } }
  response { rules { ruleId matched reason } decision { action block { status message } } } } }`;

const GUARDRAILS_YAML = `# Production guardrails, reviewed by security
name: Production guardrails
description: Applies to every production agent.
rules:
  - id: no-credentials          # never send keys to a model
    when: { prompt: { pii: credentials } }
    action: { type: block, status: 422, message: Credentials must not be sent to models }
  - id: contacts
    when: { prompt: { pii: [email, phone] } }
    action: { type: redact, detectors: [email, phone] }
  - id: big-spend
    when: { costMicros: { gt: 500000 } }
    action: { type: hold, timeoutSeconds: 600, onTimeout: block }
  - id: destructive-answer
    on: response
    when: { toolCall: { name: shell_exec, args: { path: $.command, regex: 'rm\\s+-rf' } } }
    action: block
`;

let cp: TestControlPlane;
let kms: LocalKmsFile;
let owner: OrgMember;
const globalToken = generateSecret('node_token');
const streams: NodeStream[] = [];

interface PolicyView {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  shadow: boolean;
  currentVersion: number;
  document: { name: string; shadow: boolean; rules: { id: string }[] };
  source: string;
  format: 'JSON' | 'YAML';
  createdBy: string;
  attachments: { kind: string; id: string; name: string | null }[];
}

function node(name: string): NodeStream {
  const stream = connectNode(cp, globalToken, name);
  streams.push(stream);
  return stream;
}

/** Reads deltas until one changes or removes policies (other tests publish in between). */
async function policyDelta(stream: NodeStream): Promise<ConfigDelta> {
  for (;;) {
    const message = await stream.next();
    expect(message.type).toBe('delta');
    const delta = message as ConfigDelta;
    if (delta.changed.policies || delta.removed.policies) return delta;
  }
}

async function createPolicy(member: OrgMember, source: string, extra: Record<string, unknown> = {}): Promise<PolicyView> {
  const res = await member.gql<{ createPolicy: PolicyView }>(CREATE, { input: { source, ...extra } });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.createPolicy;
}

async function createKey(member: OrgMember, name: string): Promise<{ id: string; hash: string; secret: string }> {
  const res = await member.gql<{ createKey: { secret: string; key: { id: string } } }>(
    'mutation($name: String!) { createKey(input: { name: $name, ownerLabel: "agent" }) { secret key { id } } }',
    { name },
  );
  expect(res.errors).toBeUndefined();
  const { createHmac } = await import('node:crypto');
  const hash = createHmac('sha256', cp.config.keyPepper).update(res.data!.createKey.secret).digest('hex');
  return { id: res.data!.createKey.key.id, hash, secret: res.data!.createKey.secret };
}

async function createTeam(member: OrgMember, name: string): Promise<string> {
  const res = await member.gql<{ createTeam: { id: string } }>('mutation($name: String!) { createTeam(input: { name: $name }) { id } }', { name });
  expect(res.errors).toBeUndefined();
  return res.data!.createTeam.id;
}

beforeAll(async () => {
  kms = await createLocalKmsFile();
  cp = await startTestControlPlane(inject('pgAdminUrl'), { ...kms.env, KEYWARD_NODE_TOKEN: globalToken });
  owner = await createOrgWithMember(cp, 'owner');
});

afterAll(async () => {
  for (const stream of streams) await stream.close();
  expect(
    findSecretsInLogs(
      cp?.logs ?? [],
      [globalToken, owner?.token].filter((s): s is string => !!s),
    ),
  ).toEqual([]);
  await cp?.close();
  await kms?.remove();
});

describe('writing policies', () => {
  it('stores a YAML policy as written, normalizes its document and publishes it to nodes', async () => {
    const stream = node('policy-create-node');
    const snapshot = (await stream.next()) as ConfigSnapshot;
    expect(snapshot.type).toBe('snapshot');

    const policy = await createPolicy(owner, GUARDRAILS_YAML, { note: 'first cut' });
    expect(policy).toMatchObject({
      name: 'Production guardrails',
      description: 'Applies to every production agent.',
      enabled: true,
      shadow: false,
      currentVersion: 1,
      format: 'YAML',
      source: GUARDRAILS_YAML,
      attachments: [],
    });
    expect(policy.createdBy).toMatch(/^token:/); // the fixture member acts through an API token
    expect(policy.document.rules.map((r) => r.id)).toEqual(['no-credentials', 'contacts', 'big-spend', 'destructive-answer']);

    const delta = await policyDelta(stream);
    expect(delta.changed.policies![policy.id]).toEqual({
      id: policy.id,
      orgId: owner.orgId,
      name: 'Production guardrails',
      version: 1,
      enabled: true,
      attachments: [],
      document: policy.document,
    });
  });

  it('keeps every version, listable with who changed what and why', async () => {
    const policy = await createPolicy(
      owner,
      '{"name": "Model allow-list", "rules": [{"id": "only-mini", "when": {"not": {"model": "gpt-4o-mini"}}, "action": "block"}]}',
    );
    expect(policy.format).toBe('JSON');
    const updated = await owner.gql<{ updatePolicy: PolicyView }>(UPDATE, {
      id: policy.id,
      source: 'name: Model allow-list\nrules:\n  - id: only-mini\n    when: { not: { model: [gpt-4o-mini, claude-3-5-haiku*] } }\n    action: block\n',
      note: 'Allow Haiku too',
    });
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updatePolicy).toMatchObject({ currentVersion: 2, format: 'YAML' });

    const same = await owner.gql<{ updatePolicy: PolicyView }>(UPDATE, { id: policy.id, source: updated.data!.updatePolicy.source });
    expect(same.data!.updatePolicy.currentVersion).toBe(2);

    const versions = await owner.gql<{
      policyVersions: { version: number; format: string; note: string | null; changedBy: string; changedByName: string; source: string }[];
    }>('query($id: ID!) { policyVersions(id: $id) { version format note changedBy changedByName source } }', { id: policy.id });
    expect(versions.data!.policyVersions.map((v) => [v.version, v.format, v.note])).toEqual([
      [2, 'YAML', 'Allow Haiku too'],
      [1, 'JSON', null],
    ]);
    expect(versions.data!.policyVersions[0].changedBy).toBe(policy.createdBy);
    expect(versions.data!.policyVersions[0].changedByName).toBe('API token "owner token"');
    expect(versions.data!.policyVersions[1].source).toContain('"only-mini"');

    const one = await owner.gql<{ policy: { versions: { version: number }[] } }>('query($id: ID!) { policy(id: $id) { versions { version } } }', {
      id: policy.id,
    });
    expect(one.data!.policy.versions.map((v) => v.version)).toEqual([2, 1]);
  });

  it('turns shadow mode on as a new version that keeps the author’s comments', async () => {
    const stream = node('policy-shadow-node');
    await stream.next();
    const policy = await createPolicy(owner, GUARDRAILS_YAML.replace('Production guardrails', 'Shadow candidate'));
    await policyDelta(stream);

    const res = await owner.gql<{ setPolicyShadow: PolicyView }>(`mutation($id: ID!) { setPolicyShadow(id: $id, shadow: true) { ${POLICY_FIELDS} } }`, {
      id: policy.id,
    });
    expect(res.errors).toBeUndefined();
    const shadowed = res.data!.setPolicyShadow;
    expect(shadowed).toMatchObject({ shadow: true, currentVersion: 2, format: 'YAML' });
    expect(shadowed.source).toContain('# never send keys to a model');
    expect(shadowed.source).toContain('shadow: true\nrules:');
    const delta = await policyDelta(stream);
    expect(delta.changed.policies![policy.id]).toMatchObject({ version: 2, document: expect.objectContaining({ shadow: true }) });

    const off = await owner.gql<{ setPolicyShadow: PolicyView }>(`mutation($id: ID!) { setPolicyShadow(id: $id, shadow: false) { ${POLICY_FIELDS} } }`, {
      id: policy.id,
    });
    expect(off.data!.setPolicyShadow).toMatchObject({ shadow: false, currentVersion: 3 });
    expect(off.data!.setPolicyShadow.source).toContain('shadow: false\nrules:');
    expect((await policyDelta(stream)).changed.policies![policy.id].version).toBe(3);
  });

  it('publishes a disabled policy as disabled without spending a version', async () => {
    const stream = node('policy-enable-node');
    await stream.next();
    const policy = await createPolicy(owner, 'name: Toggle me\nrules:\n  - id: tag-all\n    action: { type: log, tags: [seen] }\n', { enabled: false });
    expect(policy.enabled).toBe(false);
    expect((await policyDelta(stream)).changed.policies![policy.id]).toMatchObject({ enabled: false, version: 1 });
    const res = await owner.gql<{ setPolicyEnabled: PolicyView }>(`mutation($id: ID!) { setPolicyEnabled(id: $id, enabled: true) { ${POLICY_FIELDS} } }`, {
      id: policy.id,
    });
    expect(res.data!.setPolicyEnabled).toMatchObject({ enabled: true, currentVersion: 1 });
    expect((await policyDelta(stream)).changed.policies![policy.id]).toMatchObject({ enabled: true, version: 1 });
  });
});

describe('attaching policies', () => {
  it('publishes organization, team and key attachments, and a key’s policies only there, not again on the key', async () => {
    const org = await createOrgWithMember(cp, 'admin');
    const stream = node('policy-attach-node');
    await stream.next();
    const policy = await createPolicy(org, 'name: Everywhere\nrules:\n  - id: tag\n    action: { type: log, tags: [x] }\n');
    await policyDelta(stream);
    const teamId = await createTeam(org, 'Platform');
    const key = await createKey(org, 'deploy bot');

    const attachOrg = await org.gql<{ attachPolicy: PolicyView }>(ATTACH, { id: policy.id, scope: { kind: 'ORG' } });
    expect(attachOrg.data!.attachPolicy.attachments).toEqual([{ kind: 'ORG', id: org.orgId, name: expect.stringMatching(/^Org /) }]);
    expect((await policyDelta(stream)).changed.policies![policy.id].attachments).toEqual([{ kind: 'org', id: org.orgId }]);

    await org.gql(ATTACH, { id: policy.id, scope: { kind: 'TEAM', id: teamId } });
    await policyDelta(stream);
    const attachKey = await org.gql<{ attachPolicy: PolicyView }>(ATTACH, { id: policy.id, scope: { kind: 'KEY', id: key.id } });
    expect(attachKey.data!.attachPolicy.attachments).toEqual([
      { kind: 'ORG', id: org.orgId, name: expect.any(String) },
      { kind: 'TEAM', id: teamId, name: 'Platform' },
      { kind: 'KEY', id: key.id, name: 'deploy bot' },
    ]);
    const delta = await policyDelta(stream);
    expect(delta.changed.policies![policy.id].attachments).toEqual([
      { kind: 'org', id: org.orgId },
      { kind: 'team', id: teamId },
      { kind: 'key', id: key.id },
    ]);
    // Published once, as the policy's attachment: the key's own entry does not change.
    expect(delta.changed.keys?.[key.hash]).toBeUndefined();

    const again = await org.gql<{ attachPolicy: PolicyView }>(ATTACH, { id: policy.id, scope: { kind: 'KEY', id: key.id } });
    expect(again.data!.attachPolicy.attachments).toHaveLength(3);

    const detached = await org.gql<{ detachPolicy: PolicyView }>(DETACH, { id: policy.id, scope: { kind: 'KEY', id: key.id } });
    expect(detached.data!.detachPolicy.attachments.map((a) => a.kind)).toEqual(['ORG', 'TEAM']);
    const after = await policyDelta(stream);
    expect(after.changed.policies![policy.id].attachments).toEqual([
      { kind: 'org', id: org.orgId },
      { kind: 'team', id: teamId },
    ]);
    expect(after.changed.keys?.[key.hash]).toBeUndefined();

    const notThere = await org.gql(DETACH, { id: policy.id, scope: { kind: 'KEY', id: key.id } });
    expect(notThere.errors?.[0]).toMatchObject({ message: `Policy "Everywhere" is not attached to key ${key.id}.`, extensions: { code: 'NOT_FOUND' } });

    await org.gql('mutation($id: ID!) { deleteTeam(id: $id) }', { id: teamId });
    const teamGone = await policyDelta(stream);
    expect(teamGone.changed.policies![policy.id].attachments).toEqual([{ kind: 'org', id: org.orgId }]);
  });

  it('refuses scopes outside the organization and revoked keys', async () => {
    const org = await createOrgWithMember(cp, 'admin');
    const other = await createOrgWithMember(cp, 'admin');
    const policy = await createPolicy(org, 'name: Scoped\nrules:\n  - id: tag\n    action: log\n');
    const foreignTeam = await createTeam(other, 'Theirs');
    const foreignKey = await createKey(other, 'their key');

    const team = await org.gql(ATTACH, { id: policy.id, scope: { kind: 'TEAM', id: foreignTeam } });
    expect(team.errors?.[0]).toMatchObject({ message: `No team with id ${foreignTeam} in this organization.`, extensions: { code: 'NOT_FOUND' } });
    const key = await org.gql(ATTACH, { id: policy.id, scope: { kind: 'KEY', id: foreignKey.id } });
    expect(key.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const orgScope = await org.gql(ATTACH, { id: policy.id, scope: { kind: 'ORG', id: other.orgId } });
    expect(orgScope.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    const noId = await org.gql(ATTACH, { id: policy.id, scope: { kind: 'TEAM' } });
    expect(noId.errors?.[0]).toMatchObject({ message: 'scope.id is required for TEAM.', extensions: { code: 'BAD_USER_INPUT' } });

    const mine = await createKey(org, 'soon revoked');
    await org.gql('mutation($id: ID!) { revokeKey(id: $id) { id } }', { id: mine.id });
    const revoked = await org.gql(ATTACH, { id: policy.id, scope: { kind: 'KEY', id: mine.id } });
    expect(revoked.errors?.[0]).toMatchObject({
      message: 'Key "soon revoked" is revoked; policies cannot be attached to it.',
      extensions: { code: 'CONFLICT' },
    });

    const theirs = await other.gql('query($id: ID!) { policy(id: $id) { id } }', { id: policy.id });
    expect(theirs.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const list = await other.gql<{ policies: { id: string }[] }>('{ policies { id } }');
    expect(list.data!.policies).toEqual([]);
  });

  it('removes a deleted policy from the config, which takes it off its keys', async () => {
    const org = await createOrgWithMember(cp, 'admin');
    const stream = node('policy-delete-node');
    await stream.next();
    const policy = await createPolicy(org, 'name: Short-lived\nrules:\n  - id: tag\n    action: log\n');
    const key = await createKey(org, 'k');
    await org.gql(ATTACH, { id: policy.id, scope: { kind: 'KEY', id: key.id } });
    let delta = await policyDelta(stream);
    while (!delta.changed.policies?.[policy.id]?.attachments.some((a) => a.id === key.id)) delta = await policyDelta(stream);

    const res = await org.gql<{ deletePolicy: string }>('mutation($id: ID!) { deletePolicy(id: $id) }', { id: policy.id });
    expect(res.data!.deletePolicy).toBe(policy.id);
    const removal = await policyDelta(stream);
    expect(removal.removed.policies).toEqual([policy.id]);
    expect(removal.changed.keys?.[key.hash]).toBeUndefined();
    const gone = await org.gql('query($id: ID!) { policyVersions(id: $id) { version } }', { id: policy.id });
    expect(gone.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('invalid policies', () => {
  it('lists every error with the rule and the field it is in', async () => {
    const source = `name: Broken
rules:
  - id: ok-rule
    action: log
  - id: block-secrets
    when: { all: [ { model: gpt-4o }, { prompt: { regex: "(" } } ] }
    action: block
  - id: bad-hold
    action: { type: hold, timeoutSeconds: 0 }
`;
    const res = await owner.gql(CREATE, { input: { source } });
    expect(res.data).toBeNull();
    const error = res.errors![0];
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(
      /^The policy is not valid: rule "block-secrets" \(#2\): "when\.all\[1\]\.prompt\.regex" is not a valid regular expression.*\(and 1 more error\)$/,
    );
    const errors = error.extensions!.errors as { path: string; rule: { index: number; id: string | null } | null; message: string }[];
    expect(errors.map((e) => [e.path, e.rule])).toEqual([
      ['rules[1].when.all[1].prompt.regex', { index: 1, id: 'block-secrets' }],
      ['rules[2].action.timeoutSeconds', { index: 2, id: 'bad-hold' }],
    ]);
    expect(errors[1].message).toMatch(/^rule "bad-hold" \(#3\): "action\.timeoutSeconds"/);
  });

  it('reports YAML syntax errors with their line, and refuses a new version that does not validate', async () => {
    const syntax = await owner.gql(CREATE, { input: { source: 'name: x\nrules:\n  - id: a\n   action: log\n', format: 'YAML' } });
    expect(syntax.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(syntax.errors![0].message).toMatch(/not valid YAML \(line \d+, column \d+\)/);

    const policy = await createPolicy(owner, 'name: Stays valid\nrules:\n  - id: a\n    action: log\n');
    const bad = await owner.gql(UPDATE, { id: policy.id, source: '{"name": "Stays valid", "rules": [{"id": "A B", "action": "log"}]}' });
    expect(bad.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((bad.errors![0].extensions!.errors as { path: string }[])[0].path).toBe('rules[0].id');
    const still = await owner.gql<{ policy: PolicyView }>(`query($id: ID!) { policy(id: $id) { ${POLICY_FIELDS} } }`, { id: policy.id });
    expect(still.data!.policy.currentVersion).toBe(1);
  });

  it('answers bad ids with precise errors', async () => {
    const res = await owner.gql('query { policy(id: "not-an-id") { id } }');
    expect(res.errors![0]).toMatchObject({ message: '"not-an-id" is not a policy id.', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('lets auditors read policies but not change them', async () => {
    const auditor = await createOrgWithMember(cp, 'auditor');
    expect((await auditor.gql('{ policies { id } }')).errors).toBeUndefined();
    const refused = await auditor.gql(CREATE, { input: { source: 'name: x\nrules: []\n' } });
    expect(refused.errors![0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('testing a policy against a sample', () => {
  it('reports every rule with its reason and the decision, for unsaved text', async () => {
    const res = await owner.gql<{ testPolicy: any }>(TEST, {
      input: {
        source: GUARDRAILS_YAML,
        sample: {
          model: 'gpt-4o',
          messages: [{ role: 'user', text: 'Mail bob@example.com the report' }],
          estimatedCostMicros: 900_000,
          response: { toolCalls: [{ name: 'shell_exec', arguments: { command: 'rm -rf /tmp/x' } }] },
        },
      },
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const { request, response } = res.data!.testPolicy;
    expect(request.rules.map((r: any) => [r.ruleId, r.on, r.action, r.matched, r.reached])).toEqual([
      ['no-credentials', 'REQUEST', 'BLOCK', false, true],
      ['contacts', 'REQUEST', 'REDACT', true, true],
      ['big-spend', 'REQUEST', 'HOLD', true, true],
    ]);
    expect(request.rules[1].reason).toMatch(/email/);
    expect(request.decision).toMatchObject({
      action: 'HOLD',
      block: null,
      hold: { timeoutSeconds: 600, onTimeout: 'block' },
      matches: [
        { ruleId: 'contacts', action: 'REDACT', shadow: false },
        { ruleId: 'big-spend', action: 'HOLD', shadow: false },
      ],
    });
    expect(request.decision.redact).toEqual([expect.objectContaining({ ruleId: 'contacts', detectors: ['email', 'phone'] })]);
    expect(response.rules).toEqual([expect.objectContaining({ ruleId: 'destructive-answer', matched: true })]);
    expect(response.decision).toMatchObject({ action: 'BLOCK', block: { status: 403 } });
  });

  it('tests a stored version by id and explains sample mistakes field by field', async () => {
    const policy = await createPolicy(owner, 'name: Tools\nrules:\n  - id: no-shell\n    when: { toolOffered: shell* }\n    action: block\n');
    const res = await owner.gql<{ testPolicy: any }>(TEST, { input: { policyId: policy.id, version: 1, sample: { tools: ['shell_exec'] } } });
    expect(res.data!.testPolicy.request.decision.action).toBe('BLOCK');
    expect(res.data!.testPolicy.response).toBeNull();

    const bad = await owner.gql(TEST, { input: { policyId: policy.id, sample: { provider: 'cohere', api: 'grpc' } } });
    expect(bad.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((bad.errors![0].extensions!.errors as { path: string }[]).map((e) => e.path)).toEqual(['sample.provider', 'sample.api']);

    const both = await owner.gql(TEST, { input: { policyId: policy.id, source: 'name: x\nrules: []', sample: {} } });
    expect(both.errors![0]).toMatchObject({ message: 'Give exactly one of input.source and input.policyId.', extensions: { code: 'BAD_USER_INPUT' } });
    const noVersion = await owner.gql(TEST, { input: { policyId: policy.id, version: 9, sample: {} } });
    expect(noVersion.errors![0]).toMatchObject({ message: 'Policy "Tools" has no version 9 (its current version is 1).', extensions: { code: 'NOT_FOUND' } });
  });
});
