import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** A config subscription a node opened. */
interface FakeSubscription {
  readonly connectionParams: Record<string, unknown>;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** Sends one `next` carrying a config message. */
  send(message: unknown): void;
  /** Ends the subscription from the server side. */
  complete(): void;
  readonly closed: boolean;
}

export interface FakeControlPlane {
  readonly url: string;
  readonly subscriptions: FakeSubscription[];
  /** Heartbeat inputs received through `POST /graphql`. */
  readonly heartbeats: { authorization: string; query: string; input: Record<string, unknown> }[];
  /** What a new subscription receives first (the current snapshot). */
  setInitial(message: unknown): void;
  close(): Promise<void>;
}

/**
 * The node-facing half of the control plane, speaking the real graphql-ws protocol
 * (`graphql-transport-ws`) by hand: it answers `connection_init`, records each `subscribe`
 * with its connection params and variables, and sends the initial snapshot at once. Also
 * accepts the heartbeat mutation on `POST /graphql`.
 */
export async function startFakeControlPlane(): Promise<FakeControlPlane> {
  const subscriptions: FakeSubscription[] = [];
  const heartbeats: FakeControlPlane['heartbeats'] = [];
  let initial: unknown = null;

  const server = createServer((req, res) => void handleHttp(req, res));
  async function handleHttp(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'POST' && req.url === '/graphql') {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables: { input: Record<string, unknown> } };
      heartbeats.push({ authorization: String(req.headers.authorization ?? ''), query: body.query, input: body.variables.input });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { nodeHeartbeat: true } }));
      return;
    }
    res.writeHead(404).end();
  }

  const wss = new WebSocketServer({ server, path: '/graphql' });
  wss.on('connection', (socket: WebSocket, req) => {
    if (req.headers['sec-websocket-protocol'] !== 'graphql-transport-ws') socket.close(4406, 'Subprotocol not acceptable');
    let connectionParams: Record<string, unknown> = {};
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; id?: string; payload?: Record<string, unknown> };
      switch (message.type) {
        case 'connection_init':
          connectionParams = message.payload ?? {};
          socket.send(JSON.stringify({ type: 'connection_ack' }));
          break;
        case 'ping':
          socket.send(JSON.stringify({ type: 'pong' }));
          break;
        case 'subscribe': {
          const id = message.id!;
          const payload = message.payload as { query: string; variables: Record<string, unknown> };
          let closed = false;
          socket.on('close', () => (closed = true));
          const subscription: FakeSubscription = {
            connectionParams,
            query: payload.query,
            variables: payload.variables ?? {},
            get closed() {
              return closed || socket.readyState !== socket.OPEN;
            },
            send(msg) {
              if (!this.closed) socket.send(JSON.stringify({ type: 'next', id, payload: { data: { configStream: msg } } }));
            },
            complete() {
              if (!this.closed) socket.send(JSON.stringify({ type: 'complete', id }));
              closed = true;
            },
          };
          subscriptions.push(subscription);
          if (initial !== null) subscription.send(initial);
          break;
        }
        case 'complete':
          break;
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    subscriptions,
    heartbeats,
    setInitial(message) {
      initial = message;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
