import { describe, expect, it } from 'vitest';
import { mergeHolds } from './decision.js';
import { compileGlobs } from './glob.js';
import { EVERY, parseJsonPath, someAtPath } from './json-path.js';
import { isKnownTimeZone, localWeekMinute, zoneOffsetMs } from '../time/zoned-time.js';

describe('globs', () => {
  it('match exactly, by prefix, by suffix and anywhere', () => {
    const m = compileGlobs(['gpt-4o', 'o3*', '*-mini', 'claude-*-4-?']);
    expect(['gpt-4o', 'o3-pro', 'gpt-5-mini', 'claude-opus-4-1'].every(m)).toBe(true);
    expect(['gpt-4o-mini2', 'gpt-4', 'claude-opus-4-10'].some(m)).toBe(false);
  });

  it('treat regex characters literally', () => {
    const m = compileGlobs(['chat.completions']);
    expect(m('chat.completions')).toBe(true);
    expect(m('chatXcompletions')).toBe(false);
    expect(compileGlobs(['a+b*'])('a+bc')).toBe(true);
  });

  it('match everything with a lone star', () => {
    expect(compileGlobs(['*'])('')).toBe(true);
  });
});

describe('JSON paths', () => {
  it('parse members, quoted members, indices and wildcards', () => {
    expect(parseJsonPath('$.a["b c"][2][*].d')).toEqual({ ok: true, steps: ['a', 'b c', 2, EVERY, 'd'] });
    expect(parseJsonPath('a.b')).toEqual({ ok: true, steps: ['a', 'b'] });
    expect(parseJsonPath('$')).toEqual({ ok: true, steps: [] });
  });

  it('refuse what they do not understand', () => {
    expect(parseJsonPath('$..a')).toMatchObject({ ok: false, reason: expect.stringMatching(/expected a member name/) });
    expect(parseJsonPath('$[?(@.x)]')).toMatchObject({ ok: false, reason: expect.stringMatching(/unexpected/) });
  });

  it('select values existentially and never walk into prototypes', () => {
    const doc = { items: [{ id: 1 }, { id: 2 }], o: { x: 'y' } };
    const steps = (p: string) => {
      const r = parseJsonPath(p);
      if (!r.ok) throw new Error(r.reason);
      return r.steps;
    };
    expect(someAtPath(doc, steps('$.items[*].id'), (v) => v === 2)).toBe(true);
    expect(someAtPath(doc, steps('$.o.*'), (v) => v === 'y')).toBe(true);
    expect(someAtPath(doc, steps('$.items[3]'), () => true)).toBe(false);
    expect(someAtPath(doc, steps('$.o.constructor'), () => true)).toBe(false);
  });
});

describe('zoned time', () => {
  it('knows IANA zones and rejects others', () => {
    expect(isKnownTimeZone('Asia/Kolkata')).toBe(true);
    expect(isKnownTimeZone('Nowhere/Special')).toBe(false);
  });

  it('computes offsets including half-hour zones', () => {
    const ms = Date.parse('2025-06-01T12:00:00Z');
    expect(zoneOffsetMs('Asia/Kolkata', ms)).toBe(5.5 * 3_600_000);
    expect(zoneOffsetMs('America/Los_Angeles', ms)).toBe(-7 * 3_600_000);
  });

  it('packs weekday and minute of the local day', () => {
    // Sunday 2025-06-01 23:45 UTC is Monday 05:15 in Kolkata.
    expect(localWeekMinute('Asia/Kolkata', Date.parse('2025-06-01T23:45:00Z'))).toBe(5 * 60 + 15); // Monday 05:15 in Kolkata
    expect(localWeekMinute('UTC', Date.parse('2025-06-01T23:45:00Z'))).toBe(6 * 1440 + 23 * 60 + 45);
  });

  it('picks up a daylight saving change across quarter hours', () => {
    const before = Date.parse('2025-10-26T00:45:00Z');
    const after = Date.parse('2025-10-26T01:00:00Z');
    expect(zoneOffsetMs('Europe/Paris', before)).toBe(2 * 3_600_000);
    expect(zoneOffsetMs('Europe/Paris', after)).toBe(1 * 3_600_000);
  });
});

describe('mergeHolds', () => {
  it('prefers block on timeout, then the shortest wait; among allow-on-timeout holds the longest', () => {
    expect(mergeHolds({ timeoutSeconds: 10, onTimeout: 'allow' }, { timeoutSeconds: 900, onTimeout: 'block' })).toEqual({
      timeoutSeconds: 900,
      onTimeout: 'block',
    });
    expect(mergeHolds({ timeoutSeconds: 60, onTimeout: 'block' }, { timeoutSeconds: 30, onTimeout: 'block' })).toEqual({
      timeoutSeconds: 30,
      onTimeout: 'block',
    });
    expect(mergeHolds({ timeoutSeconds: 60, onTimeout: 'allow' }, { timeoutSeconds: 30, onTimeout: 'allow' })).toEqual({
      timeoutSeconds: 60,
      onTimeout: 'allow',
    });
  });
});
