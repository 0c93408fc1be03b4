import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkAnomalyBaseline } from './check-baseline.js';
import { emptyBaseline, learnMinute, learnRequest } from './baseline.js';
import { wireBaseline, WIRE_SET_VALUES } from './wire-baseline.js';

const hash = (value: string) => createHash('sha256').update(value).digest('hex');

describe('the pushed form of a baseline', () => {
  it('keeps the most recently seen values of each set, every hour, and four digits, in under 28 kB', () => {
    const baseline = emptyBaseline();
    const start = Date.UTC(2026, 10, 2);
    // A busy key: a month of minutes, 500 client addresses (serverless), 3 models.
    for (let minute = 0; minute < 30 * 24 * 60; minute += 7) {
      const at = start + minute * 60_000;
      learnRequest(baseline, {
        at,
        model: `model-${minute % 3}`,
        endpoint: 'chat.completions',
        tools: ['search'],
        clientIpHash: hash(`ip-${minute % 500}`),
        userAgentHash: hash('agent/1.0'),
        userAgentFamilyHash: hash('agent'),
        promptTokens: 300 + (minute % 50),
        completionTokens: 120,
        costMicros: 900,
        failed: false,
        blocked: false,
      });
      learnMinute(baseline, { at, requests: 1 + (minute % 4), costMicros: 900 });
    }
    const full = JSON.stringify(baseline).length;
    const wire = wireBaseline(baseline);
    expect(() => checkAnomalyBaseline(JSON.parse(JSON.stringify(wire)), 'baseline')).not.toThrow();
    expect(Object.keys(wire.clients.seen)).toHaveLength(WIRE_SET_VALUES);
    const newest = Object.entries(baseline.clients.seen).sort((a, b) => b[1].last - a[1].last)[0]![0];
    expect(wire.clients.seen[newest]).toEqual(baseline.clients.seen[newest]);
    expect(Object.keys(wire.activeHours.seen)).toHaveLength(168);
    expect(wire.models).toEqual(baseline.models);
    expect(wire.requestsPerMinuteOverall.m).toBeCloseTo(baseline.requestsPerMinuteOverall.m, 3);
    const size = JSON.stringify(wire).length;
    // A month of every hour of the week and 500 clients: under 28 kB on the wire instead of 45 kB stored.
    expect(size).toBeLessThan(full * 0.6);
    expect(size).toBeLessThan(28_000);
  });
});
