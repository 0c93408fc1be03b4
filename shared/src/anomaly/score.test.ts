import { describe, expect, it } from 'vitest';
import { ActivityWindow } from './activity-window.js';
import { emptyBaseline, hourOfWeek, learnMinute, learnRequest, type AnomalyBaseline, type RequestFacts } from './baseline.js';
import { observeStat, emptyStat } from './robust-stat.js';
import { scoreRequest } from './score.js';
import { userAgentFamily } from './user-agent.js';

/** Tuesday 2026-01-06 10:00 UTC. */
const TUESDAY_10 = Date.UTC(2026, 0, 6, 10);
const MONDAY = Date.UTC(2026, 0, 5);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const WEEK = 7 * DAY;

function request(at: number, overrides: Partial<RequestFacts> = {}): RequestFacts {
  return {
    at,
    model: 'gpt-4.1-mini',
    endpoint: 'chat/completions',
    tools: ['search_docs'],
    clientIpHash: 'ip-a',
    userAgentHash: 'OpenAI/Python 1.52.0',
    userAgentFamilyHash: 'OpenAI/Python',
    promptTokens: 800,
    completionTokens: 200,
    costMicros: 1_000,
    failed: false,
    blocked: false,
    ...overrides,
  };
}

/** Three weeks of a key that makes 2–4 calls a minute on weekday working hours, from one client. */
function learnedKey(): AnomalyBaseline {
  const baseline = emptyBaseline();
  for (let week = -3; week < 0; week++) {
    for (let day = 0; day < 5; day++) {
      for (let minute = 8 * 60; minute < 18 * 60; minute += 3) {
        const start = MONDAY + week * WEEK + day * DAY + minute * MINUTE;
        const count = 2 + ((minute / 3) % 3);
        for (let i = 0; i < count; i++) learnRequest(baseline, request(start + i * 7_000, { promptTokens: 700 + ((minute * 37 + i * 101) % 300) }));
        learnMinute(baseline, { at: start, requests: count, costMicros: count * 1_000 });
      }
    }
  }
  return baseline;
}

const learned = learnedKey();

function scoreAfter(requests: readonly RequestFacts[], baseline: AnomalyBaseline = learned) {
  const window = new ActivityWindow();
  let last = { score: 0, reasons: [] as readonly { code: string; message: string }[] };
  for (const r of requests) {
    window.record(r.at, r.costMicros, r.failed, r.blocked);
    last = scoreRequest(r, window, { key: baseline, organization: undefined });
  }
  return last;
}

describe('the robust baseline', () => {
  it('follows the median and MAD of a series and is not dragged by a few huge values', () => {
    const stat = emptyStat();
    for (let i = 0; i < 5_000; i++) observeStat(stat, i % 50 === 0 ? 10_000 : 10 + (i % 5), 0.02, 0.5);
    expect(stat.m).toBeGreaterThan(11);
    expect(stat.m).toBeLessThan(13);
    expect(stat.s).toBeGreaterThan(0.5);
    expect(stat.s).toBeLessThan(2);
  });

  it('buckets rates by hour of the week, Monday 00:00 UTC first', () => {
    expect(hourOfWeek(Date.UTC(2026, 0, 5, 0, 30))).toBe(0);
    expect(hourOfWeek(TUESDAY_10)).toBe(34);
    expect(learned.requestsPerMinute[34]!.n).toBeGreaterThan(20);
    expect(learned.requestsPerMinute[34]!.m).toBeGreaterThanOrEqual(2);
    expect(learned.requestsPerMinute[34]!.m).toBeLessThanOrEqual(4);
  });
});

describe('anomaly score', () => {
  it('scores ordinary traffic 0', () => {
    const { score, reasons } = scoreAfter([request(TUESDAY_10), request(TUESDAY_10 + 9_000), request(TUESDAY_10 + 20_000)]);
    expect(score).toBe(0);
    expect(reasons).toEqual([]);
  });

  it('flags a retry loop within seconds, naming the rate against the key’s Tuesday 10:00', () => {
    const loop = Array.from({ length: 20 }, (_, i) => request(TUESDAY_10 + i * 250, { failed: i % 2 === 0, costMicros: i % 2 === 0 ? 0 : 1_000 }));
    const { score, reasons } = scoreAfter(loop);
    expect(score).toBeGreaterThanOrEqual(80);
    expect(reasons[0]!.code).toBe('request_rate');
    expect(reasons[0]!.message).toMatch(/^requests \d+× the key's usual rate for Tuesday 10:00 \(\d+\/min\)$/);
    expect(reasons.map((r) => r.code)).toContain('error_rate');
  });

  it('says how much the spend is above the usual rate', () => {
    const costly = Array.from({ length: 12 }, (_, i) => request(TUESDAY_10 + i * 2_000, { costMicros: 14_000 }));
    const { reasons } = scoreAfter(costly);
    expect(reasons.find((r) => r.code === 'spend_rate')?.message).toMatch(/^spend \d+× the key's usual rate for Tuesday 10:00$/);
  });

  it('flags a stolen key used from a new host by another program', () => {
    const { score, reasons } = scoreAfter([
      request(TUESDAY_10, { clientIpHash: 'ip-elsewhere', userAgentHash: 'python-requests/2.31', userAgentFamilyHash: 'python-requests/', model: 'gpt-5' }),
    ]);
    expect(score).toBeGreaterThanOrEqual(80);
    expect(reasons.map((r) => r.message)).toEqual(
      expect.arrayContaining(['first call from a new client', 'first call from a new kind of client (user agent)', 'model `gpt-5` never seen for this key']),
    );
  });

  it('keeps an SDK upgrade on a known host low', () => {
    const { score, reasons } = scoreAfter([request(TUESDAY_10, { userAgentHash: 'OpenAI/Python 1.60.0' })]);
    expect(score).toBeLessThan(40);
    expect(reasons.map((r) => r.message)).toEqual(['first call with a new version of a known user agent']);
  });

  it('names a risky tool never seen for the key', () => {
    const { score, reasons } = scoreAfter([request(TUESDAY_10, { tools: ['search_docs', 'transfer_funds'] })]);
    expect(score).toBeGreaterThanOrEqual(80);
    expect(reasons[0]).toEqual({ code: 'new_tool', message: 'tool `transfer_funds` never seen for this key' });
  });

  it('flags a prompt far above the key’s usual size', () => {
    const { score, reasons } = scoreAfter([request(TUESDAY_10, { promptTokens: 120_000 })]);
    expect(score).toBeGreaterThanOrEqual(80);
    expect(reasons[0]!.message).toMatch(/^prompt of 120000 tokens, \d+× the key's usual size$/);
  });

  it('notices a first call at an hour the key has never been active', () => {
    const sunday3am = Date.UTC(2026, 0, 11, 3);
    const { reasons } = scoreAfter([request(sunday3am)]);
    expect(reasons.map((r) => r.message)).toContain('first activity on Sunday 03:00 for this key');
  });

  it('judges a new key by its organization’s prior instead of alarming on its first calls', () => {
    const fresh = emptyBaseline();
    const window = new ActivityWindow();
    const first = request(TUESDAY_10, { clientIpHash: 'ip-new', userAgentHash: 'node/22', userAgentFamilyHash: 'node/' });
    window.record(first.at, first.costMicros, false, false);
    expect(scoreRequest(first, window, { key: fresh, organization: learned })).toEqual({ score: 0, reasons: [] });
    expect(scoreRequest(first, window, { key: fresh, organization: undefined }).score).toBe(0);
  });

  it('holds a new key’s loop against the organization’s usual rate per key', () => {
    const window = new ActivityWindow();
    let last = { score: 0, reasons: [] as readonly { message: string }[] };
    for (let i = 0; i < 60; i++) {
      const r = request(TUESDAY_10 + i * 200);
      window.record(r.at, r.costMicros, false, false);
      last = scoreRequest(r, window, { key: emptyBaseline(), organization: learned });
    }
    expect(last.score).toBeGreaterThanOrEqual(80);
    expect(last.reasons[0]!.message).toMatch(/the organization's usual rate per key for Tuesday 10:00/);
  });
});

describe('user agent family', () => {
  it('drops version numbers so an upgrade keeps the family', () => {
    expect(userAgentFamily('OpenAI/Python 1.52.0')).toBe(userAgentFamily('OpenAI/Python 1.60.2'));
    expect(userAgentFamily('Anthropic/JS 0.40.1 node/22.3.0')).toBe('Anthropic/JS node/');
    expect(userAgentFamily('curl/8.5.0')).not.toBe(userAgentFamily('python-requests/2.31.0'));
  });
});
