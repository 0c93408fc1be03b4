import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import type { ConfigSnapshot, PolicyConfig } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { failure } from './support/failure.js';
import { testPolicy, withPolicies } from './support/policies.js';
import { expectNoSecretsIn } from './support/secrets.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

/** A made-up OpenAI project key: the credentials detector finds it, no provider accepts it. */
const LEAKED_KEY = 'sk-proj-' + 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0hIj3kLm6nOp9q_Rs-Tu';

const guardrails = {
  name: 'Production guardrails',
  rules: [
    {
      id: 'no-credentials',
      when: { prompt: { pii: 'credentials' } },
      action: { type: 'block', status: 422, message: 'Credentials must not be sent to models.' },
    },
    { id: 'contacts', when: { prompt: { pii: ['email', 'phone'] } }, action: { type: 'redact', detectors: ['email', 'phone'], restore: true } },
    { id: 'project-tag', when: { header: { name: 'x-keyward-project', eq: 'apollo' } }, action: { type: 'log', tags: ['project:apollo'] } },
    {
      id: 'no-secrets-in-system',
      when: { system: { contains: 'TOP SECRET' } },
      action: { type: 'block', status: 451, message: 'Classified system prompts stay home.' },
    },
    { id: 'trial-block', shadow: true, when: { prompt: { contains: 'shadowtest' } }, action: 'block' },
  ],
};

describe('request policies, enforced on every API', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let dp: TestDataPlane;
  let key: TestKey;
  let teamKey: TestKey;
  let credentials: TestCredential[];
  let org: PolicyConfig;
  let snapshot: ConfigSnapshot;
  const openai = (secret = key.secret) => new OpenAI({ apiKey: secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
  const anthropic = () => new Anthropic({ apiKey: key.secret, baseURL: dp.url, maxRetries: 0 });
  const gemini = () => new GoogleGenAI({ apiKey: key.secret, httpOptions: { baseUrl: dp.url } });

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    credentials = [
      await world.credential('openai', `${mock.url}/v1`),
      await world.credential('anthropic', mock.url),
      await world.credential('gemini', mock.url),
    ];
    key = world.key();
    const plain = world.key();
    teamKey = { secret: plain.secret, config: { ...plain.config, teamId: '0190a5d0-0000-7000-8000-00000000000a' } };
    org = testPolicy(world, guardrails);
    snapshot = withPolicies(world.snapshot({ keys: [key, teamKey], credentials }), [org]);
    dp = await startTestDataPlane({ world, snapshot, eventsUrl: collector.eventsUrl });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => mock.reset());

  describe('block', () => {
    it('refuses a prompt carrying a credential with the rule’s status and message, in OpenAI’s shape, and never forwards it', async () => {
      const err = await failure(openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `use ${LEAKED_KEY}` }] }));
      expect(err.status).toBe(422);
      expect(err.error).toMatchObject({ message: 'Credentials must not be sent to models.', code: 'blocked', type: 'invalid_request_error' });
      expect(mock.requests).toHaveLength(0);
      const event = await eventFor(collector, err.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'blocked', errorCode: 'blocked', status: 422, approvalId: null });
      expect(event.policyMatches).toEqual([{ policyId: org.id, policyVersion: 1, ruleId: 'no-credentials', action: 'block', phase: 'request', shadow: false }]);
    });

    it('refuses the Responses API when the credential is in the input items', async () => {
      const err = await failure(
        openai().responses.create({ model: 'gpt-4o-mini', input: [{ role: 'user', content: [{ type: 'input_text', text: `key: ${LEAKED_KEY}` }] }] }),
      );
      expect(err.status).toBe(422);
      expect(err.error.code).toBe('blocked');
      expect(mock.requests).toHaveLength(0);
    });

    it('refuses embeddings of a credential', async () => {
      const err = await failure(openai().embeddings.create({ model: 'text-embedding-3-small', input: ['fine', LEAKED_KEY] }));
      expect(err.status).toBe(422);
      expect(mock.requests).toHaveLength(0);
    });

    it('refuses in Anthropic’s shape, reading tool results too', async () => {
      const err = await failure(
        anthropic().messages.create({
          model: 'claude-haiku-4-5',
          max_tokens: 50,
          messages: [
            { role: 'user', content: 'read the env file' },
            { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: '.env' } }] },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: `OPENAI_API_KEY=${LEAKED_KEY}` }] },
          ],
        }),
      );
      expect(err.status).toBe(422);
      expect(err.error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'Credentials must not be sent to models.' } });
      expect(mock.requests).toHaveLength(0);
    });

    it('refuses in Gemini’s shape, reading the system instruction', async () => {
      const err = await failure(
        gemini().models.generateContent({ model: 'gemini-2.5-flash', contents: 'hello', config: { systemInstruction: 'This is TOP SECRET.' } }),
      );
      expect(err.status).toBe(451);
      expect(err.message).toContain('Classified system prompts stay home.');
      expect(mock.requests).toHaveLength(0);
    });
  });

  describe('redact', () => {
    it('replaces contact details in OpenAI chat messages before they leave and records the decision', async () => {
      const { response } = await openai()
        .chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [
            { role: 'system', content: 'You help with mail.' },
            { role: 'user', content: [{ type: 'text', text: 'Write to jane.doe@example.com or call +44 20 7946 0958.' }] },
          ],
        })
        .withResponse();
      const sent = mock.requests[0].body as { messages: { content: unknown }[] };
      expect(sent.messages[0].content).toBe('You help with mail.');
      expect(sent.messages[1].content).toEqual([{ type: 'text', text: 'Write to [EMAIL_1] or call [PHONE_1].' }]);
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'redacted', status: 200 });
      expect(event.policyMatches).toEqual([expect.objectContaining({ ruleId: 'contacts', action: 'redact', phase: 'request', shadow: false })]);
    });

    it('gives the same value the same placeholder across the Responses API’s instructions and input items', async () => {
      await openai().responses.create({
        model: 'gpt-4o-mini',
        instructions: 'Reply to jane.doe@example.com.',
        input: [
          { role: 'user', content: 'Mail jane.doe@example.com and bob@example.org.' },
          { type: 'function_call_output', call_id: 'call_1', output: 'sent to bob@example.org' },
        ],
      });
      const sent = mock.requests[0].body as { instructions: string; input: { content?: string; output?: string }[] };
      expect(sent.instructions).toBe('Reply to [EMAIL_1].');
      expect(sent.input[0].content).toBe('Mail [EMAIL_1] and [EMAIL_2].');
      expect(sent.input[1].output).toBe('sent to [EMAIL_2]');
    });

    it('redacts embeddings input', async () => {
      await openai().embeddings.create({ model: 'text-embedding-3-small', input: 'jane.doe@example.com' });
      expect((mock.requests[0].body as { input: string }).input).toBe('[EMAIL_1]');
    });

    it('redacts Anthropic system blocks, messages and tool results, and leaves the rest of the body alone', async () => {
      await anthropic().messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 50,
        system: [{ type: 'text', text: 'Owner: jane.doe@example.com' }],
        messages: [
          { role: 'user', content: 'My number is +44 20 7946 0958.' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { email: 'jane.doe@example.com' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'found jane.doe@example.com' }] }] },
        ],
      });
      const sent = mock.requests[0].body as { system: unknown; messages: { content: unknown }[]; max_tokens: number };
      expect(sent.system).toEqual([{ type: 'text', text: 'Owner: [EMAIL_1]' }]);
      expect(sent.messages[0].content).toBe('My number is [PHONE_1].');
      expect(sent.messages[1].content).toEqual([{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { email: '[EMAIL_1]' } }]);
      expect(sent.messages[2].content).toEqual([{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'found [EMAIL_1]' }] }]);
      expect(sent.max_tokens).toBe(50);
    });

    it('redacts Gemini contents and system instruction', async () => {
      await gemini().models.generateContent({
        model: 'gemini-2.5-flash',
        contents: [{ role: 'user', parts: [{ text: 'Ask jane.doe@example.com' }] }],
        config: { systemInstruction: 'Call +44 20 7946 0958 first.' },
      });
      const sent = mock.requests[0].body as { contents: { parts: { text: string }[] }[]; systemInstruction: { parts: { text: string }[] } };
      expect(sent.contents[0].parts[0].text).toBe('Ask [EMAIL_1]');
      expect(sent.systemInstruction.parts[0].text).toBe('Call [PHONE_1] first.');
    });
  });

  describe('log, allow and shadow mode', () => {
    it('tags the event of a request whose x-keyward header a rule looks for', async () => {
      const { response } = await openai()
        .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-keyward-project': 'apollo' } })
        .withResponse();
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'allowed', tags: ['project:apollo'] });
      expect(event.policyMatches).toEqual([expect.objectContaining({ ruleId: 'project-tag', action: 'log' })]);
    });

    it('forwards a request no rule matches byte for byte, with no matches recorded', async () => {
      const raw = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'plain question' }], temperature: 0.5 });
      const res = await fetch(`${dp.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
        body: raw,
      });
      expect(res.status).toBe(200);
      expect(mock.requests[0].body).toEqual(JSON.parse(raw));
      const event = await eventFor(collector, res.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'allowed', policyMatches: [], tags: [] });
    });

    it('records a shadow rule’s match without enforcing it', async () => {
      const { response } = await openai()
        .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'shadowtest please' }] })
        .withResponse();
      expect(response.status).toBe(200);
      expect(mock.requests).toHaveLength(1);
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event.decision).toBe('allowed');
      expect(event.policyMatches).toEqual([{ policyId: org.id, policyVersion: 1, ruleId: 'trial-block', action: 'block', phase: 'request', shadow: true }]);
    });
  });

  describe('where policies apply', () => {
    it('applies team and key policies (by attachment) after the organization’s, and ignores disabled and foreign ones and the policyIds older control planes listed', async () => {
      const tag = (name: string) => ({ name, rules: [{ id: name, action: { type: 'log', tags: [name] } }] });
      const team = testPolicy(world, tag('team'), { attachments: [{ kind: 'team', id: teamKey.config.teamId! }] });
      const attached = testPolicy(world, tag('attached'), { attachments: [{ kind: 'key', id: teamKey.config.id }] });
      const listed = testPolicy(world, tag('listed'), { attachments: [{ kind: 'key', id: teamKey.config.id }] });
      const unattached = testPolicy(world, tag('unattached'), { attachments: [] });
      const disabled = testPolicy(world, tag('disabled'), { enabled: false });
      const other = world.newOrg();
      const foreign = testPolicy(world, tag('foreign'), { orgId: other.id, attachments: [{ kind: 'key', id: teamKey.config.id }] });
      // Before attachments were the only place, keys also listed their policies; nodes ignore the list.
      const keyWithList = { ...teamKey, config: { ...teamKey.config, policyIds: [listed.id, unattached.id] } };
      dp.source!.publish(
        withPolicies(world.snapshot({ keys: [key, keyWithList], credentials, orgs: [other], version: 2 }), [
          org,
          team,
          attached,
          listed,
          unattached,
          disabled,
          foreign,
        ]),
      );
      await vi.waitFor(() => expect(dp.node.readiness().version).toBe(2));
      const { response } = await openai(teamKey.secret)
        .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event.tags).toEqual(['team', ...[attached, listed].sort((a, b) => (a.id < b.id ? -1 : 1)).map((p) => p.name)]);
      const { response: other2 } = await openai(key.secret)
        .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      expect((await eventFor(collector, other2.headers.get('x-request-id'))).tags).toEqual([]);
    });

    it('enforces a policy change delivered as a delta, without a restart', async () => {
      const version = dp.node.readiness().version!;
      const strict = testPolicy(world, {
        name: 'No Mondays',
        rules: [{ id: 'no-haiku', when: { model: 'claude-*' }, action: { type: 'block', status: 403, message: 'Claude is off today.' } }],
      });
      dp.source!.publish({
        type: 'delta',
        fromVersion: version,
        version: version + 1,
        generatedAt: new Date().toISOString(),
        changed: { policies: { [strict.id]: strict } },
        removed: {},
      });
      await vi.waitFor(() => expect(dp.node.readiness().version).toBe(version + 1));
      const err = await failure(anthropic().messages.create({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }));
      expect(err.status).toBe(403);
      expect(err.error.error).toEqual({ type: 'permission_error', message: 'Claude is off today.' });

      const bumped = testPolicy(
        world,
        { name: 'No Mondays', rules: [{ id: 'no-haiku', when: { model: 'claude-*' }, action: { type: 'log', tags: ['claude'] } }] },
        { id: strict.id, version: 2 },
      );
      dp.source!.publish({
        type: 'delta',
        fromVersion: version + 1,
        version: version + 2,
        generatedAt: new Date().toISOString(),
        changed: { policies: { [strict.id]: bumped } },
        removed: {},
      });
      await vi.waitFor(() => expect(dp.node.readiness().version).toBe(version + 2));
      const answer = await anthropic()
        .messages.create({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      const event = await eventFor(collector, answer.response.headers.get('x-request-id'));
      expect(event.policyMatches).toEqual([expect.objectContaining({ policyId: strict.id, policyVersion: 2, ruleId: 'no-haiku', action: 'log' })]);
    });
  });

  it('writes no secret, and none of the redacted values, to any log line', () => {
    expectNoSecretsIn(dp.logs, [...world.secrets, LEAKED_KEY, 'jane.doe@example.com']);
  });
});
