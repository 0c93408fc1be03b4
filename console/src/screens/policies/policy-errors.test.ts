import { CombinedError } from '@urql/vue';
import { describe, expect, it } from 'vitest';
import { locateRules, policyErrorsOf } from './policy-errors';

const YAML = `# Guardrails for every key
name: Guardrails
rules:
  - id: no-credentials
    when: { prompt: { pii: credentials } }
    action: block

  # contacts are redacted
  - id: block-secrets
    when:
      prompt:
        regex: "("
    action: block
description: after the rules
`;

const JSON_TEXT = `{
  "name": "Guardrails",
  "rules": [
    { "id": "a", "action": "block" },
    {
      "id": "b",
      "when": { "prompt": { "contains": ["x]", "{y"] } },
      "action": "hold"
    }
  ],
  "description": "d"
}`;

describe('finding rules in the text', () => {
  it('finds each item of the YAML rules list, skipping comments and blank lines at its end', () => {
    expect(locateRules(YAML)).toEqual([
      { index: 0, startLine: 4, endLine: 6 },
      { index: 1, startLine: 9, endLine: 13 },
    ]);
  });

  it('finds YAML list items written at the same indentation as the key', () => {
    expect(locateRules('name: x\nrules:\n- id: a\n  action: block\n- id: b\n  action: allow\n')).toEqual([
      { index: 0, startLine: 3, endLine: 4 },
      { index: 1, startLine: 5, endLine: 6 },
    ]);
  });

  it('finds each element of the JSON rules array, brackets inside strings included', () => {
    expect(locateRules(JSON_TEXT)).toEqual([
      { index: 0, startLine: 4, endLine: 4 },
      { index: 1, startLine: 5, endLine: 9 },
    ]);
  });

  it('finds nothing in a flow-style list rather than guessing', () => {
    expect(locateRules('name: x\nrules: [{ id: a, action: block }]\n')).toEqual([]);
  });
});

describe('reading errors from the API', () => {
  it('takes the list from a BAD_USER_INPUT and ignores other failures', () => {
    const errors = [{ path: 'rules[0].action', rule: { index: 0, id: 'a' }, message: 'rule "a" (#1): "action" is required' }];
    const bad = new CombinedError({ graphQLErrors: [{ message: 'The policy is not valid', extensions: { code: 'BAD_USER_INPUT', errors } }] });
    expect(policyErrorsOf(bad)).toEqual(errors);
    expect(policyErrorsOf(new CombinedError({ graphQLErrors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }] }))).toBeNull();
  });
});
