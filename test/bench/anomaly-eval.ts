/**
 * `npm run anomaly:eval`: scores seeded synthetic traffic (test/bench/anomaly/) and prints, per
 * incident kind, the detection rate and time to detection, and the false alarms per 100
 * key-weeks of clean traffic. `--keys 300 --weeks 4 --seed 1 --threshold 80` are the defaults;
 * `--examples` also prints the first false alarms with their reasons.
 */
import { parseArgs } from 'node:util';
import { evaluate } from './anomaly/evaluate.js';
import { reportTable } from './anomaly/table.js';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '300' },
    weeks: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    threshold: { type: 'string', default: '80' },
    examples: { type: 'boolean', default: false },
  },
});
const numberOf = (name: keyof typeof values): number => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number, not ${String(values[name])}.`);
  return value;
};
const weeks = numberOf('weeks');
if (weeks < 2) throw new Error('--weeks must be at least 2: the first week only teaches the baselines.');
const report = evaluate({ keys: numberOf('keys'), weeks, seed: numberOf('seed'), threshold: numberOf('threshold') });
console.log(reportTable(report));
if (values.examples) console.log(['', 'False alarms:', ...report.falseAlarmExamples].join('\n'));
