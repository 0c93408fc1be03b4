/**
 * A minimal OpenAI-compatible provider on uWebSockets.js, for the benchmark's floor: it answers
 * `POST /v1/chat/completions` with a fixed completion, or (with `"stream":true`) with a first
 * chunk at once and then `--chunks` content chunks `--interval-ms` apart, a finish chunk, the
 * usage chunk when `stream_options.include_usage` was asked, and `[DONE]`. A request's
 * `metadata` may set another shape for its own stream (`"bench_chunks":"30"`,
 * `"bench_interval_ms":"500"`; the stream-capacity ramp's). It does as little as
 * possible per request so that it is never what limits a measurement; the node:http mock of
 * the end-to-end tests is measured beside it to show why.
 *
 * Run as a child of the benchmark: `node fast-mock.js --port 0 --chunks 64 --interval-ms 20`;
 * it sends `{ url, port }` over IPC once listening.
 */
import uWS from 'uWebSockets.js';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    chunks: { type: 'string', default: '64' },
    'interval-ms': { type: 'string', default: '20' },
  },
});
const CHUNKS = Number(values.chunks);
const INTERVAL_MS = Number(values['interval-ms']);

const created = Math.floor(Date.now() / 1000);
const USAGE = { prompt_tokens: 1100, completion_tokens: CHUNKS * 2, total_tokens: 1100 + CHUNKS * 2, prompt_tokens_details: { cached_tokens: 0 } };
const ANSWER_TEXT = 'Batch the profile lookups with getMany and cache hot customers; the loop then makes one round trip per batch.';

function completion(model: string, id: number): string {
  return JSON.stringify({
    id: `chatcmpl-bench${id}`,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: ANSWER_TEXT, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: USAGE,
    system_fingerprint: 'fp_bench',
  });
}

function chunk(model: string, id: number, delta: unknown, finish: string | null, usage: boolean): string {
  const body = {
    id: `chatcmpl-bench${id}`,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(usage ? { usage: null } : {}),
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

/** A stream shape the request's metadata asks for (1–1,000 chunks, 1–10,000 ms apart), else the defaults. */
function shapeOf(body: string): { chunks: number; intervalMs: number } {
  const chunks = Number(/"bench_chunks"\s*:\s*"(\d{1,4})"/.exec(body)?.[1] ?? CHUNKS);
  const intervalMs = Number(/"bench_interval_ms"\s*:\s*"(\d{1,5})"/.exec(body)?.[1] ?? INTERVAL_MS);
  return {
    chunks: chunks >= 1 && chunks <= 1_000 ? chunks : CHUNKS,
    intervalMs: intervalMs >= 1 && intervalMs <= 10_000 ? intervalMs : INTERVAL_MS,
  };
}

/** Pulls `"model":"…"` out of the body without parsing all of it (the mock's work must stay negligible). */
function modelOf(body: string): string {
  const match = /"model"\s*:\s*"([^"]{1,200})"/.exec(body);
  return match ? match[1] : 'gpt-4o';
}

let nextId = 0;
const app = uWS.App();

app.post('/v1/chat/completions', (res, req) => {
  const auth = req.getHeader('authorization');
  let aborted = false;
  let timer: NodeJS.Timeout | null = null;
  res.onAborted(() => {
    aborted = true;
    if (timer) clearTimeout(timer);
  });
  const parts: Buffer[] = [];
  res.onData((data, isLast) => {
    parts.push(Buffer.from(new Uint8Array(data)));
    if (!isLast) return;
    if (aborted) return;
    const body = Buffer.concat(parts).toString('utf8');
    const id = ++nextId;
    const model = modelOf(body);
    if (!auth.startsWith('Bearer ')) {
      res.cork(() =>
        res
          .writeStatus('401 Unauthorized')
          .writeHeader('content-type', 'application/json')
          .end('{"error":{"message":"missing key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}'),
      );
      return;
    }
    if (!body.includes('"stream":true')) {
      res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end(completion(model, id)));
      return;
    }
    const includeUsage = body.includes('"include_usage":true');
    const shape = shapeOf(body);
    const content = chunk(model, id, { content: 'tok ' }, null, includeUsage);
    let sent = 0;
    const tick = (): void => {
      timer = null;
      if (aborted) return;
      let ok = true;
      res.cork(() => {
        ok = res.write(content);
        sent++;
        if (sent < shape.chunks) return;
        res.write(chunk(model, id, {}, 'stop', includeUsage));
        if (includeUsage) {
          res.write(`data: ${JSON.stringify({ id: `chatcmpl-bench${id}`, object: 'chat.completion.chunk', created, model, choices: [], usage: USAGE })}\n\n`);
        }
        res.end('data: [DONE]\n\n');
      });
      if (sent >= shape.chunks) {
        aborted = true; // ended: nothing may touch the response any more
        return;
      }
      // When the reader falls behind, wait for the socket to drain rather than queueing more.
      if (ok) timer = setTimeout(tick, shape.intervalMs);
      else
        res.onWritable(() => {
          if (!aborted && timer === null) timer = setTimeout(tick, shape.intervalMs);
          return true;
        });
    };
    res.cork(() => {
      res.writeStatus('200 OK').writeHeader('content-type', 'text/event-stream; charset=utf-8').writeHeader('cache-control', 'no-cache');
      res.write(chunk(model, id, { role: 'assistant', content: '', refusal: null }, null, includeUsage));
    });
    timer = setTimeout(tick, shape.intervalMs);
  });
});

app.any('/*', (res) => {
  res.cork(() => res.writeStatus('404 Not Found').writeHeader('content-type', 'application/json').end('{"error":{"message":"not found"}}'));
});

app.listen('127.0.0.1', Number(values.port), (socket) => {
  if (!socket) {
    process.send?.({ error: `could not listen on port ${values.port}` });
    process.exit(1);
  }
  const port = uWS.us_socket_local_port(socket);
  process.send?.({ url: `http://127.0.0.1:${port}`, port, server: typeof (uWS as { getParts?: unknown }).getParts === 'function' ? 'native' : 'fallback' });
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
