/** The evaluation's figures as the Markdown table the README quotes. */
import { falseAlarmRate, type EvaluationReport } from './evaluate.js';

export function reportTable(report: EvaluationReport): string {
  const { keys, weeks, seed, threshold } = report.options;
  const seconds = (ms: number | undefined) => (ms === undefined ? '–' : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(0)} min`);
  const lines = [
    `${keys} keys, ${weeks} weeks, seed ${seed}, threshold ${threshold}: ${report.requests.toLocaleString('en-US')} requests scored in ${(report.elapsedMs / 1000).toFixed(1)} s`,
    '',
    '| incident | injected | detected | within 30 s | median time to detection | slowest |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const figures of report.incidents) {
    const median = figures.delaysMs[Math.floor((figures.delaysMs.length - 1) / 2)];
    lines.push(
      `| ${figures.kind} | ${figures.injected} | ${figures.detected} (${percent(figures.detected, figures.injected)}) | ${figures.detectedWithin30s} | ${seconds(median)} | ${seconds(figures.delaysMs.at(-1))} |`,
    );
  }
  const leads = Object.entries(report.falseAlarmReasons)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  lines.push(
    '',
    `False alarms on clean traffic: ${report.falseAlarms} in ${report.cleanKeyWeeks.toFixed(0)} key-weeks = ${falseAlarmRate(report).toFixed(2)} per 100 key-weeks${leads === '' ? '' : ` (led by ${leads})`}`,
  );
  return lines.join('\n');
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '–' : `${Math.round((100 * part) / whole)}%`;
}
