import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateEventBatch, type UsageEvent } from '@keyward/shared';

/**
 * How the collector answers event batches. `lose-ack` stores the batch and then answers 503, as
 * when the control plane committed but its answer never reached the node.
 */
type CollectorMode = 'accept' | 'unavailable' | 'invalid' | 'unauthorized' | 'lose-ack';

/** A stand-in for the control plane's node endpoints: `/v1/node/events` and the heartbeat mutation. */
export interface EventCollector {
  readonly url: string;
  readonly eventsUrl: string;
  /** Unique events stored, in arrival order. */
  readonly events: UsageEvent[];
  /** Batches received (any outcome). */
  readonly batches: number;
  /** Events received again after they were stored. */
  readonly duplicates: number;
  /** Heartbeat inputs received. */
  readonly heartbeats: Record<string, unknown>[];
  /** Authorization headers seen on every call. */
  readonly authorizations: string[];
  setMode(mode: CollectorMode): void;
  /** Stops listening (connections are refused) until `resume`. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the collector. Like the real control plane it validates each batch, stores an event id
 * once and answers `{ accepted, duplicates }` only after storing.
 */
export async function startEventCollector(port = 0): Promise<EventCollector> {
  const events: UsageEvent[] = [];
  const seen = new Set<string>();
  const heartbeats: Record<string, unknown>[] = [];
  const authorizations: string[] = [];
  let batches = 0;
  let duplicates = 0;
  let mode: CollectorMode = 'accept';

  const handler = async (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    const body = await readJson(req);
    authorizations.push(String(req.headers.authorization ?? ''));
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.method === 'POST' && req.url === '/graphql') {
      const input = (body as { variables?: { input?: Record<string, unknown> } }).variables?.input;
      if (input) heartbeats.push(input);
      send(200, { data: { nodeHeartbeat: true } });
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/node/events') return send(404, { error: 'not found' });
    batches++;
    if (mode === 'unavailable') return send(503, { error: 'database unavailable' });
    if (mode === 'unauthorized') return send(401, { error: 'bad node token' });
    if (mode === 'invalid') return send(400, { error: 'invalid batch' });
    let batch;
    try {
      batch = validateEventBatch(body);
    } catch (err) {
      return send(400, { error: (err as Error).message });
    }
    let accepted = 0;
    let dup = 0;
    for (const event of batch.events) {
      if (seen.has(event.id)) {
        dup++;
        continue;
      }
      seen.add(event.id);
      events.push(event);
      accepted++;
    }
    duplicates += dup;
    if (mode === 'lose-ack') return send(503, { error: 'connection lost after commit' });
    send(200, { accepted, duplicates: dup });
  };

  let server: Server = createServer((req, res) => void handler(req, res));
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const boundPort = await listen(port);
  const url = `http://127.0.0.1:${boundPort}`;
  return {
    url,
    eventsUrl: `${url}/v1/node/events`,
    events,
    get batches() {
      return batches;
    },
    get duplicates() {
      return duplicates;
    },
    heartbeats,
    authorizations,
    setMode(m) {
      mode = m;
    },
    pause: stop,
    async resume() {
      server = createServer((req, res) => void handler(req, res));
      await listen(boundPort);
    },
    close: stop,
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}
