import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { uuidv7, type ConfigSnapshot, type PolicyConfig } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockBehaviour, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { failure } from './support/failure.js';
import { startFakeApprovals, type FakeApprovals } from './support/fake-approvals.js';
import { testPolicy, withPolicies } from './support/policies.js';
import { expectNoSecretsIn } from './support/secrets.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

const SHELL_TOOL = { type: 'function' as const, function: { name: 'shell_exec', parameters: { type: 'object', properties: {} } } };
const headers = (b: MockBehaviour) => ({ [BEHAVIOUR_HEADER]: JSON.stringify(b) });
const caseHeader = (name: string) => ({ 'x-keyward-case': name });

/** Reads an HTTP body as it arrives. */
class BodyReader {
  text = '';
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private done = false;
  constructor(res: Response) {
    this.reader = res.body!.getReader();
  }
  /** Reads until `predicate` holds on the text so far (or the body ends). */
  async until(predicate: (text: string) => boolean): Promise<string> {
    while (!predicate(this.text) && !this.done) {
      const { value, done } = await this.reader.read();
      if (done) this.done = true;
      else this.text += this.decoder.decode(value, { stream: true });
    }
    return this.text;
  }
  rest(): Promise<string> {
    return this.until(() => false);
  }
}

describe('holding requests for human approval', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let approvals: FakeApprovals;
  let dp: TestDataPlane;
  let key: TestKey;
  let budgetKey: TestKey;
  let policy: PolicyConfig;
  let snapshot: ConfigSnapshot;
  const openai = () => new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
  const anthropic = () => new Anthropic({ apiKey: key.secret, baseURL: dp.url, maxRetries: 0 });
  const gemini = () => new GoogleGenAI({ apiKey: key.secret, httpOptions: { baseUrl: dp.url } });
  const streamChat = (extra: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      signal,
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json', ...extra },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        stream: true,
        tools: [SHELL_TOOL],
        messages: [{ role: 'user', content: 'Clean the disk of jane.doe@example.com' }],
      }),
    });

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    approvals = await startFakeApprovals();
    const credentials = [
      await world.credential('openai', `${mock.url}/v1`),
      await world.credential('anthropic', mock.url),
      await world.credential('gemini', mock.url),
    ];
    key = world.key();
    policy = testPolicy(world, {
      name: 'Needs a human',
      rules: [
        {
          id: 'quick-block',
          when: { header: { name: 'x-keyward-case', eq: 'timeout-block' } },
          action: { type: 'hold', timeoutSeconds: 1, onTimeout: 'block' },
        },
        {
          id: 'quick-allow',
          when: { header: { name: 'x-keyward-case', eq: 'timeout-allow' } },
          action: { type: 'hold', timeoutSeconds: 1, onTimeout: 'allow' },
        },
        { id: 'shell-access', when: { toolOffered: 'shell*' }, action: { type: 'hold', timeoutSeconds: 60, onTimeout: 'block' } },
        { id: 'claude-review', when: { model: 'claude-*' }, action: { type: 'hold', timeoutSeconds: 60 } },
        { id: 'deploys', on: 'response', when: { toolCall: { name: 'deploy' } }, action: { type: 'hold', timeoutSeconds: 60 } },
      ],
    });
    budgetKey = world.key();
    const budget = {
      id: uuidv7(),
      orgId: world.org.id,
      scope: { kind: 'key' as const, id: budgetKey.config.id },
      period: 'month' as const,
      limitMicros: 1,
      action: 'hold' as const,
      alertThresholds: [],
    };
    snapshot = { ...withPolicies(world.snapshot({ keys: [key, budgetKey], credentials }), [policy]), budgets: { [budget.id]: budget } };
    dp = await startTestDataPlane({
      world,
      snapshot,
      eventsUrl: collector.eventsUrl,
      controlPlaneUrl: approvals.url,
      env: { KEYWARD_HOLD_KEEPALIVE_SECONDS: '0.1' },
    });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
    await approvals?.close();
  });

  beforeEach(() => mock.reset());

  describe('before forwarding', () => {
    it('keeps a streaming agent waiting with SSE comments, then forwards once a person approves', async () => {
      const res = await streamChat();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const body = new BodyReader(res);
      const request = await approvals.nextRequest();
      expect(request).toMatchObject({
        orgId: world.org.id,
        keyId: key.config.id,
        nodeId: 'test-node',
        requestId: res.headers.get('x-request-id'),
        phase: 'request',
        reason: { kind: 'policy', policyId: policy.id, policyVersion: 1, ruleId: 'shell-access' },
        api: 'openai',
        endpoint: 'chat.completions',
        model: 'gpt-4o-mini',
        onTimeout: 'block',
        summary: { messages: [{ role: 'user', text: 'Clean the disk of [EMAIL_1]' }], toolCalls: [] },
      });
      expect(Date.parse(request.expiresAt) - Date.now()).toBeGreaterThan(50_000);
      await body.until((t) => t.split(': keyward-hold\n\n').length > 3);
      expect(mock.requests).toHaveLength(0);
      expect(body.text).not.toContain('data:');

      approvals.decide(request.id, 'approved');
      const text = await body.rest();
      expect(text).toContain('"content":"Hello');
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
      expect(mock.requests).toHaveLength(1);
      expect(await approvals.outcomeOf(request.id)).toBe('forwarded');
      const event = await eventFor(collector, res.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'approved', approvalId: request.id, status: 200, errorCode: null });
      expect(event.policyMatches).toEqual([{ policyId: policy.id, policyVersion: 1, ruleId: 'shell-access', action: 'hold', phase: 'request', shadow: false }]);
    });

    it('turns a provider error after keep-alives into the stream’s error event', async () => {
      const res = await streamChat(headers({ error: { status: 429, message: 'Slow down.' } }));
      const body = new BodyReader(res);
      const request = await approvals.nextRequest();
      await body.until((t) => t.includes(': keyward-hold'));
      approvals.decide(request.id, 'approved');
      const text = await body.rest();
      expect(text.trimEnd().split('\n\n').at(-1)).toBe(
        `data: ${JSON.stringify({ error: { message: 'Slow down.', type: 'rate_limit_exceeded', param: null, code: 'upstream_error' } })}`,
      );
      const event = await eventFor(collector, res.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'error', status: 429, errorCode: 'upstream_error', approvalId: request.id });
    });

    it('ends a held stream with the approver’s reason when rejected, which the official client throws', async () => {
      const call = openai()
        .chat.completions.create({ model: 'gpt-4o-mini', stream: true, tools: [SHELL_TOOL], messages: [{ role: 'user', content: 'rm everything' }] })
        .then(async (stream) => {
          for await (const _chunk of stream);
        });
      const request = await approvals.nextRequest();
      await new Promise((resolve) => setTimeout(resolve, 300));
      approvals.decide(request.id, 'rejected', 'Not during the release freeze.');
      const err = await failure(call);
      expect(err.message).toContain('rejected by an approver: Not during the release freeze.');
      expect(mock.requests).toHaveLength(0);
      expect(await approvals.outcomeOf(request.id)).toBe('rejected');
      const event = await vi.waitFor(() => {
        const found = collector.events.find((e) => e.approvalId === request.id);
        if (!found) throw new Error('no event yet');
        return found;
      });
      expect(event).toMatchObject({ decision: 'rejected', errorCode: 'request_rejected' });
    });

    it('answers a held non-streaming Anthropic request with 403 and the reason, or forwards it once approved', async () => {
      const rejected = failure(anthropic().messages.create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }));
      const first = await approvals.nextRequest();
      expect(first).toMatchObject({ api: 'anthropic', endpoint: 'messages', onTimeout: 'block', reason: { ruleId: 'claude-review' } });
      approvals.decide(first.id, 'rejected', 'Use the cheaper model.');
      const err = await rejected;
      expect(err.status).toBe(403);
      expect(err.error).toEqual({
        type: 'error',
        error: { type: 'permission_error', message: 'This request was rejected by an approver: Use the cheaper model.' },
      });

      const approved = anthropic().messages.create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
      approvals.decide((await approvals.nextRequest()).id, 'approved');
      expect((await approved).content[0]).toMatchObject({ type: 'text', text: 'Hello from the mock provider.' });
    });

    it('applies onTimeout: block when nobody answers in time', async () => {
      const started = Date.now();
      const err = await failure(
        openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: caseHeader('timeout-block') }),
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(err.status).toBe(403);
      expect(err.error).toMatchObject({ code: 'approval_timeout', message: expect.stringContaining('nobody answered within 1 seconds') });
      const request = await approvals.nextRequest();
      expect(await approvals.outcomeOf(request.id)).toBe('timed_out_blocked');
      expect(mock.requests).toHaveLength(0);
      const event = await eventFor(collector, err.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'blocked', errorCode: 'approval_timeout', approvalId: request.id });
    });

    it('applies onTimeout: allow (Gemini), tagging the event', async () => {
      const result = await gemini().models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'hi',
        config: { httpOptions: { headers: caseHeader('timeout-allow') } },
      });
      expect(result.text).toBe('Hello from the mock provider.');
      const request = await approvals.nextRequest();
      expect(request).toMatchObject({ api: 'gemini', onTimeout: 'allow' });
      expect(await approvals.outcomeOf(request.id)).toBe('timed_out_allowed');
      const event = await eventFor(collector, result.sdkHttpResponse?.headers?.['x-request-id'] ?? null);
      expect(event).toMatchObject({ decision: 'allowed', approvalId: request.id, tags: ['approval_timed_out'] });
    });

    it('treats an expiry sent by the control plane like a timeout', async () => {
      const call = failure(anthropic().messages.create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }));
      approvals.decide((await approvals.nextRequest()).id, 'expired');
      const err = await call;
      expect(err.status).toBe(403);
      expect(err.error.error.message).toContain('nobody answered');
    });

    it('holds a request over a `hold` budget for approval, then forwards it', async () => {
      const client = new OpenAI({ apiKey: budgetKey.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
      const call = client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      const request = await approvals.nextRequest();
      expect(request).toMatchObject({
        keyId: budgetKey.config.id,
        phase: 'request',
        reason: { kind: 'budget', budgetId: Object.keys(snapshot.budgets)[0] },
        onTimeout: 'block',
      });
      approvals.decide(request.id, 'approved');
      const { response } = await call;
      expect(mock.requests).toHaveLength(1);
      expect(await approvals.outcomeOf(request.id)).toBe('forwarded');
      expect(await eventFor(collector, response.headers.get('x-request-id'))).toMatchObject({ approvalId: request.id, status: 200 });
    });

    it('answers a rejected `hold` budget as every hold does: 403 request_rejected with the approver’s reason', async () => {
      const client = new OpenAI({ apiKey: budgetKey.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
      const call = failure(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
      const request = await approvals.nextRequest();
      expect(request).toMatchObject({ reason: { kind: 'budget' } });
      approvals.decide(request.id, 'rejected', 'The month is nearly over.');
      const err = await call;
      expect(err.status).toBe(403);
      expect(err.error.code).toBe('request_rejected');
      expect(err.message).toContain('rejected by an approver: The month is nearly over.');
      expect(mock.requests).toHaveLength(0);
      expect(await approvals.outcomeOf(request.id)).toBe('rejected');
      const event = await eventFor(collector, err.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'rejected', errorCode: 'request_rejected', approvalId: request.id });
    });

    it('reports client_gone when the agent disconnects while held', async () => {
      const abort = new AbortController();
      const res = await streamChat({}, abort.signal);
      const request = await approvals.nextRequest();
      abort.abort();
      expect(await approvals.outcomeOf(request.id)).toBe('client_gone');
      const event = await eventFor(collector, res.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'held', errorCode: 'client_closed', approvalId: request.id });
      expect(mock.requests).toHaveLength(0);
    });
  });

  describe('after the model answered', () => {
    const DEPLOY: MockBehaviour = {
      text: 'Deploying now.',
      chunks: 2,
      toolCalls: [{ name: 'deploy', arguments: { service: 'billing', to: 'jane.doe@example.com' } }],
    };

    it('holds a streamed tool call, keeps the agent waiting, and delivers it once approved', async () => {
      const res = await fetch(`${dp.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json', ...headers(DEPLOY) },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'ship it' }] }),
      });
      const body = new BodyReader(res);
      const request = await approvals.nextRequest();
      expect(request).toMatchObject({
        phase: 'response',
        reason: { ruleId: 'deploys' },
        summary: {
          messages: [
            { role: 'user', text: 'ship it' },
            { role: 'assistant', text: 'Deploying now.' },
          ],
          toolCalls: [{ name: 'deploy', arguments: '{"service":"billing","to":"[EMAIL_1]"}' }],
        },
      });
      await body.until((t) => t.includes(': keyward-hold'));
      expect(body.text).toContain('"content":"Deployi');
      expect(body.text).not.toContain('deploy"');

      approvals.decide(request.id, 'approved');
      const text = await body.rest();
      expect(text).toContain('"name":"deploy"');
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
      expect(await approvals.outcomeOf(request.id)).toBe('forwarded');
      const event = await eventFor(collector, res.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'approved', approvalId: request.id, status: 200 });
      expect(event.policyMatches).toEqual([expect.objectContaining({ ruleId: 'deploys', action: 'hold', phase: 'response' })]);
    });

    it('ends an Anthropic stream with an error when the held tool call is rejected', async () => {
      const stream = anthropic().messages.stream(
        { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'ship it' }] },
        { headers: headers(DEPLOY) },
      );
      approvals.decide((await approvals.nextRequest()).id, 'approved'); // the request-phase hold on claude-*
      const request = await approvals.nextRequest();
      expect(request.phase).toBe('response');
      approvals.decide(request.id, 'rejected', 'Deploys need a change ticket.');
      const err = await failure(stream.finalMessage());
      expect(err.message).toContain("The model's answer was rejected by an approver: Deploys need a change ticket.");
    });
  });

  it('writes no secret to any log line', () => {
    expectNoSecretsIn(dp.logs, [...world.secrets, 'jane.doe@example.com']);
  });

  describe('across a restart', () => {
    it('reports node_restarted for a request the node was holding when it stopped', async () => {
      const stateDir = await mkdtemp(join(tmpdir(), 'keyward-dp-approvals-'));
      const options = { world, snapshot, eventsUrl: collector.eventsUrl, controlPlaneUrl: approvals.url, stateDir, env: { KEYWARD_DRAIN_SECONDS: '0.3' } };
      try {
        const first = await startTestDataPlane(options);
        approvals.setOutcomeMode('unavailable');
        const held = fetch(`${first.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', tools: [SHELL_TOOL], messages: [{ role: 'user', content: 'hi' }] }),
        }).then(
          (r) => r.status,
          () => 'cut',
        );
        const request = await approvals.nextRequest();
        await first.close();
        expect(await held).toBe('cut');
        expect(approvals.outcomes.find((o) => o.id === request.id)).toBeUndefined();

        approvals.setOutcomeMode('accept');
        const second = await startTestDataPlane(options);
        expect(await approvals.outcomeOf(request.id)).toBe('node_restarted');
        await second.close();
      } finally {
        approvals.setOutcomeMode('accept');
        await rm(stateDir, { recursive: true, force: true });
      }
    });
  });
});
