/**
 * What tracing costs a request, apart from everything else a request does: the data plane's own
 * tracer (`startTracing`, the OpenTelemetry SDK with its OTLP/HTTP exporter) exporting to a sink
 * in this process, driven through one chat request's hooks (SERVER span, request parameters,
 * CLIENT span and its `traceparent`, an answer, both ends) as the pipeline calls them. Reports
 * the time those calls take on the request path and the CPU per request including the batched
 * exports (serializing and posting the spans; the sink only drains them).
 *
 * Run after building: `node test/dist/bench/tracing-cost.js [requests]`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createLogger, loadDataPlaneConfig, startTracing, type TracedRequest } from '@keyward/data-plane';
import { generateSecret, type CredentialConfig, type KeyConfig, type OrgConfig } from '@keyward/shared';

/** Figures in microseconds per request. */
export interface TracingCostResult {
  readonly requests: number;
  /** The hooks' time on the request path. */
  readonly p50Us: number;
  readonly p99Us: number;
  /** Process CPU per request over the run and the final flush: span work, serialization, HTTP to the sink. */
  readonly cpuUsPerRequest: number;
  /** Export requests the sink received. */
  readonly exports: number;
}

const BODY = { model: 'gpt-4o', max_tokens: 1024, temperature: 0.2, top_p: 0.9, stream: false, messages: [] };
const ANSWER = { id: 'chatcmpl-bench', object: 'chat.completion', model: 'gpt-4o-2024-08-06', choices: [{ index: 0, finish_reason: 'stop' }] };

export async function runTracingCostBench(options: { readonly requests: number }): Promise<TracingCostResult> {
  let exports = 0;
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const config = loadDataPlaneConfig({
    KEYWARD_NODE_TOKEN: generateSecret('node_token'),
    KEYWARD_KMS: `local-key:${Buffer.alloc(32).toString('base64')}`,
    KEYWARD_KEY_PEPPER: Buffer.alloc(32, 1).toString('base64'),
    KEYWARD_NODE_ID: 'bench-tracing',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
  });
  const tracing = (await startTracing(config, createLogger('silent')))!;
  const request = benchRequest();
  const upstream = { url: new URL('https://api.openai.com/v1/chat/completions'), credential: request.credential! };
  const headers = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'content-type': 'application/json' };
  const once = () => {
    const trace = tracing.startRequest({ method: 'POST', route: '/v1/chat/completions', headers });
    trace.describeRequest(BODY, 1024);
    trace.startUpstream(upstream);
    trace.observeAnswer(ANSWER);
    trace.endUpstream();
    trace.end(request);
  };
  for (let i = 0; i < Math.max(100, options.requests / 10); i++) once();
  await new Promise((resolve) => setTimeout(resolve, 50));

  const samples = new Float64Array(options.requests);
  const cpu = process.cpuUsage();
  for (let i = 0; i < options.requests; i++) {
    const started = process.hrtime.bigint();
    once();
    samples[i] = Number(process.hrtime.bigint() - started) / 1000;
    // Requests arrive over time; the batch processor exports between them (512 spans a batch).
    if (i % 128 === 127) await new Promise((resolve) => setImmediate(resolve));
  }
  await tracing.shutdown(30_000);
  const used = process.cpuUsage(cpu);
  await new Promise((resolve) => sink.close(resolve));
  samples.sort();
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.ceil(p * samples.length) - 1)];
  return { requests: options.requests, p50Us: at(0.5), p99Us: at(0.99), cpuUsPerRequest: (used.user + used.system) / options.requests, exports };
}

/** A finished chat request as the pipeline's record holds it: redacted by a policy, priced. */
function benchRequest(): TracedRequest {
  const org = { id: '0190a5d0-0000-7000-8000-000000000001' } as OrgConfig;
  const key = { id: '0190a5d0-0000-7000-8000-000000000002', prefix: 'kw_AbCdE' } as KeyConfig;
  const credential = { id: '0190a5d0-0000-7000-8000-000000000003', provider: 'openai' } as CredentialConfig;
  return {
    requestId: '0190a5d0-0000-7000-8000-000000000004',
    api: 'openai',
    endpoint: 'chat.completions',
    key,
    org,
    credential,
    model: 'gpt-4o',
    stream: false,
    status: 200,
    decision: 'redacted',
    errorCode: null,
    usage: { inputTokens: 1100, outputTokens: 128, cachedInputTokens: 0 },
    costMicros: 4030,
    tags: ['agent'],
    policy: {
      matches: [{ policyId: '0190a5d0-0000-7000-8000-000000000005', policyVersion: 1, ruleId: 'contacts', action: 'redact', phase: 'request', shadow: false }],
      approvalId: null,
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runTracingCostBench({ requests: Number(process.argv[2] ?? 20_000) });
  console.log(
    `tracing, ${r.requests} requests: request path p50 ${r.p50Us.toFixed(1)} µs, p99 ${r.p99Us.toFixed(1)} µs; CPU ${r.cpuUsPerRequest.toFixed(1)} µs per request with exports (${r.exports} export requests)`,
  );
}
