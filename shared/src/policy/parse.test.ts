import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePolicyDocument } from './parse.js';

const yaml = `
name: Office hours for shell tools
rules:
  - id: night-shell
    on: request
    when:
      all:
        - toolOffered: shell_*
        - not:
            timeOfDay: { between: ["09:00", "17:00"], timeZone: Europe/Paris, weekdays: [mon, tue, wed, thu, fri] }
    action: { type: hold, timeoutSeconds: 600 }
  - id: answer-check
    on: response
    when: { toolCall: { name: shell_exec, args: { path: $.command, contains: sudo } } }
    action: block
`;

describe('parsePolicyDocument', () => {
  it('reads YAML, keeping on, times and dollar paths as strings', () => {
    const result = parsePolicyDocument(yaml);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.policy.rules.map((r) => r.on)).toEqual(['request', 'response']);
    expect(result.policy.rules[0].action).toEqual({ type: 'hold', timeoutSeconds: 600, onTimeout: 'block' });
  });

  it('reads JSON, and gives the same policy as the equivalent YAML', () => {
    const json = JSON.stringify({ name: 'x', rules: [{ id: 'r', when: { model: 'gpt-*' }, action: 'block' }] });
    const fromJson = parsePolicyDocument(json);
    const fromYaml = parsePolicyDocument('name: x\nrules:\n  - id: r\n    when: { model: "gpt-*" }\n    action: block\n');
    expect(fromJson.ok).toBe(true);
    expect(fromYaml).toEqual(fromJson);
  });

  it('reports JSON syntax errors as a sentence', () => {
    const result = parsePolicyDocument('{"name": "x",', 'json');
    expect(result).toMatchObject({
      ok: false,
      errors: [{ path: '', message: expect.stringMatching(/^the policy is not valid JSON: /) }],
    });
  });

  it('reports YAML syntax errors with their line', () => {
    const result = parsePolicyDocument('name: x\nrules:\n  - id: a\n   bad: indent\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0].message).toMatch(/^the policy is not valid YAML \(line \d+, column \d+\): /);
  });

  it('rejects duplicate keys instead of keeping the last one', () => {
    const result = parsePolicyDocument('name: x\nname: y\nrules: []\n');
    expect(result.ok).toBe(false);
  });

  it('refuses alias bombs', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'
        .split('')
        .map(
          (l, i) =>
            `${l}: &${l} [*${'abcdefg'[i]}, *${'abcdefg'[i]}, *${'abcdefg'[i]}, *${'abcdefg'[i]}, *${'abcdefg'[i]}, *${'abcdefg'[i]}, *${'abcdefg'[i]}, *${'abcdefg'[i]}, *${'abcdefg'[i]}, *${'abcdefg'[i]}]`,
        ),
    ].join('\n');
    const result = parsePolicyDocument(bomb, 'yaml');
    expect(result).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/^the policy is not usable YAML: /) }] });
  });

  it('refuses oversized text', () => {
    expect(parsePolicyDocument(' '.repeat(300_000))).toMatchObject({
      ok: false,
      errors: [{ message: expect.stringMatching(/at most 262144 characters/) }],
    });
  });

  it('accepts the example policy of README.md', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const example = readme.split('```yaml\n')[1].split('```')[0];
    expect(parsePolicyDocument(example)).toMatchObject({ ok: true, policy: { name: 'Production agent guardrails' } });
  });

  it('validates what it parsed', () => {
    const result = parsePolicyDocument('name: x\nrules:\n  - id: r\n    action: explode\n');
    expect(result).toMatchObject({ ok: false, errors: [{ path: 'rules[0].action', rule: { index: 0, id: 'r' } }] });
  });
});
