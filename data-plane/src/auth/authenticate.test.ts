import { displayPrefix, generateSecret, hashSecret, type ConfigSnapshot, type KeyConfig } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { ConfigView } from '../config/view.js';
import { authenticateKey } from './authenticate.js';

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
  return { secret, view: new ConfigView(snapshot) };
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

  it('applies a revocation, an expiry, a removal and a new pepper at once to a key it has checked before', () => {
    const { secret, view } = setup();
    expect(authenticateKey(secret, view, pepper, now).ok).toBe(true);
    expect(authenticateKey(secret, view, pepper, now).ok).toBe(true);
    const hash = hashSecret(secret, pepper);
    const entry = view.keyByHash(hash)!;
    const next = (version: number, changed: Record<string, KeyConfig>, removed: string[] = []) =>
      view.applying({ version, generatedAt: new Date(now).toISOString(), changed: { keys: changed }, removed: { keys: removed } });
    expect(authenticateKey(secret, next(2, { [hash]: { ...entry, status: 'revoked' } }), pepper, now)).toMatchObject({
      ok: false,
      error: { code: 'key_revoked' },
    });
    expect(authenticateKey(secret, next(3, { [hash]: { ...entry, expiresAt: '2030-01-01T00:00:00Z' } }), pepper, now)).toMatchObject({
      ok: false,
      error: { code: 'key_expired' },
    });
    expect(authenticateKey(secret, next(4, {}, [hash]), pepper, now)).toMatchObject({ ok: false, key: null, error: { code: 'invalid_api_key' } });
    expect(authenticateKey(secret, view, Buffer.alloc(32, 4), now)).toMatchObject({ ok: false, key: null, error: { code: 'invalid_api_key' } });
    expect(authenticateKey(secret, view, pepper, now).ok).toBe(true);
  });

  it('checks the format of a key again once 10,000 others pushed it out of the cache', () => {
    const { secret, view } = setup();
    expect(authenticateKey(secret, view, pepper, now).ok).toBe(true);
    for (let i = 0; i < 10_001; i++) authenticateKey(generateSecret('key'), view, pepper, now);
    expect(authenticateKey(secret, view, pepper, now).ok).toBe(true);
    expect(authenticateKey(` ${secret}`, view, pepper, now)).toMatchObject({
      ok: false,
      error: { code: 'invalid_api_key', message: expect.stringContaining('a space') },
    });
  });
});
