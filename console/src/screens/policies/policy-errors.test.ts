import { CombinedError } from '@urql/vue';
import { describe, expect, it } from 'vitest';
import { locateRules, placeErrors, policyErrorsOf, withoutRulePrefix } from './policy-errors';

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

describe('placing errors', () => {
  it('puts a rule error at the first line of its rule, without repeating the rule name', () => {
    const placed = placeErrors(YAML, 'YAML', [
      {
        path: 'rules[1].when.prompt.regex',
        rule: { index: 1, id: 'block-secrets' },
        message: 'rule "block-secrets" (#2): "when.prompt.regex" is not a valid regular expression',
      },
      { path: 'name', rule: null, message: '"name" must be at most 120 characters' },
    ]);
    expect(placed.annotations).toEqual([
      { line: 9, endLine: 13, rule: { index: 1, id: 'block-secrets' }, messages: ['"when.prompt.regex" is not a valid regular expression'] },
    ]);
    expect(placed.general.map((e) => e.path)).toEqual(['name']);
  });

  it('puts a syntax error at the line it names', () => {
    const placed = placeErrors('name: x\nrules:\n  - id: [\n', 'YAML', [
      { path: '', message: 'the policy is not valid YAML (line 3, column 9): Missing closing ]' },
    ]);
    expect(placed.annotations[0]).toMatchObject({ line: 3, rule: null });
  });

  it('strips the rule prefix for rules without an id too', () => {
    expect(withoutRulePrefix('rule #3 must have an action')).toBe('must have an action');
    expect(withoutRulePrefix('rule "a" (#1) must have an action')).toBe('must have an action');
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
