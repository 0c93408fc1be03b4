import { describe, expect, it } from 'vitest';
import { expiryFromPreset } from './expiry';

const now = Date.parse('2026-11-23T12:00:00Z');

describe('expiry choices', () => {
  it('turns presets into instants', () => {
    expect(expiryFromPreset('never', now, null)).toBeNull();
    expect(expiryFromPreset('30d', now, null)).toBe('2026-12-23T12:00:00.000Z');
  });

  it('refuses a custom date in the past or a missing one', () => {
    expect(() => expiryFromPreset('custom', now, now - 1)).toThrow(/future/);
    expect(() => expiryFromPreset('custom', now, null)).toThrow(/Pick/);
    expect(expiryFromPreset('custom', now, now + 1000)).toBe('2026-11-23T12:00:01.000Z');
  });
});
