import { afterEach, describe, expect, it, vi } from 'vitest';
import { isUuid, uuidv7 } from './ids.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('uuidv7', () => {
  it('has version 7 and the RFC 9562 variant', () => {
    const id = uuidv7();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('carries the current Unix time in milliseconds in its first 48 bits', () => {
    const before = Date.now();
    const id = uuidv7();
    const millis = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(millis).toBeGreaterThanOrEqual(before);
    expect(millis).toBeLessThanOrEqual(Date.now());
  });

  it('sorts in creation order within one millisecond', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_750_000_000_000);
    const ids = Array.from({ length: 5000 }, uuidv7);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps increasing when the wall clock steps back', () => {
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_760_000_000_000);
    const first = uuidv7();
    now.mockReturnValue(1_759_999_999_000);
    const second = uuidv7();
    expect(second > first).toBe(true);
  });
});

describe('isUuid', () => {
  it('accepts canonical UUIDs of any version and case', () => {
    expect(isUuid(uuidv7())).toBe(true);
    expect(isUuid('123E4567-E89B-12D3-A456-426614174000')).toBe(true);
  });

  it('rejects other shapes', () => {
    expect(isUuid('123e4567e89b12d3a456426614174000')).toBe(false);
    expect(isUuid('123e4567-e89b-12d3-a456-42661417400g')).toBe(false);
    expect(isUuid(' 123e4567-e89b-12d3-a456-426614174000')).toBe(false);
    expect(isUuid(42)).toBe(false);
  });
});
