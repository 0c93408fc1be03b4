/**
 * The benchmark's bare pass-through: a uWebSockets.js server that forwards every request to one
 * upstream through an undici keep-alive pool and copies the answer back byte for byte, with
 * backpressure, checking nothing. Whatever Keyward costs above this row is the price of its
 * enforcement and metering, not of the server stack both share.
 *
 * Run as a child of the benchmark: `node bare-proxy.js --port 0 --upstream http://127.0.0.1:PORT`;
 * it sends `{ url, port }` over IPC once listening.
 */
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import uWS from 'uWebSockets.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, upstream: { type: 'string' } } });
if (!values.upstream) {
  process.send?.({ error: '--upstream is required' });
  process.exit(1);
}
const pool = new Pool(values.upstream, { connections: null, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });

/** Headers that describe one hop's connection, never copied to the next. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/** One proxied exchange: whether the client may still be written to, and who waits for a drain. */
interface Exchange {
  done: boolean;
  headersSent: boolean;
  drained: (() => void) | null;
}

const app = uWS.App();
app.any('/*', (res, req) => {
  // uWS's request object lives on the stack: copy everything before the first callback.
  const method = req.getMethod().toUpperCase();
  const query = req.getQuery();
  const path = query ? `${req.getUrl()}?${query}` : req.getUrl();
  const headers: Record<string, string> = {};
  req.forEach((name, value) => {
    if (!HOP_BY_HOP.has(name)) headers[name] = value;
  });
  const abort = new AbortController();
  const exchange: Exchange = { done: false, headersSent: false, drained: null };
  res.onAborted(() => {
    exchange.done = true;
    abort.abort();
    exchange.drained?.();
  });
  const parts: Buffer[] = [];
  res.onData((data, isLast) => {
    parts.push(Buffer.from(new Uint8Array(data)));
    if (isLast) void relay(res, exchange, method, path, headers, Buffer.concat(parts), abort.signal);
  });
});

async function relay(
  res: uWS.HttpResponse,
  exchange: Exchange,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  signal: AbortSignal,
): Promise<void> {
  try {
    const upstream = await pool.request({ method: method as 'POST', path, headers, body: body.length > 0 ? body : null, signal });
    if (exchange.done) return;
    exchange.headersSent = true;
    res.cork(() => {
      res.writeStatus(String(upstream.statusCode));
      for (const [name, value] of Object.entries(upstream.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name)) continue;
        for (const v of Array.isArray(value) ? value : [value]) res.writeHeader(name, v);
      }
    });
    for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
      if (exchange.done) break;
      let ok = true;
      res.cork(() => {
        ok = res.write(chunk);
      });
      if (!ok) {
        await new Promise<void>((resolve) => {
          exchange.drained = resolve;
          res.onWritable(() => {
            exchange.drained = null;
            resolve();
            return true;
          });
        });
      }
    }
    if (exchange.done) return;
    exchange.done = true;
    res.cork(() => res.end());
  } catch {
    if (exchange.done) return;
    exchange.done = true;
    if (exchange.headersSent) res.close();
    else res.cork(() => res.writeStatus('502 Bad Gateway').end('upstream failed'));
  }
}

app.listen('127.0.0.1', Number(values.port), (socket) => {
  if (!socket) {
    process.send?.({ error: `could not listen on port ${values.port}` });
    process.exit(1);
  }
  const port = uWS.us_socket_local_port(socket);
  process.send?.({ url: `http://127.0.0.1:${port}`, port });
});

const stop = () => void pool.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
