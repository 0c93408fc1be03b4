import { describe, expect, it } from 'vitest';
import { compilePolicies } from './compile.js';
import type { RequestContext, ToolCallContext } from './context.js';
import { validatePolicyDocument } from './validate.js';

const call = (overrides: Partial<ToolCallContext> = {}): ToolCallContext => ({
  server: 'records',
  tool: 'delete_records',
  arguments: { table: 'customers', filter: { owner: 'ana@example.com' } },
  keyLabels: { env: 'prod' },
  keyMetadata: {},
  headers: {},
  now: new Date('2026-12-07T10:00:00Z'),
  ...overrides,
});

const compile = (rules: unknown[]) => compilePolicies([{ id: 'p1', version: 3, scope: 'org', document: { name: 'tools', rules } }]);

const modelRequest: RequestContext = {
  provider: 'openai',
  api: 'openai',
  endpoint: 'chat.completions',
  model: 'gpt-4o',
  keyLabels: { env: 'prod' },
  keyMetadata: {},
  headers: {},
  messages: [{ role: 'user', text: 'delete_records' }],
  systemText: '',
  toolsOffered: [],
  toolCalls: [{ name: 'delete_records', arguments: {} }],
  estimatedInputTokens: 1,
  maxOutputTokens: null,
  estimatedCostMicros: 0,
  now: new Date('2026-12-07T10:00:00Z'),
};

describe('tool_call and tool_result rules', () => {
  it('hold a destructive tool on one server for labelled keys, and leave other tools, servers and model calls alone', () => {
    const set = compile([
      {
        id: 'hold-deletes',
        on: 'tool_call',
        when: { all: [{ mcpServer: 'rec*' }, { tool: 'delete_*' }, { keyLabel: { name: 'env', eq: 'prod' } }] },
        action: { type: 'hold', timeoutSeconds: 120 },
      },
    ]);
    expect(set.needs).toMatchObject({ toolCallRules: true, toolResultRules: false, toolCalls: false, keyLabels: false });
    const held = set.evaluateToolCall(call());
    expect(held).toMatchObject({ action: 'hold', hold: { timeoutSeconds: 120, onTimeout: 'block' } });
    expect(held.matches).toEqual([{ policyId: 'p1', policyVersion: 3, ruleId: 'hold-deletes', action: 'hold', shadow: false }]);
    expect(set.evaluateToolCall(call({ tool: 'list_records' })).action).toBe('allow');
    expect(set.evaluateToolCall(call({ server: 'tickets' })).action).toBe('allow');
    expect(set.evaluateToolCall(call({ keyLabels: { env: 'dev' } })).action).toBe('allow');
    expect(set.evaluateRequest(modelRequest).action).toBe('allow');
  });

  it('test arguments by JSON path, pattern and PII detector, and redact them', () => {
    const set = compile([
      { id: 'no-prod-db', on: 'tool_call', when: { toolCall: { args: [{ path: '$.table', eq: 'customers' }] } }, action: { type: 'log', tags: ['customers'] } },
      { id: 'sql', on: 'tool_call', when: { toolArguments: { regex: 'drop\\s+table', ignoreCase: true } }, action: 'block' },
      { id: 'emails', on: 'tool_call', when: { toolArguments: { pii: 'email' } }, action: { type: 'redact', detectors: ['email'] } },
    ]);
    const logged = set.evaluateToolCall(call());
    expect(logged).toMatchObject({ action: 'allow', tags: ['customers'] });
    expect(logged.redact).toEqual([{ policyId: 'p1', ruleId: 'emails', detectors: ['email'], patterns: [], replacement: 'placeholder', restore: false }]);
    expect(set.evaluateToolCall(call({ arguments: { sql: 'DROP  TABLE users' } }))).toMatchObject({
      action: 'block',
      block: { status: 403, message: 'This tool call was blocked by a Keyward policy.' },
    });
  });

  it('inspect what a tool returned, with the call in view', () => {
    const set = compile([
      {
        id: 'secrets',
        on: 'tool_result',
        when: { all: [{ tool: 'read_*' }, { toolResult: { regex: 'sk_live_[A-Za-z0-9]{16}' } }] },
        action: { type: 'redact', patterns: [{ name: 'STRIPE_KEY', regex: 'sk_live_[A-Za-z0-9]{16,}' }] },
      },
      { id: 'private-key', on: 'tool_result', when: { toolResult: { contains: 'BEGIN RSA PRIVATE KEY' } }, action: 'block' },
    ]);
    expect(set.needs).toMatchObject({ toolCallRules: false, toolResultRules: true });
    const read = call({ tool: 'read_config', arguments: {} });
    const redacted = set.evaluateToolResult({ call: read, text: 'stripe_key=sk_live_51HxTestSecretValue0123456789' });
    expect(redacted.action).toBe('allow');
    expect(redacted.redact.map((r) => r.ruleId)).toEqual(['secrets']);
    expect(set.evaluateToolResult({ call: read, text: 'nothing to see' }).matches).toEqual([]);
    expect(set.evaluateToolResult({ call: read, text: '-----BEGIN RSA PRIVATE KEY-----' })).toMatchObject({
      action: 'block',
      block: { message: "The tool's result was blocked by a Keyward policy." },
    });
  });

  it('refuse conditions and actions a phase cannot have, naming the rule and field', () => {
    const errors = (rules: unknown[]) => {
      const result = validatePolicyDocument({ name: 'x', rules });
      return result.ok ? [] : result.errors.map((e) => e.message);
    };
    expect(errors([{ id: 'a', on: 'tool_call', when: { model: 'gpt-*' }, action: 'block' }])).toEqual([
      'rule "a" (#1): "when.model" cannot be tested on a "tool_call" rule, which sees an MCP tool call (use mcpServer, tool, toolCall, toolArguments, keyLabel, keyMetadata, header or timeOfDay)',
    ]);
    expect(errors([{ id: 'b', when: { tool: 'x' }, action: 'block' }])).toEqual([
      'rule "b" (#1): "when.tool" is only available on rules with "on": "tool_call" or "tool_result" (it reads an MCP tool call)',
    ]);
    expect(errors([{ id: 'c', on: 'tool_call', when: { toolResult: { contains: 'x' } }, action: 'block' }])[0]).toContain(
      'is only available on rules with "on": "tool_result"',
    );
    expect(errors([{ id: 'd', on: 'tool_result', action: 'hold' }])[0]).toContain('cannot be "hold" on a tool_result rule');
    expect(errors([{ id: 'e', on: 'tool_call', action: { type: 'redact', detectors: 'email', restore: true } }])[0]).toContain(
      '"action.restore" cannot be true on a tool_call rule',
    );
    expect(
      errors([{ id: 'f', on: 'tool_result', when: { toolResult: { pii: 'credentials' } }, action: { type: 'redact', detectors: 'credentials' } }]),
    ).toEqual([]);
  });
});
