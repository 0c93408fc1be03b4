import { randomBytes } from 'node:crypto';
import type { OrgMember } from '@keyward/control-plane/testing';
import OpenAI from 'openai';
import { eventually } from '../../support/system.js';
import type { ConsoleSystem } from './console-system.js';
import { waitForKeyOnNode } from './console-system.js';

/** What `seedOrganization` made, for a test to look for on screen. */
export interface SeededOrganization {
  readonly keyNames: readonly string[];
  readonly credentialName: string;
  readonly teamName: string;
  readonly apiTokenName: string;
  readonly nodeTokenName: string;
  readonly invitedEmail: string;
  /** Usage events the calls produced (completions and refusals, not the model-list probes). */
  readonly calls: number;
}

/**
 * Fills the operator's organization the way a few days of real use would, through the public
 * API and the official OpenAI client: a team, two credentials, keys with owners and model
 * limits, members and an invitation, tokens, and calls that succeed, stream, get refused by a
 * key's model list and fail upstream. Screens then have something realistic to show.
 */
export async function seedOrganization(world: ConsoleSystem): Promise<SeededOrganization> {
  const { system, operator } = world;
  const owner = system.owner;
  const suffix = randomBytes(2).toString('hex');

  const teamName = `Customer support ${suffix}`;
  const team = await must<{ createTeam: { id: string } }>(owner, 'mutation($i: CreateTeamInput!) { createTeam(input: $i) { id } }', {
    i: { name: teamName, description: 'Agents answering customer tickets' },
  });
  const credentialName = 'Mock OpenAI-compatible';
  await must(owner, 'mutation($i: CreateCredentialInput!) { createCredential(input: $i) { id } }', {
    i: { provider: 'OPENAI_COMPATIBLE', name: credentialName, apiKey: `sk-mock-${randomBytes(16).toString('hex')}`, baseUrl: `${system.mock.url}/v1` },
  });
  await must(owner, 'mutation($i: CreateCredentialInput!) { createCredential(input: $i) { id } }', {
    i: {
      provider: 'ANTHROPIC',
      name: 'Anthropic production',
      apiKey: `sk-ant-${randomBytes(16).toString('hex')}`,
      baseUrl: system.mock.url,
      models: ['claude-*'],
    },
  });

  const keySpecs = [
    { name: 'support-agent-prod', ownerLabel: 'support-bot', teamId: team.createTeam.id, allowedModels: ['gpt-4o-mini'] },
    { name: 'research-assistant', ownerLabel: 'jane@example.com', allowedModels: [] },
    { name: 'nightly-summaries', ownerLabel: 'etl-pipeline', allowedModels: ['gpt-4o*'], expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString() },
    { name: 'ci-evals', ownerLabel: 'github-actions', allowedModels: [] },
  ];
  const keys: { name: string; secret: string }[] = [];
  for (const spec of keySpecs) {
    const created = await must<{ createKey: { secret: string } }>(owner, 'mutation($i: CreateKeyInput!) { createKey(input: $i) { secret } }', { i: spec });
    keys.push({ name: spec.name, secret: created.createKey.secret });
  }
  for (const key of keys) await waitForKeyOnNode(system, key.secret);

  const client = (secret: string) => new OpenAI({ apiKey: secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
  let calls = 0;
  const call = async (secret: string, model: string, stream = false) => {
    calls++;
    try {
      if (!stream) return void (await client(secret).chat.completions.create({ model, messages: [{ role: 'user', content: 'Summarize ticket 4711' }] }));
      const chunks = await client(secret).chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'Draft a reply' }] });
      for await (const _ of chunks);
    } catch {
      // Refusals and upstream failures are part of the picture; their events are what matters.
    }
  };
  system.mock.setBehaviour({ usage: { inputTokens: 1_850, outputTokens: 420 } }, { model: 'gpt-4o' });
  system.mock.setBehaviour({ error: { status: 429, message: 'Rate limit reached for requests' } }, { model: 'gpt-4.1' });
  const [support, research, nightly, ci] = keys.map((k) => k.secret) as [string, string, string, string];
  for (let i = 0; i < 4; i++) await call(support, 'gpt-4o-mini', i % 2 === 0);
  await call(support, 'gpt-4o'); // refused: the key allows gpt-4o-mini only
  for (let i = 0; i < 3; i++) await call(research, 'gpt-4o', i === 0);
  await call(research, 'gpt-4.1'); // the provider answers 429
  await call(nightly, 'gpt-4o-mini', true);
  await call(ci, 'gpt-4o-mini');
  system.mock.setBehaviour(null);

  const invitedEmail = `new.hire.${suffix}@example.com`;
  await must(owner, 'mutation($e: String!) { inviteMember(email: $e, role: DEVELOPER) { id } }', { e: invitedEmail });
  await world.addPerson(owner.orgId, 'developer');
  await world.addPerson(owner.orgId, 'auditor');
  const apiTokenName = 'Terraform provider';
  const token = await system.cp.gql(
    'mutation($n: String!) { createApiToken(name: $n, role: ADMIN) { token { id } } }',
    { n: apiTokenName },
    { session: operator.session },
  );
  if (token.errors) throw new Error(`createApiToken failed: ${JSON.stringify(token.errors)}`);
  const nodeTokenName = 'eu-west-1 gateway';
  await must(owner, 'mutation($n: String!) { createNodeToken(name: $n) { token { id } } }', { n: nodeTokenName });

  // Every call's event reached the control plane before a screen is photographed.
  await eventually(
    async () => {
      const res = await owner.gql<{ usageEvents: { nodes: { model: string | null }[] } }>('{ usageEvents(first: 100) { nodes { model } } }');
      return (res.data?.usageEvents.nodes.filter((e) => e.model).length ?? 0) >= calls ? true : undefined;
    },
    15_000,
    'the seeded calls to be recorded',
  );
  return { keyNames: keys.map((k) => k.name), credentialName, teamName, apiTokenName, nodeTokenName, invitedEmail, calls };
}

async function must<T = Record<string, unknown>>(member: OrgMember, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await member.gql<T>(query, variables);
  if (!res.data || res.errors) throw new Error(`seeding failed: ${JSON.stringify(res.errors)}`);
  return res.data;
}

/** The name of the policy `seedHeldRequests` adds. */
export const HOLD_POLICY_NAME = 'Shell needs a human';

/** What `seedHeldRequests` made: a policy that holds, one request decided and one still waiting. */
export interface SeededHolds {
  /** Gives up the request still waiting (its agent hangs up), so no call outlives the test. */
  cancel(): void;
}

/** Long enough to run below the fold on a phone, so the editor is checked there too. */
const HOLD_POLICY = `# Agents with a shell wait for a person; destructive tools are held, the rest logged.
name: ${HOLD_POLICY_NAME}
description: Requests that offer the model a shell wait for a person.
rules:
  # An approver has an hour; nobody answering blocks the request.
  - id: shell
    when: { toolOffered: "shell*" }
    action: { type: hold, timeoutSeconds: 3600, onTimeout: block }
  - id: destructive-tools
    on: tool_call
    when: { tool: ["delete_*", "drop_*", "*_transfer"] }
    action: { type: hold, timeoutSeconds: 600, onTimeout: block }
  - id: tag-tool-calls
    on: tool_call
    action: { type: log, tags: [tool-call] }
  - id: costly
    when: { costMicros: { gt: 2000000 } }
    action: { type: log, tags: [costly] }
  - id: no-huge-answers
    when: { maxOutputTokens: { gt: 32000 } }
    action: { type: block, status: 422, message: "Ask for at most 32000 output tokens." }
`;

/**
 * Adds a key and a policy on it that holds requests offering a shell tool, and makes two of the
 * key's calls wait for a person: one is approved with a reason (the Approvals history and its
 * drawer have something to show), the other stays in the queue until `cancel`.
 */
export async function seedHeldRequests(world: ConsoleSystem): Promise<SeededHolds> {
  const { system } = world;
  const owner = system.owner;
  const key = await system.createKey({ name: 'ops-agent' });
  const policy = await must<{ createPolicy: { id: string } }>(owner, 'mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }', {
    input: { source: HOLD_POLICY },
  });
  await must(owner, 'mutation($id: ID!, $key: ID!) { attachPolicy(id: $id, scope: { kind: KEY, id: $key }) { id } }', {
    id: policy.createPolicy.id,
    key: key.id,
  });
  await waitForKeyOnNode(system, key.secret);

  const agent = new AbortController();
  const openai = new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0, timeout: 3_600_000 });
  // A held stream waits out the policy's hour (an unstreamed request is let go sooner), kept open by keep-alives.
  const ask = (stream: boolean) =>
    openai.chat.completions
      .create(
        {
          model: 'gpt-4o-mini',
          stream,
          tools: [{ type: 'function', function: { name: 'shell_exec', parameters: { type: 'object', properties: {} } } }],
          messages: [{ role: 'user', content: 'Free some disk space on the build box' }],
        },
        { signal: agent.signal },
      )
      .then(async (answer) => {
        if (Symbol.asyncIterator in answer) for await (const _ of answer);
        return 'answered';
      })
      .catch(() => 'refused');
  const pending = async () =>
    (await must<{ approvals: { nodes: { id: string }[] } }>(owner, '{ approvals(filter: { status: [PENDING] }) { nodes { id } } }', {})).approvals.nodes;
  // The policy reaches the node a moment after the mutation: ask until a call is held, then hold a second.
  const first = await eventually(
    async () => {
      const call = ask(false);
      const held = await Promise.race([
        eventually(async () => ((await pending()).length > 0 ? true : undefined), 3_000).catch(() => false),
        call.then(() => false),
      ]);
      return held ? { call } : undefined;
    },
    30_000,
    'a request held by the policy',
  );
  const [decided] = await pending();
  void ask(true);
  await eventually(async () => ((await pending()).length === 2 ? true : undefined), 10_000, 'a second held request');
  await must(owner, 'mutation($id: ID!) { approveRequest(id: $id, reason: "Routine clean-up, go ahead") { id } }', { id: decided!.id });
  if ((await first.call) !== 'answered') throw new Error('the approved request was not answered');
  return { cancel: () => agent.abort() };
}
