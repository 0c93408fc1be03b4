import { describe, expect, it } from 'vitest';
import { validatePolicyDocument } from './validate.js';
import type { PolicyError } from './types.js';

/** Messages of a document that must not validate. */
function errorsOf(doc: unknown): readonly PolicyError[] {
  const result = validatePolicyDocument(doc);
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.errors;
}

const minimal = { name: 'p', rules: [{ id: 'r', action: 'allow' }] };

describe('validatePolicyDocument', () => {
  it('normalizes shorthands and fills defaults', () => {
    const result = validatePolicyDocument({
      name: 'Guardrails',
      rules: [
        { id: 'models', when: { model: 'gpt-4o*' }, action: 'block' },
        { id: 'pii', when: { prompt: { pii: 'credentials' } }, action: { type: 'redact', detectors: 'email' } },
        { id: 'agent', when: { header: { name: 'X-Keyward-Agent-Id', eq: 'planner' } }, action: 'hold' },
        { id: 'audit', action: { type: 'log', tags: 'audited' } },
      ],
    });
    expect(result).toEqual({
      ok: true,
      policy: {
        name: 'Guardrails',
        shadow: false,
        rules: [
          {
            id: 'models',
            on: 'request',
            when: { model: ['gpt-4o*'] },
            action: { type: 'block', status: 403, message: 'This request was blocked by a Keyward policy.' },
            shadow: false,
          },
          {
            id: 'pii',
            on: 'request',
            when: {
              prompt: {
                pii: [
                  'openai_api_key',
                  'anthropic_api_key',
                  'aws_access_key_id',
                  'aws_secret_access_key',
                  'github_token',
                  'google_api_key',
                  'private_key',
                  'jwt',
                ],
              },
            },
            action: { type: 'redact', detectors: ['email'], patterns: [], replacement: 'placeholder', restore: false },
            shadow: false,
          },
          {
            id: 'agent',
            on: 'request',
            when: { header: { name: 'x-keyward-agent-id', eq: 'planner' } },
            action: { type: 'hold', timeoutSeconds: 240, onTimeout: 'block' },
            shadow: false,
          },
          { id: 'audit', on: 'request', action: { type: 'log', tags: ['audited'] }, shadow: false },
        ],
      },
    });
  });

  it('gives a tag-less log action back unchanged', () => {
    const first = validatePolicyDocument({ name: 'x', rules: [{ id: 'seen', action: 'log' }] });
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.policy.rules[0]!.action).toEqual({ type: 'log', tags: [] });
    expect(validatePolicyDocument(first.policy)).toEqual(first);
  });

  it('gives a normalized document back unchanged', () => {
    const first = validatePolicyDocument({
      name: 'x',
      description: 'd',
      rules: [
        {
          id: 'all-kinds',
          name: 'Everything',
          when: {
            all: [
              { provider: 'openai' },
              { api: ['openai', 'anthropic'] },
              { endpoint: 'chat.*' },
              { keyLabel: { name: 'env', in: ['prod', 'staging'] } },
              { keyMetadata: { path: '$.team', exists: true } },
              { not: { system: { contains: 'ok', ignoreCase: true } } },
              { toolOffered: 'shell*' },
              { toolCall: { name: 'run', args: { path: 'cmd', regex: 'rm\\s' } } },
              { inputTokens: { gt: 10, lte: 100 } },
              { maxOutputTokens: { lt: 5 } },
              { costMicros: { gte: 1 } },
              { timeOfDay: { between: ['22:00', '06:00'], timeZone: 'Europe/Paris', weekdays: ['sat', 'mon'] } },
            ],
          },
          action: { type: 'redact', patterns: [{ name: 'EMP', regex: 'E\\d{6}' }], replacement: 'hash', restore: true },
          shadow: true,
        },
        { id: 'answer', on: 'response', when: { completion: { regex: 'secret', ignoreCase: true } }, action: 'block' },
      ],
    });
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(validatePolicyDocument(first.policy)).toEqual(first);
    expect(first.policy.rules[0].when).toMatchObject({
      all: expect.arrayContaining([{ timeOfDay: expect.objectContaining({ weekdays: ['mon', 'sat'] }) }]),
    });
  });

  it('names the rule and the field of a bad regex, as the console shows it', () => {
    const [error] = errorsOf({
      name: 'p',
      rules: [
        { id: 'first', action: 'allow' },
        { id: 'block-secrets', when: { all: [{ model: 'x' }, { prompt: { regex: '(' } }] }, action: 'block' },
      ],
    });
    expect(error.path).toBe('rules[1].when.all[1].prompt.regex');
    expect(error.rule).toEqual({ index: 1, id: 'block-secrets' });
    expect(error.message).toMatch(/^rule "block-secrets" \(#2\): "when\.all\[1\]\.prompt\.regex" is not a valid regular expression: /);
  });

  it('returns every error, not just the first', () => {
    const errors = errorsOf({
      name: '',
      rules: [
        { id: 'a', when: { modle: 'x' }, action: 'allow' },
        { id: 'b', when: { prompt: { regex: '(a)\\1' } }, action: { type: 'block', status: 200 } },
        { id: 'a', action: 'explode' },
      ],
    });
    expect(errors.map((e) => e.message)).toEqual([
      '"name" must not be empty',
      'rule "a" (#1): "when.modle" is not a known condition; expected one of: all, any, not, provider, api, endpoint, model, keyLabel, keyMetadata, header, prompt, system, completion, toolOffered, toolCall, inputTokens, maxOutputTokens, costMicros, timeOfDay, provenance, mcpServer, tool, toolArguments, toolResult, anomaly',
      expect.stringMatching(/^rule "b" \(#2\): "when\.prompt\.regex" uses a backreference/),
      'rule "b" (#2): "action.status" must be between 400 and 599, not 200',
      'rule "a" (#3): "id" repeats the id of rule #1; rule ids must be unique within a policy',
      'rule "a" (#3): "action" must be one of "allow", "block", "redact", "hold", "log", not the string "explode"',
    ]);
  });

  it('reads anomaly conditions and names what is wrong in one', () => {
    expect(
      validatePolicyDocument({ name: 'p', rules: [{ id: 'r', when: { anomaly: { scoreAbove: 80, reasons: ['request_rate', 'new_tool'] } }, action: 'hold' }] })
        .ok,
    ).toBe(true);
    const errors = errorsOf({
      name: 'p',
      rules: [
        { id: 'a', when: { anomaly: { scoreAbove: 100 } }, action: 'block' },
        { id: 'b', when: { anomaly: { reasons: ['too_fast'] } }, action: 'block' },
        { id: 'c', when: { anomaly: {} }, action: 'block' },
        { id: 'd', when: { anomaly: { score: 80 } }, action: 'block' },
      ],
    });
    expect(errors.map((e) => e.message)).toEqual([
      'rule "a" (#1): "when.anomaly.scoreAbove" must be a whole score from 0 to 99, not the number 100',
      expect.stringMatching(/^rule "b" \(#2\): "when\.anomaly\.reasons\[0\]" must be one of "request_rate", .*, not the string "too_fast"$/),
      'rule "c" (#3): "when.anomaly" must have at least one of: scoreAbove, reasons',
      expect.stringMatching(/^rule "d" \(#4\): "when\.anomaly\.score" /),
    ]);
  });

  it('reads provenance conditions and names what is wrong in one', () => {
    const ok = validatePolicyDocument({
      name: 'p',
      rules: [{ id: 'r', when: { provenance: { result: 'valid', principalId: 'usr_*', classification: 'restricted', hopCount: { gt: 2 } } }, action: 'hold' }],
    });
    expect(ok.ok).toBe(true);
    const errors = errorsOf({
      name: 'p',
      rules: [
        { id: 'a', when: { provenance: { classification: 'secret', hopCount: 3 } }, action: 'block' },
        { id: 'b', when: { provenance: {} }, action: 'block' },
        { id: 'c', when: { provenance: { principal: 'x' } }, action: 'block' },
      ],
    });
    expect(errors.map((e) => e.message)).toEqual([
      'rule "a" (#1): "when.provenance.classification" must be one of "public", "internal", "confidential", "restricted", not the string "secret"',
      expect.stringMatching(/^rule "a" \(#1\): "when\.provenance\.hopCount" must be an object such as/),
      'rule "b" (#2): "when.provenance" must have at least one of: result, principalId, principalType, intentContains, classification, hopCount, agentIds',
      expect.stringMatching(/^rule "c" \(#3\): "when\.provenance\.principal" /),
    ]);
  });

  it('names a rule by position when its id is unusable', () => {
    const errors = errorsOf({ name: 'p', rules: [{ id: 'Bad Id', action: 'allow' }, 42] });
    expect(errors.map((e) => e.message)).toEqual([
      'rule #1: "id" must be made of lower-case letters, digits, "-" and "_", not "Bad Id"',
      'rule #2 must be an object with "id", "when" and "action", not the number 42',
    ]);
  });

  it('rejects a document that is not an object, and missing fields', () => {
    expect(errorsOf([]).map((e) => e.message)).toEqual(['the policy must be an object with "name" and "rules", not an array']);
    expect(errorsOf({}).map((e) => e.message)).toEqual(['the policy must have a "name"', 'the policy must have "rules" (a list, possibly empty)']);
    expect(errorsOf({ ...minimal, extra: 1 }).map((e) => e.message)).toEqual([
      '"extra" is not a known field; expected one of: name, description, shadow, rules',
    ]);
  });

  it('requires exactly one key per condition', () => {
    const errors = errorsOf({ name: 'p', rules: [{ id: 'r', when: { model: 'a', provider: 'openai' }, action: 'allow' }] });
    expect(errors[0].message).toBe(
      'rule "r" (#1): "when" has 2 keys (model, provider) but a condition has exactly one; combine conditions with "all" or "any"',
    );
  });

  it('checks condition operands', () => {
    const rule = (when: unknown) => ({ name: 'p', rules: [{ id: 'r', when, action: 'allow' }] });
    const first = (when: unknown) => errorsOf(rule(when))[0].message;
    expect(first({ provider: 'azure' })).toBe(
      'rule "r" (#1): "when.provider" must be one of "openai", "anthropic", "gemini", "openai_compatible", not the string "azure"',
    );
    expect(first({ all: [] })).toBe('rule "r" (#1): "when.all" must be a non-empty list of conditions, not an array');
    expect(first({ header: { name: 'authorization', eq: 'x' } })).toMatch(/"when\.header\.name" must be made of a header name starting with "x-keyward-"/);
    expect(first({ keyLabel: { name: 'env' } })).toMatch(/"when\.keyLabel" must test the value with at least one of: eq, neq/);
    expect(first({ keyMetadata: { path: '$..x', eq: 1 } })).toMatch(/"when\.keyMetadata\.path" is not a valid JSON path/);
    expect(first({ prompt: { contains: 'a', regex: 'b' } })).toMatch(/"when\.prompt" must have only one of "contains", "regex"/);
    expect(first({ prompt: { pii: ['email', 'passport'] } })).toMatch(/"when\.prompt\.pii\[1\]" must be one of "email"/);
    expect(first({ inputTokens: { gt: 'many' } })).toBe('rule "r" (#1): "when.inputTokens.gt" must be a number, not the string "many"');
    expect(first({ inputTokens: { above: 3 } })).toMatch(/"when\.inputTokens\.above" is not a known comparison/);
    expect(first({ timeOfDay: { between: ['9:00', '17:00'] } })).toMatch(/"when\.timeOfDay\.between\[0\]" must be a time written HH:MM/);
    expect(first({ timeOfDay: { between: ['09:00', '09:00'] } })).toMatch(/must not start and end at the same time/);
    expect(first({ timeOfDay: { weekdays: ['monday'] } })).toMatch(/"when\.timeOfDay\.weekdays\[0\]" must be one of "mon"/);
    expect(first({ timeOfDay: { between: ['09:00', '17:00'], timeZone: 'Mars/Olympus' } })).toMatch(/must be an IANA time zone/);
    expect(first({ completion: { contains: 'x' } })).toMatch(/"when\.completion" is only available on rules with "on": "response"/);
  });

  it('limits how deep conditions nest', () => {
    let when: unknown = { model: 'x' };
    for (let i = 0; i < 20; i++) when = { not: when };
    expect(errorsOf({ name: 'p', rules: [{ id: 'r', when, action: 'allow' }] })[0].message).toMatch(/is nested more than 16 levels deep/);
  });

  it('checks actions', () => {
    const first = (action: unknown, on = 'request') => errorsOf({ name: 'p', rules: [{ id: 'r', on, action }] })[0].message;
    expect(first('redact')).toBe('rule "r" (#1): "action" must list "detectors", "patterns" or both: there is nothing to redact');
    expect(first({ type: 'redact', detectors: 'email', replacement: 'mask', restore: true })).toMatch(
      /"action\.restore" needs "replacement": "placeholder" or "hash"/,
    );
    expect(first({ type: 'redact', patterns: [{ name: 'emp', regex: 'x' }] })).toMatch(/"action\.patterns\[0\]\.name" must be made of upper-case letters/);
    expect(first({ type: 'redact', detectors: 'email' }, 'response')).toMatch(/"action\.type" cannot be "redact" on a response rule/);
    expect(first({ type: 'hold', timeoutSeconds: 0 })).toBe('rule "r" (#1): "action.timeoutSeconds" must be between 1 and 86400, not 0');
    expect(first({ type: 'hold', onTimeout: 'approve' })).toMatch(/"action\.onTimeout" must be one of "allow", "block"/);
    expect(first({ type: 'block', reason: 'x' })).toMatch(/"action\.reason" is not a known field of a "block" action; expected one of: type, status, message/);
    expect(first({ type: 'log', tags: ['ok', 'not ok'] })).toMatch(/"action\.tags\[1\]" must be made of letters, digits/);
    expect(first(7)).toMatch(/"action" must be an action such as "allow"/);
  });

  it('uses the response wording for a default block on a response rule', () => {
    const result = validatePolicyDocument({ name: 'p', rules: [{ id: 'r', on: 'response', action: 'block' }] });
    expect(result.ok && result.policy.rules[0].action).toEqual({
      type: 'block',
      status: 403,
      message: 'The response was blocked by a Keyward policy.',
    });
  });
});
