/**
 * Checks a baseline pushed in the config (on a key, or on an organization as its keys' prior),
 * throwing `FieldError` naming the first bad field: nodes score every request with it, so a
 * malformed one is refused with the snapshot rather than found by a request.
 */
import { arrayOf, child, FieldError, object, recordOf } from '../wire/field-checks.js';
import { HOURS_PER_WEEK, type AnomalyBaseline } from './baseline.js';

const STATS = [
  'requestsPerMinuteOverall',
  'spendPerMinuteOverall',
  'requestsPerMinutePeak',
  'spendPerMinutePeak',
  'promptTokens',
  'completionTokens',
  'requestCost',
] as const;
const HOURLY = ['requestsPerMinute', 'spendPerMinute'] as const;
const SHARES = ['errors', 'blocks'] as const;
const SETS = ['models', 'endpoints', 'tools', 'clients', 'userAgents', 'userAgentFamilies', 'activeHours'] as const;

export function checkAnomalyBaseline(value: unknown, path: string): AnomalyBaseline {
  const baseline = object(value, path);
  for (const name of STATS) numbers(baseline[name], child(path, name), ['m', 's', 'n']);
  for (const name of HOURLY) {
    const hours = arrayOf(baseline[name], child(path, name), (v, p) => numbers(v, p, ['m', 's', 'n']));
    if (hours.length !== HOURS_PER_WEEK) throw new FieldError(child(path, name), `must list ${HOURS_PER_WEEK} hours`);
  }
  for (const name of SHARES) numbers(baseline[name], child(path, name), ['events', 'total']);
  for (const name of SETS) {
    const set = numbers(baseline[name], child(path, name), ['novel', 'observations']);
    recordOf(set.seen, child(child(path, name), 'seen'), (v, p) => numbers(v, p, ['first', 'last']));
  }
  return baseline as unknown as AnomalyBaseline;
}

function numbers(value: unknown, path: string, names: readonly string[]): Record<string, unknown> {
  const record = object(value, path);
  for (const name of names) {
    const n = record[name];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new FieldError(child(path, name), 'must be a finite number, not negative');
  }
  return record;
}
