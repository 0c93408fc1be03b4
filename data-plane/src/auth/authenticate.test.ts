import { displayPrefix, generateSecret, hashSecret, type ConfigSnapshot, type KeyConfig } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { ConfigView } from '../config/view.js';
import { authenticateKey } from './authenticate.js';
import { KeyHashes } from './key-hashes.js';

const ORG = '00000000-0000-7000-8000-000000000001';
const pepper = Buffer.alloc(32, 3);
const now = Date.parse('2030-01-01T00:00:00Z');

function setup(over: Partial<KeyConfig> = {}) {
  const secret = generateSecret('key');
  const config: KeyConfig = {
    id: '00000000-0000-7000-8000-0000000000aa',
    orgId: ORG,
    hash: hashSecret(secret, pepper),
    prefix: displayPrefix(secret),
    name: 'k',
    ownerLabel: 'o',
    teamId: null,
    status: 'active',
    expiresAt: null,
    graceUntil: null,
    allowedModels: [],
    credentialIds: [],
    labels: {},
    ...over,
  };
  const snapshot: ConfigSnapshot = {
    type: 'snapshot',
    version: 1,
    generatedAt: new Date(now).toISOString(),
    orgs: { [ORG]: { id: ORG, plan: 'pro', timeZone: 'UTC', contentCapture: false, limiterFailMode: 'open', customModels: [] } },
    keys: { [config.hash]: config },
    credentials: {},
    policies: {},
    budgets: {},
    rateLimits: {},
    routes: {},
    roles: {},
    mcpServers: {},
  };
  return { secret, config, snapshot, view: new ConfigView(snapshot) };
}

describe('the key check', () => {
  it('accepts an active key and names its key and org', () => {
    const { secret, view } = setup();
    const check = authenticateKey(secret, view, pepper, now);
    expect(check.ok).toBe(true);
    expect(check.key?.orgId).toBe(ORG);
  });

  it('refuses what is not a Keyward key before any lookup, without naming a key', () => {
    const { secret, view } = setup();
    // The look-alike changes the last character to a different one (a fixed 'x' would match 1 key in 62).
    const lookAlike = secret.slice(0, -1) + (secret.endsWith('x') ? 'y' : 'x');
    for (const value of [null, '', 'sk-abc', lookAlike, generateSecret('api_token')]) {
      const check = authenticateKey(value, view, pepper, now);
      expect(check).toMatchObject({ ok: false, key: null, error: { code: 'invalid_api_key', status: 401 } });
    }
  });

  it('refuses a well-formed key it does not know', () => {
    const { view } = setup();
    expect(authenticateKey(generateSecret('key'), view, pepper, now)).toMatchObject({ ok: false, error: { code: 'invalid_api_key' } });
  });

  it('refuses revoked and expired keys but still names them, so the denial is recorded', () => {
    const revoked = setup({ status: 'revoked' });
    expect(authenticateKey(revoked.secret, revoked.view, pepper, now)).toMatchObject({ ok: false, key: { status: 'revoked' }, error: { code: 'key_revoked' } });
    const expired = setup({ expiresAt: '2029-12-31T23:59:59Z' });
    const check = authenticateKey(expired.secret, expired.view, pepper, now);
    expect(check).toMatchObject({ ok: false, error: { code: 'key_expired', status: 401 } });
    expect(check.ok ? '' : check.error.message).toContain('expired');
  });

  it('refuses the key of a paused pool with 403 and still names it; a key of an active pool works', () => {
    const pool = '00000000-0000-7000-8000-0000000000bb';
    const paused = setup({ poolId: pool, paused: true });
    expect(authenticateKey(paused.secret, paused.view, pepper, now)).toMatchObject({
      ok: false,
      key: { poolId: pool },
      error: { code: 'key_paused', status: 403, message: 'This Keyward key is paused by the owner of its key pool. Ask them to resume it.' },
    });
    const active = setup({ poolId: pool, paused: false });
    expect(authenticateKey(active.secret, active.view, pepper, now).ok).toBe(true);
  });

  it('keeps a rotated-out key valid until its grace period ends', () => {
    const rotated = setup({ graceUntil: '2030-01-01T00:00:01Z' });
    expect(authenticateKey(rotated.secret, rotated.view, pepper, now).ok).toBe(true);
    expect(authenticateKey(rotated.secret, rotated.view, pepper, now + 1_000)).toMatchObject({ ok: false, error: { code: 'key_expired' } });
  });

  it('never repeats the key in its messages', () => {
    const { secret, view } = setup({ status: 'revoked' });
    const check = authenticateKey(secret, view, pepper, now);
    expect(check.ok ? '' : check.error.message).not.toContain(secret);
  });

  it('applies a revocation, an expiry and a configuration change to the call right after an accepted one', () => {
    const { secret, config, snapshot, view } = setup();
    expect(authenticateKey(secret, view, pepper, now).ok).toBe(true);
    const changed = (keys: ConfigSnapshot['keys']) => new ConfigView({ ...snapshot, version: snapshot.version + 1, keys });
    expect(authenticateKey(secret, changed({ [config.hash]: { ...config, status: 'revoked' } }), pepper, now)).toMatchObject({
      ok: false,
      error: { code: 'key_revoked' },
    });
    expect(authenticateKey(secret, changed({ [config.hash]: { ...config, expiresAt: '2029-12-31T23:59:59Z' } }), pepper, now)).toMatchObject({
      ok: false,
      error: { code: 'key_expired' },
    });
    expect(authenticateKey(secret, changed({}), pepper, now)).toMatchObject({ ok: false, error: { code: 'invalid_api_key' } });
    expect(authenticateKey(secret, view, pepper, now).ok).toBe(true);
    // Another pepper hashes the key afresh: the key does not match the entry stored under this pepper's hash.
    expect(authenticateKey(secret, view, Buffer.alloc(32, 4), now)).toMatchObject({ ok: false, error: { code: 'invalid_api_key' } });
  });
});

describe('remembered key hashes', () => {
  it('hash a well-formed key as hashSecret does, keep at most their capacity and forget the least recently used first', () => {
    const hashes = new KeyHashes(pepper, 2);
    const [a, b, c] = [generateSecret('key'), generateSecret('key'), generateSecret('key')];
    let checks = 0;
    const wellFormed = () => {
      checks++;
      return true;
    };
    expect(hashes.keyedHash(a, wellFormed)).toBe(hashSecret(a, pepper));
    hashes.keyedHash(b, wellFormed);
    hashes.keyedHash(a, wellFormed);
    expect(checks).toBe(2);
    hashes.keyedHash(c, wellFormed);
    // b was the least recently used: it is checked and hashed again, a is still remembered.
    hashes.keyedHash(a, wellFormed);
    expect(checks).toBe(3);
    expect(hashes.keyedHash(b, wellFormed)).toBe(hashSecret(b, pepper));
    expect(checks).toBe(4);
  });

  it('neither hash nor keep a key that fails the format check', () => {
    const hashes = new KeyHashes(pepper, 2);
    expect(hashes.keyedHash('kw_not-a-key', () => false)).toBeNull();
    expect(hashes.keyedHash('kw_not-a-key', () => false)).toBeNull();
  });
});
