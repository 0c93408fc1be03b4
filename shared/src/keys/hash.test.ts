import { describe, expect, it } from 'vitest';
import { hashSecret, secretsEqual } from './hash.js';
import { generateSecret } from './secret-format.js';
import { generateSignInCode } from './sign-in-code.js';

const pepper = Buffer.alloc(32, 7);

describe('secret hashing', () => {
  it('produces a stable hex HMAC-SHA256 for the same secret and pepper', () => {
    const secret = generateSecret('key');
    expect(hashSecret(secret, pepper)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(secret, pepper)).toBe(hashSecret(secret, pepper));
  });

  it('produces a different hash under a different pepper', () => {
    const secret = generateSecret('key');
    expect(hashSecret(secret, Buffer.alloc(32, 8))).not.toBe(hashSecret(secret, pepper));
  });

  it('matches the HMAC-SHA256 test vector of RFC 4231 case 1', () => {
    const key = Buffer.alloc(20, 0x0b);
    expect(hashSecret('Hi There', key)).toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
  });

  it('refuses a missing or short pepper', () => {
    expect(() => hashSecret('x', Buffer.alloc(0))).toThrow(/pepper/);
    expect(() => hashSecret('x', 'not a buffer' as unknown as Buffer)).toThrow(/pepper/);
  });
});

describe('secret comparison', () => {
  it('says equal secrets are equal and different ones are not, whatever their lengths', () => {
    const secret = generateSecret('api_token');
    expect(secretsEqual(secret, secret.slice())).toBe(true);
    expect(secretsEqual(secret, generateSecret('api_token'))).toBe(false);
    expect(secretsEqual(secret, secret + 'x')).toBe(false);
    expect(secretsEqual('', '')).toBe(true);
  });
});

describe('sign-in codes', () => {
  it('are six digits, leading zeros included', () => {
    const codes = Array.from({ length: 500 }, generateSignInCode);
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(490);
  });
});
