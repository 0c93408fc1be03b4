import { describe, expect, it } from 'vitest';
import { evaluate, falseAlarmRate, type EvaluationReport } from '../../bench/anomaly/evaluate.js';
import { reportTable } from '../../bench/anomaly/table.js';

/**
 * `npm run anomaly:eval` on a fixed, smaller budget (the same generator and default seed, fewer keys and
 * weeks), holding the anomaly scoring to its targets at the default threshold: every runaway
 * loop and leaked key detected within 30 seconds of its first request, fewer than one false
 * alarm per 100 key-weeks of clean traffic.
 */
describe('anomaly evaluation on seeded synthetic traffic', () => {
  let report: EvaluationReport;
  const figures = (kind: string) => report.incidents.find((f) => f.kind === kind)!;

  it('scores a few weeks of traffic for 60 keys with incidents of every kind', { timeout: 240_000 }, () => {
    report = evaluate({ seed: 1, keys: 60, weeks: 3 });
    console.log(reportTable(report));
    expect(report.requests).toBeGreaterThan(100_000);
    for (const incident of report.incidents) expect(incident.injected, incident.kind).toBeGreaterThan(0);
  });

  it('detects every runaway loop within 30 seconds', () => {
    expect(figures('runaway loop').detectedWithin30s).toBe(figures('runaway loop').injected);
  });

  it('detects every leaked key within 30 seconds', () => {
    expect(figures('leaked key').detectedWithin30s).toBe(figures('leaked key').injected);
  });

  it('raises fewer than one false alarm per 100 key-weeks of clean traffic', () => {
    expect(report.cleanKeyWeeks).toBeGreaterThan(50);
    expect(falseAlarmRate(report)).toBeLessThan(1);
  });
});
