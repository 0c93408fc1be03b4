import { describe, expect, it } from 'vitest';
import { compilePolicies, PolicyCompileError } from './compile.js';
import type { RequestContext, ResponseContext } from './context.js';
import type { PolicyDocumentWithMeta, PolicyScope } from './types.js';

function request(overrides: Partial<RequestContext> = {}): RequestContext {
  return {
    provider: 'openai',
    api: 'openai',
    endpoint: 'chat.completions',
    model: 'gpt-4o',
    keyLabels: {},
    keyMetadata: {},
    headers: {},
    messages: [{ role: 'user', text: 'hello' }],
    systemText: '',
    toolsOffered: [],
    toolCalls: [],
    estimatedInputTokens: 10,
    maxOutputTokens: null,
    estimatedCostMicros: 100,
    now: new Date('2025-03-04T10:00:00Z'),
    ...overrides,
  };
}

let counter = 0;
function policy(rules: unknown[], extra: { id?: string; scope?: PolicyScope; shadow?: boolean; version?: number } = {}): PolicyDocumentWithMeta {
  return {
    id: extra.id ?? `p${++counter}`,
    version: extra.version ?? 1,
    scope: extra.scope ?? 'org',
    document: { name: 'test', shadow: extra.shadow ?? false, rules },
  };
}

const secretPrompt = request({ messages: [{ role: 'user', text: 'my key is AKIAIOSFODNN7EXAMPLE' }] });

describe('decisions within one policy', () => {
  it('allows when nothing matches, with nothing to redact or tag', () => {
    const set = compilePolicies([policy([{ id: 'never', when: { model: 'claude-*' }, action: 'block' }])]);
    expect(set.evaluateRequest(request())).toEqual({ action: 'allow', redact: [], tags: [], matches: [], shadow: null });
  });

  it('lets the first terminal match end the policy', () => {
    const set = compilePolicies([
      policy(
        [
          { id: 'trusted', when: { keyLabel: { name: 'tier', eq: 'trusted' } }, action: 'allow' },
          {
            id: 'no-secrets',
            when: { prompt: { pii: 'credentials' } },
            action: { type: 'block', status: 422, message: 'no secrets' },
          },
        ],
        { id: 'guard' },
      ),
    ]);
    expect(set.evaluateRequest({ ...secretPrompt, keyLabels: { tier: 'trusted' } })).toMatchObject({
      action: 'allow',
      matches: [{ policyId: 'guard', ruleId: 'trusted', action: 'allow', shadow: false }],
    });
    expect(set.evaluateRequest(secretPrompt)).toMatchObject({
      action: 'block',
      block: { status: 422, message: 'no secrets' },
      matches: [{ ruleId: 'no-secrets' }],
    });
  });

  it('accumulates redactions and tags before the terminal match, and ignores rules after it', () => {
    const set = compilePolicies([
      policy(
        [
          { id: 'tag', action: { type: 'log', tags: ['seen', 'audit'] } },
          { id: 'emails', action: { type: 'redact', detectors: 'email', restore: true } },
          { id: 'stop', action: 'allow' },
          { id: 'late-tag', action: { type: 'log', tags: ['late'] } },
        ],
        { id: 'acc' },
      ),
    ]);
    const decision = set.evaluateRequest(request());
    expect(decision.action).toBe('allow');
    expect(decision.tags).toEqual(['seen', 'audit']);
    expect(decision.redact).toEqual([{ policyId: 'acc', ruleId: 'emails', detectors: ['email'], patterns: [], replacement: 'placeholder', restore: true }]);
    expect(decision.matches.map((m) => m.ruleId)).toEqual(['tag', 'emails', 'stop']);
  });
});

describe('decisions across policies', () => {
  it('lets the most restrictive terminal action win: block over hold over allow', () => {
    const allow = policy([{ id: 'a', action: 'allow' }], { id: 'a' });
    const hold = policy([{ id: 'h', action: 'hold' }], { id: 'h' });
    const block = policy([{ id: 'b', action: 'block' }], { id: 'b' });
    expect(compilePolicies([allow, hold]).evaluateRequest(request()).action).toBe('hold');
    expect(compilePolicies([hold, block, allow]).evaluateRequest(request()).action).toBe('block');
    expect(compilePolicies([allow]).evaluateRequest(request()).action).toBe('allow');
  });

  it('lets an explicit allow in one policy never override a block in another', () => {
    const set = compilePolicies([
      policy([{ id: 'ok', action: 'allow' }], { scope: 'key', id: 'k' }),
      policy([{ id: 'no', action: 'block' }], { scope: 'org', id: 'o' }),
    ]);
    expect(set.evaluateRequest(request()).action).toBe('block');
  });

  it('evaluates organization, then team, then key policies, by id within a scope, whatever the input order', () => {
    const set = compilePolicies([
      policy([{ id: 'k', action: { type: 'block', message: 'from key' } }], { scope: 'key', id: 'a-key' }),
      policy([{ id: 't', action: { type: 'log', tags: ['team'] } }], { scope: 'team', id: 'a-team' }),
      policy([{ id: 'o2', action: { type: 'block', message: 'from org z' } }], { scope: 'org', id: 'z-org' }),
      policy([{ id: 'o1', action: { type: 'log', tags: ['org'] } }], { scope: 'org', id: 'b-org' }),
    ]);
    expect(set.policies.map((p) => p.id)).toEqual(['b-org', 'z-org', 'a-team', 'a-key']);
    const decision = set.evaluateRequest(request());
    expect(decision.matches.map((m) => m.ruleId)).toEqual(['o1', 'o2', 't', 'k']);
    expect(decision.block?.message).toBe('from org z'); // the first block in evaluation order
    expect(decision.tags).toEqual(['org', 'team']);
  });

  it('merges holds: block-on-timeout wins, then the shortest timeout', () => {
    const set = compilePolicies([
      policy([{ id: 'a', action: { type: 'hold', timeoutSeconds: 60, onTimeout: 'allow' } }], { id: 'a' }),
      policy([{ id: 'b', action: { type: 'hold', timeoutSeconds: 600, onTimeout: 'block' } }], { id: 'b' }),
      policy([{ id: 'c', action: { type: 'hold', timeoutSeconds: 120, onTimeout: 'block' } }], { id: 'c' }),
    ]);
    expect(set.evaluateRequest(request()).hold).toEqual({ timeoutSeconds: 120, onTimeout: 'block' });
  });

  it('unions redactions and tags of every policy', () => {
    const set = compilePolicies([
      policy(
        [
          { id: 'r1', action: { type: 'redact', detectors: 'email' } },
          { id: 'l1', action: { type: 'log', tags: ['x'] } },
        ],
        { id: 'one' },
      ),
      policy(
        [
          { id: 'r2', action: { type: 'redact', detectors: 'phone', replacement: 'mask' } },
          { id: 'l2', action: { type: 'log', tags: ['x', 'y'] } },
        ],
        { id: 'two' },
      ),
    ]);
    const decision = set.evaluateRequest(request());
    expect(decision.redact.map((r) => [r.policyId, r.ruleId])).toEqual([
      ['one', 'r1'],
      ['two', 'r2'],
    ]);
    expect(decision.tags).toEqual(['x', 'y']);
  });

  it('reports the policy version in matches', () => {
    const set = compilePolicies([policy([{ id: 'r', action: 'allow' }], { id: 'v', version: 7 })]);
    expect(set.evaluateRequest(request()).matches).toEqual([{ policyId: 'v', policyVersion: 7, ruleId: 'r', action: 'allow', shadow: false }]);
  });
});

describe('shadow mode', () => {
  it('reports a shadow rule without enforcing it, and keeps evaluating the policy', () => {
    const set = compilePolicies([
      policy([
        { id: 'try-block', when: { prompt: { contains: 'hello' } }, action: 'block', shadow: true },
        { id: 'try-tag', action: { type: 'log', tags: ['shadow-tag'] }, shadow: true },
        { id: 'real-tag', action: { type: 'log', tags: ['real'] } },
      ]),
    ]);
    const decision = set.evaluateRequest(request());
    expect(decision.action).toBe('allow');
    expect(decision.tags).toEqual(['real']);
    expect(decision.matches.map((m) => [m.ruleId, m.shadow])).toEqual([
      ['try-block', true],
      ['real-tag', false],
    ]);
    expect(decision.shadow).toEqual({
      action: 'block',
      block: { status: 403, message: 'This request was blocked by a Keyward policy.' },
    });
  });

  it('evaluates a shadow policy fully but never enforces it', () => {
    const set = compilePolicies([
      policy(
        [
          { id: 'h', action: 'hold' },
          { id: 'r', action: { type: 'redact', detectors: 'email' } },
        ],
        { shadow: true, id: 's' },
      ),
    ]);
    const decision = set.evaluateRequest(request());
    expect(decision).toMatchObject({
      action: 'allow',
      redact: [],
      tags: [],
      shadow: { action: 'hold', hold: { timeoutSeconds: 240, onTimeout: 'block' } },
    });
    expect(decision.matches).toEqual([{ policyId: 's', policyVersion: 1, ruleId: 'h', action: 'hold', shadow: true }]);
  });

  it('shows in the shadow outcome what the enforced rules decided when no shadow terminal matched', () => {
    const set = compilePolicies([
      policy([
        { id: 'note', action: 'log', shadow: true },
        { id: 'stop', action: 'block' },
      ]),
    ]);
    const decision = set.evaluateRequest(request());
    expect(decision.action).toBe('block');
    expect(decision.shadow?.action).toBe('block');
  });

  it('has no shadow outcome when no shadow rule matched', () => {
    const set = compilePolicies([
      policy([
        { id: 'quiet', when: { model: 'x' }, action: 'block', shadow: true },
        { id: 'ok', action: 'allow' },
      ]),
    ]);
    expect(set.evaluateRequest(request()).shadow).toBeNull();
  });
});

describe('response rules', () => {
  const answer = (overrides: Partial<ResponseContext> = {}): ResponseContext => ({
    request: request(),
    text: '',
    toolCalls: [],
    ...overrides,
  });

  it('inspect tool calls of the answer by name and arguments', () => {
    const set = compilePolicies([
      policy([
        {
          id: 'no-rm',
          on: 'response',
          when: { toolCall: { name: 'shell*', args: { path: '$.command', regex: 'rm\\s+-rf' } } },
          action: { type: 'block', status: 451, message: 'destructive command' },
        },
      ]),
    ]);
    expect(set.evaluateResponse(answer({ toolCalls: [{ name: 'shell_exec', arguments: '{"command":"rm -rf /"}' }] }))).toMatchObject({
      action: 'block',
      block: { status: 451 },
    });
    expect(set.evaluateResponse(answer({ toolCalls: [{ name: 'shell_exec', arguments: { command: 'ls' } }] })).action).toBe('allow');
    expect(set.evaluateResponse(answer({ toolCalls: [{ name: 'read_file', arguments: { command: 'rm -rf /' } }] })).action).toBe('allow');
  });

  it('inspect the answer text, and hold it for approval', () => {
    const set = compilePolicies([
      policy([
        {
          id: 'leak',
          on: 'response',
          when: { completion: { pii: ['email'] } },
          action: { type: 'hold', timeoutSeconds: 30, onTimeout: 'allow' },
        },
      ]),
    ]);
    expect(set.evaluateResponse(answer({ text: 'write to ceo@corp.example' }))).toMatchObject({
      action: 'hold',
      hold: { timeoutSeconds: 30, onTimeout: 'allow' },
    });
    expect(set.evaluateResponse(answer({ text: 'nothing here' })).action).toBe('allow');
  });

  it('run separately from request rules', () => {
    const set = compilePolicies([
      policy([
        { id: 'req', action: 'block' },
        { id: 'res', on: 'response', action: { type: 'log', tags: ['answered'] } },
      ]),
    ]);
    expect(set.evaluateRequest(request()).matches.map((m) => m.ruleId)).toEqual(['req']);
    expect(set.evaluateResponse(answer()).matches.map((m) => m.ruleId)).toEqual(['res']);
  });

  it('can read the request alongside the answer', () => {
    const set = compilePolicies([
      policy([{ id: 'r', on: 'response', when: { all: [{ model: 'gpt-*' }, { completion: { contains: 'x' } }] }, action: 'block' }]),
    ]);
    expect(set.evaluateResponse(answer({ text: 'x' })).action).toBe('block');
  });
});

describe('compiled needs', () => {
  it('lists only what the policies read', () => {
    const set = compilePolicies([
      policy([
        { id: 'a', when: { model: 'x' }, action: 'allow' },
        { id: 'b', when: { prompt: { pii: ['email', 'phone'] } }, action: 'block' },
        { id: 'c', when: { toolCall: { name: 'x' } }, action: 'block' },
        { id: 'd', on: 'response', when: { toolCall: { name: 'y' } }, action: 'block' },
      ]),
    ]);
    expect(set.needs).toEqual({
      promptText: true,
      systemText: false,
      piiDetectors: new Set(['email', 'phone']),
      toolsOffered: false,
      toolCalls: true,
      headers: false,
      keyLabels: false,
      keyMetadata: false,
      estimatedInputTokens: false,
      maxOutputTokens: false,
      estimatedCostMicros: false,
      redaction: false,
      responseRules: true,
      responseText: false,
      responseToolCalls: true,
      toolCallRules: false,
      toolResultRules: false,
      anomaly: false,
    });
  });

  it('needs nothing for a policy on model and provider alone', () => {
    const { needs } = compilePolicies([policy([{ id: 'a', when: { any: [{ model: 'x' }, { provider: 'gemini' }] }, action: 'block' }])]);
    expect(Object.entries(needs).filter(([, v]) => v === true)).toEqual([]);
    expect(needs.piiDetectors.size).toBe(0);
  });

  it('flags redaction so the data plane keeps request text rewritable', () => {
    expect(compilePolicies([policy([{ id: 'a', action: { type: 'redact', detectors: 'email' } }])]).needs.redaction).toBe(true);
  });

  it('does not join the prompt or run detectors when no reached condition needs them', () => {
    const set = compilePolicies([policy([{ id: 'a', when: { all: [{ model: 'claude-*' }, { prompt: { pii: 'all' } }] }, action: 'block' }])]);
    const messages = new Proxy([] as { role: string; text: string }[], {
      get() {
        throw new Error('messages were read');
      },
    });
    expect(set.evaluateRequest(request({ messages })).action).toBe('allow');
  });
});

describe('compilePolicies', () => {
  it('rejects an invalid policy with every error', () => {
    const bad = {
      id: 'bad',
      version: 1,
      scope: 'org' as const,
      document: { name: 'x', rules: [{ id: 'r', action: 'nope' }, { id: 's' }] },
    };
    try {
      compilePolicies([bad]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyCompileError);
      expect((err as PolicyCompileError).errors).toHaveLength(2);
      expect((err as Error).message).toMatch(/^policy "bad" is invalid: rule "r" \(#1\)/);
    }
  });

  it('returns fresh decisions that later evaluations do not change', () => {
    const set = compilePolicies([policy([{ id: 't', when: { model: 'gpt-4o' }, action: { type: 'log', tags: ['a'] } }])]);
    const first = set.evaluateRequest(request());
    set.evaluateRequest(request({ model: 'other' }));
    expect(first.tags).toEqual(['a']);
  });
});
