import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { checkPolicySource, withShadow } from './policy-source.js';

describe('policy text', () => {
  it('guesses JSON from a leading brace and YAML otherwise', () => {
    expect(checkPolicySource('  {"name": "a", "rules": []}', null).format).toBe('json');
    expect(checkPolicySource('name: a\nrules: []\n', undefined).format).toBe('yaml');
  });

  it('fails with every error listed, with its rule', () => {
    try {
      checkPolicySource('name: a\nrules:\n  - id: Bad Id\n    action: nope\n', 'yaml');
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      const e = error as AppError;
      expect(e.code).toBe('BAD_USER_INPUT');
      expect((e.details!.errors as unknown[]).length).toBeGreaterThanOrEqual(2);
      expect(e.message).toMatch(/^The policy is not valid: .* \(and \d+ more errors?\)$/);
    }
  });
});

describe('setting the shadow flag in the text', () => {
  it('rewrites an existing top-level shadow line and keeps its comment', () => {
    const current = checkPolicySource('# mine\nname: a\nshadow: false   # not yet\nrules:\n  - id: r\n    action: block # stop\n', 'yaml');
    const next = withShadow(current, true);
    expect(next.source).toBe('# mine\nname: a\nshadow: true   # not yet\nrules:\n  - id: r\n    action: block # stop\n');
    expect(next.document.shadow).toBe(true);
  });

  it('inserts the flag before the rules when there is none', () => {
    const next = withShadow(checkPolicySource('name: a\nrules:\n  - id: r\n    action: block\n', 'yaml'), true);
    expect(next.source).toBe('name: a\nshadow: true\nrules:\n  - id: r\n    action: block\n');
  });

  it('re-serializes JSON from the author’s own object', () => {
    const next = withShadow(checkPolicySource('{"name":"a","rules":[{"id":"r","action":"block"}]}', 'json'), true);
    expect(JSON.parse(next.source)).toEqual({ name: 'a', rules: [{ id: 'r', action: 'block' }], shadow: true });
    expect(next.format).toBe('json');
  });

  it('falls back to the normalized document for flow-style YAML', () => {
    const current = checkPolicySource('{name: a, rules: [{id: r, action: block}]}', 'yaml');
    const next = withShadow(current, true);
    expect(next.format).toBe('yaml');
    expect(JSON.parse(next.source)).toEqual({ ...current.document, shadow: true });
  });
});
