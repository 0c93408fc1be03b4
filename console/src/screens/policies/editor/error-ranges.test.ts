import { describe, expect, it } from 'vitest';
import { pathSegments, placeErrorRanges } from './error-ranges';

const YAML = `name: Guardrails
rules:
  - id: no-credentials
    when: { prompt: { pii: credentials } }
    action: block
  - id: block-secrets
    when:
      prompt:
        regex: "("
    action: { type: hold, extra: 1 }
`;

const JSON_TEXT = `{
  "name": "Guardrails",
  "rules": [
    { "id": "a", "action": "block" },
    { "id": "b", "when": { "prompt": { "regex": "(" } }, "action": "hold" }
  ]
}`;

/** The underlined text of each placed error. */
function underlined(source: string, errors: { path: string; message: string }[]) {
  const { placed, general } = placeErrorRanges(source, errors);
  return { placed: placed.map((p) => source.slice(p.from, p.to)), general: general.map((e) => e.message) };
}

describe('placing validator errors in the text', () => {
  it('reads a path into keys and list positions', () => {
    expect(pathSegments('rules[1].when.all[0].prompt')).toEqual(['rules', 1, 'when', 'all', 0, 'prompt']);
    expect(pathSegments('')).toEqual([]);
  });

  it('underlines the value a YAML path names, with its key, and an unknown field in a flow mapping', () => {
    expect(
      underlined(YAML, [
        { path: 'rules[1].when.prompt.regex', message: 'not a valid regular expression' },
        { path: 'rules[1].action.extra', message: 'is not a known field' },
        { path: 'rules[0].when.prompt.pii', message: 'must be one of' },
      ]),
    ).toEqual({ placed: ['regex: "("', 'extra: 1', 'pii: credentials'], general: [] });
  });

  it('underlines the key of a mapping, the first line of a rule, and the nearest part of a path the text lacks', () => {
    expect(
      underlined(YAML, [
        { path: 'rules[1].when', message: 'has 2 keys' },
        { path: 'rules[0]', message: 'must have an "action"' },
        { path: 'rules[1].when.prompt.pii', message: 'missing' },
      ]),
    ).toEqual({ placed: ['when', '- id: no-credentials'.slice(2), 'prompt'], general: [] });
  });

  it('places errors in JSON the same way', () => {
    expect(underlined(JSON_TEXT, [{ path: 'rules[1].when.prompt.regex', message: 'bad' }]).placed).toEqual(['"regex": "("']);
  });

  it('puts a syntax error at the line and column it names, and whole-document errors apart', () => {
    const source = 'name: x\nrules:\n  - id: [\n';
    expect(
      underlined(source, [
        { path: '', message: 'the policy is not valid YAML (line 3, column 9): Missing closing ]' },
        { path: '', message: 'the policy must have a "name"' },
      ]),
    ).toEqual({ placed: ['['], general: ['the policy must have a "name"'] });
  });
});
