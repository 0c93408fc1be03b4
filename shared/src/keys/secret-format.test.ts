import { describe, expect, it } from 'vitest';
import { displayPrefix, generateSecret, InvalidSecretError, parseSecret, SECRET_PREFIXES, type SecretKind } from './secret-format.js';

const kinds: SecretKind[] = ['key', 'api_token', 'node_token', 'scim_token'];

/** Replaces the character at `index` with a different base62 character. */
function mutate(value: string, index: number): string {
  const replacement = value[index] === 'a' ? 'b' : 'a';
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

describe('secret format', () => {
  it.each(kinds)('generates a %s secret that parses back to its kind', (kind) => {
    const secret = generateSecret(kind);
    expect(secret.startsWith(SECRET_PREFIXES[kind])).toBe(true);
    expect(secret).toMatch(/^kw[tns]?_[0-9A-Za-z]{49}$/);
    expect(parseSecret(secret)).toEqual({ kind });
  });

  it('never generates the same secret twice', () => {
    const seen = new Set(Array.from({ length: 2000 }, () => generateSecret('key')));
    expect(seen.size).toBe(2000);
  });

  it('uses every base62 character in the random body', () => {
    const chars = new Set(Array.from({ length: 200 }, () => generateSecret('key').slice(3, 46)).join(''));
    expect(chars.size).toBe(62);
  });

  it('rejects a secret with any single character changed, without a lookup', () => {
    const secret = generateSecret('key');
    for (let i = 3; i < secret.length; i++) expect(parseSecret(mutate(secret, i))).toBeNull();
  });

  it('rejects a valid body under another kind of prefix', () => {
    const secret = generateSecret('key');
    expect(parseSecret('kwt_' + secret.slice(3))).toBeNull();
  });

  it('rejects wrong prefixes, lengths and characters', () => {
    const secret = generateSecret('api_token');
    expect(parseSecret('sk-' + secret.slice(4))).toBeNull();
    expect(parseSecret(secret.slice(0, -1))).toBeNull();
    expect(parseSecret(secret + 'a')).toBeNull();
    expect(parseSecret(secret.slice(0, 10) + '-' + secret.slice(11))).toBeNull();
    expect(parseSecret('')).toBeNull();
  });

  it('returns null instead of throwing for values that are not strings', () => {
    expect(parseSecret(undefined as unknown as string)).toBeNull();
    expect(parseSecret(42 as unknown as string)).toBeNull();
  });

  it('shows the prefix and five body characters as the display prefix', () => {
    const secret = generateSecret('node_token');
    expect(displayPrefix(secret)).toBe(secret.slice(0, 9));
    expect(displayPrefix(secret)).toMatch(/^kwn_[0-9A-Za-z]{5}$/);
  });

  it('refuses a display prefix for a foreign value without echoing it', () => {
    expect(() => displayPrefix('sk-live-very-secret-value')).toThrow(InvalidSecretError);
    expect(() => displayPrefix('sk-live-very-secret-value')).not.toThrow(/very-secret/);
  });
});
