import { generateSecret } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { isSecretFieldName, REDACTED, redactArgs } from './redact-args.js';

describe('audit argument redaction', () => {
  it('drops every field named like a secret, at any depth', () => {
    const out = redactArgs({
      email: 'a@example.com',
      password: 'hunter2hunter2',
      input: { newPassword: 'x', currentPassword: 'y', name: 'ok', api_key: 'sk-1', credential: { apiKey: 'sk-2' } },
      code: '123456',
      token: 'abc',
      clientSecret: 's',
    });
    expect(out).toEqual({
      email: 'a@example.com',
      password: REDACTED,
      input: { newPassword: REDACTED, currentPassword: REDACTED, name: 'ok', api_key: REDACTED, credential: REDACTED },
      code: REDACTED,
      token: REDACTED,
      clientSecret: REDACTED,
    });
  });

  it('keeps ids of secret-bearing things', () => {
    expect(isSecretFieldName('tokenId')).toBe(false);
    expect(isSecretFieldName('credentialIds')).toBe(false);
    expect(isSecretFieldName('id')).toBe(false);
    expect(isSecretFieldName('apiKey')).toBe(true);
  });

  it('removes Keyward secrets wherever they appear, whatever the field is called', () => {
    const key = generateSecret('key');
    const out = redactArgs({ note: key, list: [key, 'fine'] });
    expect(JSON.stringify(out)).not.toContain(key);
    expect(out).toEqual({ note: REDACTED, list: [REDACTED, 'fine'] });
  });

  it('cuts long strings, long arrays and deep nesting short', () => {
    const deep: Record<string, unknown> = {};
    let cur = deep;
    for (let i = 0; i < 20; i++) cur = (cur.next = {}) as Record<string, unknown>;
    const out = redactArgs({ text: 'x'.repeat(5000), items: Array.from({ length: 100 }, (_, i) => i), deep });
    expect((out.text as string).length).toBeLessThan(510);
    expect(out.items).toHaveLength(21);
    expect((out.items as unknown[])[20]).toBe('[80 more]');
    expect(JSON.stringify(out.deep)).toContain('[nested too deep]');
  });
});
