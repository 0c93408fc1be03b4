/** The Markdown report of a run: what ran where, the tables, and the per-target details. */
import type { BenchResults } from './orchestrate.js';
import { markdownTables } from './report.js';
import { TARGET_IDS, TARGET_LABELS } from './targets.js';

/** The whole Markdown report. */
export function renderMarkdown(r: BenchResults): string {
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  const lines = [
    `# Keyward benchmark, ${r.startedAt}`,
    '',
    `- command: \`${r.command}\` (profile ${r.profile.name}, ${r.profile.rounds} round${r.profile.rounds === 1 ? '' : 's'}, ${r.durationSeconds} s)`,
    `- machine: ${r.machine.cores} cores (${r.machine.cpuModel}), ${mib(r.machine.memoryBytes)}, Node ${r.machine.node}, ${r.machine.os}; load average ${r.machine.loadAverageAtStart.join(' ')} at start, ${r.machine.loadAverageAtEnd.join(' ')} at end`,
    `- pinning: ${r.pinning.detail}`,
    `- workload: OpenAI chat completion, ${r.workload.requestBytes}-byte request (4 KB conversation with a contact e-mail, two tools), model ${r.workload.model}; streams: a first chunk, then ${r.profile.stream.chunks} chunks ${r.profile.stream.intervalMs} ms apart${
      r.profile.capacity.stream ? ` (capacity ramp: ${r.profile.capacity.stream.chunks} chunks ${r.profile.capacity.stream.intervalMs} ms apart)` : ''
    }`,
  ];
  if (r.keyward) {
    const k = r.keyward;
    lines.push(
      `- Keyward: ${k.policy ? `${k.policy.rules}-rule policy attached to the key (PII detection and redaction)` : 'no policy'}; ` +
        `${k.budget ? `budget ${k.budget.limitUsd} USD per ${k.budget.period}` : 'no budget'}; ` +
        `${k.rateLimit ? `rate limit ${k.rateLimit.requestsPerMinute} req/min, ${k.rateLimit.tokensPerMinute} tokens/min, ${k.rateLimit.concurrentRequests} concurrent` : 'no rate limit'}; ` +
        `limiter ${k.limiter}; events shipped to a running control plane on PostgreSQL (stored: ${
          Object.entries(k.eventsByDecision)
            .map(([d, n]) => `${n} ${d}`)
            .join(', ') || 'none'
        })`,
    );
    if (k.ingestion) {
      const g = k.ingestion;
      lines.push(
        `- event ingestion: ${g.events} events stored in ${g.seconds.toFixed(0)} s (${Math.round(g.eventsPerSecond)}/s at the bench's load); ` +
          `the control plane used ${g.controlPlaneCpuSeconds.toFixed(1)} CPU s and PostgreSQL ${g.postgresCpuSeconds.toFixed(1)}: ` +
          `**${Math.round(g.eventsPerControlPlaneCpuSecond)} events per CPU second of the control plane, ${Math.round(g.eventsPerCpuSecond)} with PostgreSQL's** (per core; target ≥ 5,000)`,
      );
    }
    if (k.otlpSink) {
      lines.push(
        `- ${TARGET_LABELS['keyward-otel']}: the same node with \`OTEL_EXPORTER_OTLP_ENDPOINT\` set, exporting to a local OTLP/HTTP sink beside the load generator (received ${k.otlpSink.spans} spans in ${k.otlpSink.exports} exports)`,
      );
    }
    for (const note of k.notes) lines.push(`- note: ${note}`);
  }
  if (r.ceilings.fastMock) {
    lines.push(
      `- mock ceilings: fast uWS mock ${Math.round(r.ceilings.fastMock.rps)} req/s (c=${r.ceilings.fastMock.concurrency}); the tests' node:http mock ${Math.round(r.ceilings.nodeMock?.rps ?? 0)} req/s. Rows within 10% of the fast mock's ceiling are marked "mock-bound".`,
    );
  }
  lines.push(
    '',
    'Latency figures are medians of per-round values with the range over rounds in parentheses; "added" is the row minus the mock in the same round.',
    '',
    markdownTables(r.rows, r.ratios),
    '',
  );
  const one = r.rows.keyward;
  const two = r.rows['keyward-2w'];
  if (one && two && one.peakRps.median > 0) {
    const times = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '–');
    lines.push(
      `${TARGET_LABELS['keyward-2w']} ÷ one worker: peak req/s ${times(two.peakRps.median, one.peakRps.median)}, req/s with p99 < 5 ms ${times(two.rpsUnderP99Limit.median, one.rpsUnderP99Limit.median)}${r.pinning.enabled ? ' (pinned: the two workers share core 0 with the load generator, the mock, the control plane and PostgreSQL)' : ''}.`,
      '',
    );
  }
  if (r.policyEval) {
    const p = r.policyEval;
    lines.push(
      `Policy evaluation alone (${p.rules} rules, ${p.promptBytes}-byte prompt): p50 ${p.p50us.toFixed(2)} µs, p99 ${p.p99us.toFixed(2)} µs (${p.iterations} evaluations).`,
      '',
    );
  }
  if (r.tracingCost) {
    const t = r.tracingCost;
    lines.push(
      `Tracing alone (OpenTelemetry SDK, OTLP/HTTP export to a sink in the same process, ${t.requests} chat requests): the hooks take p50 ${t.p50Us.toFixed(1)} µs, p99 ${t.p99Us.toFixed(1)} µs on the request path; ${t.cpuUsPerRequest.toFixed(1)} µs of CPU per request with the exports. Without an endpoint none of it runs.`,
      '',
    );
  }
  if (r.limits) {
    lines.push(
      `Limiter reserve+settle (3 budgets, 2 rate limits): memory p50 ${r.limits.memory.p50Us.toFixed(1)} µs, p99 ${r.limits.memory.p99Us.toFixed(1)} µs; Redis p50 ${r.limits.redis.p50Us.toFixed(1)} µs, p99 ${r.limits.redis.p99Us.toFixed(1)} µs.`,
      '',
    );
  } else if (r.limitsError) {
    lines.push(`Limiter benchmark failed: ${r.limitsError}`, '');
  }
  const capIds = TARGET_IDS.filter((id) => r.capacity[id]);
  if (capIds.length > 0) {
    lines.push(
      'Stream capacity steps, opened by separate load-generator processes (streams: peak open, lost, stalled, max chunk gap, max TTFT, RSS per stream, CPU s of the row and of the load generators during the step; the first error of a failed step):',
      '',
    );
    for (const id of capIds) {
      const steps = r.capacity[id]!.steps.map(
        (s) =>
          `${s.streams}: ${s.peakOpen} open, ${s.lost} lost, ${s.stalled} stalled, ${s.maxGapMs.toFixed(0)} ms, ${s.maxTtftMs.toFixed(0)} ms, ${(s.rssPerStreamBytes / 1024).toFixed(1)} KiB, ${(s.targetCpuSeconds ?? Number.NaN).toFixed(2)} / ${(s.generatorCpuSeconds ?? Number.NaN).toFixed(2)} s CPU` +
          (s.passed || s.errorExamples.length === 0 ? '' : ` (${s.errorExamples[0].slice(0, 80)})`),
      );
      lines.push(`- ${TARGET_LABELS[id]}: ${steps.join('; ')}`);
    }
    lines.push('');
  }
  const idle = TARGET_IDS.filter((id) => r.idleRssBytes[id] !== undefined).map((id) => `${TARGET_LABELS[id]} ${mib(r.idleRssBytes[id]!)}`);
  if (idle.length > 0) lines.push(`Idle RSS: ${idle.join(', ')}.`, '');
  lines.push(`Secrets found in server logs: ${r.secretsInLogs.length === 0 ? 'none' : r.secretsInLogs.join(', ')}.`, '');
  return lines.join('\n');
}
