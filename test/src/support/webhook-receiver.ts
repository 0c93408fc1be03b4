import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One notification as Keyward POSTs it to a webhook. */
interface WebhookDelivery<T = Record<string, unknown>> {
  readonly type: string;
  readonly data: T;
}

/** A local HTTP server that keeps every notification POSTed to it. */
export interface WebhookReceiver<T> {
  /** The URL to give `createWebhook` (loopback: control planes in tests allow it). */
  readonly url: string;
  readonly deliveries: WebhookDelivery<T>[];
  close(): Promise<void>;
}

/** Starts a receiver on a free loopback port; every POST is answered 204. */
export async function startWebhookReceiver<T = Record<string, unknown>>(): Promise<WebhookReceiver<T>> {
  const deliveries: WebhookDelivery<T>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      deliveries.push(JSON.parse(body) as WebhookDelivery<T>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/keyward`,
    deliveries,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
