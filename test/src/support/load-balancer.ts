import { request as httpRequest, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running load balancer; `close` stops it. */
export interface LoadBalancer {
  readonly url: string;
  /** Requests passed to the next upstream because one refused the connection or was draining. */
  readonly retried: number;
  close(): Promise<void>;
}

/**
 * A small HTTP load balancer for tests, behaving as deploy/nginx.conf's gateway block does:
 * round robin over `upstreams()`, and a request an upstream could not take — connection refused
 * or reset before any answer, or a 503 — goes to the next one (nginx's
 * `proxy_next_upstream error http_503 non_idempotent`). Answers stream through unbuffered.
 */
export async function startLoadBalancer(upstreams: () => readonly string[]): Promise<LoadBalancer> {
  let next = 0;
  let retried = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const list = upstreams();
      const start = next++;
      const attempt = (tries: number): void => {
        if (tries >= list.length) {
          res.writeHead(502, { 'content-type': 'text/plain' }).end('no upstream could take the request');
          return;
        }
        const target = new URL(req.url ?? '/', list[(start + tries) % list.length]);
        const headers = { ...req.headers, host: target.host };
        const forward = httpRequest(target, { method: req.method, headers });
        forward.on('response', (answer: IncomingMessage) => {
          if (answer.statusCode === 503 && tries + 1 < list.length) {
            answer.resume();
            retried += 1;
            attempt(tries + 1);
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forward.on('error', () => {
          if (res.headersSent) {
            res.destroy();
            return;
          }
          retried += 1;
          attempt(tries + 1);
        });
        forward.end(body);
      };
      attempt(0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get retried() {
      return retried;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
