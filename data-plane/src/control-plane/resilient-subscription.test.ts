import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createLogger } from '../observability/logger.js';
import { ControlPlaneEndpoints } from './endpoints.js';
import { createResilientSubscription, describeFailure, type ResilientSubscription } from './resilient-subscription.js';

/** What the fake control plane saw of one connection. */
interface Connection {
  readonly socket: WebSocket;
  authorization?: unknown;
  subscription?: { id: string; variables: Record<string, unknown> };
  closed: boolean;
}

const QUERY = 'subscription S($n: Int) { ticks(n: $n) }';

describe('a resilient subscription', () => {
  let server: WebSocketServer;
  let url: string;
  let connections: Connection[];
  /** Whether the fake control plane answers `connection_init` (a hung one accepts and stays silent). */
  let acknowledge: boolean;
  let lines: string[];
  let values: unknown[];
  let subscription: ResilientSubscription | null;
  let counter: number;

  beforeEach(async () => {
    connections = [];
    acknowledge = true;
    lines = [];
    values = [];
    subscription = null;
    counter = 0;
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/graphql' });
    server.on('connection', (socket) => {
      const connection: Connection = { socket, closed: false };
      connections.push(connection);
      socket.on('close', () => (connection.closed = true));
      socket.on('message', (raw) => {
        const message = JSON.parse(String(raw)) as { type: string; id?: string; payload?: { authorization?: unknown; variables?: Record<string, unknown> } };
        if (message.type === 'connection_init') {
          connection.authorization = message.payload?.authorization;
          if (acknowledge) socket.send(JSON.stringify({ type: 'connection_ack' }));
        } else if (message.type === 'subscribe') {
          connection.subscription = { id: message.id!, variables: message.payload?.variables ?? {} };
        }
      });
    });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await subscription?.stop();
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function open(disposeTimeoutMs = 1_000): ResilientSubscription {
    subscription = createResilientSubscription({
      endpoints: new ControlPlaneEndpoints([url]),
      nodeToken: 'node_token_test',
      logger: createLogger('debug', { write: (line: string) => void lines.push(line) }),
      name: 'tick stream',
      query: QUERY,
      variables: () => ({ n: ++counter }),
      field: 'ticks',
      onValue: (value) => values.push(value),
      backoff: { baseMs: 10, maxMs: 40 },
      disposeTimeoutMs,
    });
    return subscription;
  }

  /** The latest connection once it has subscribed. */
  async function subscribed(count: number): Promise<Connection & { subscription: NonNullable<Connection['subscription']> }> {
    await vi.waitFor(() => expect(connections.filter((c) => c.subscription)).toHaveLength(count));
    return connections.filter((c) => c.subscription)[count - 1] as Connection & { subscription: NonNullable<Connection['subscription']> };
  }

  function send(connection: Connection & { subscription: { id: string } }, payload: unknown): void {
    connection.socket.send(JSON.stringify({ id: connection.subscription.id, type: 'next', payload }));
  }

  const messages = (): string[] => lines.map((line) => (JSON.parse(line) as { msg: string }).msg);

  it('authenticates with the node token, sends the variables and hands over each value of the field', async () => {
    open().start();
    const connection = await subscribed(1);
    expect(connection.authorization).toBe('Bearer node_token_test');
    expect(connection.subscription.variables).toEqual({ n: 1 });
    send(connection, { data: { ticks: { at: 1 } } });
    send(connection, { data: { ticks: { at: 2 } } });
    await vi.waitFor(() => expect(values).toEqual([{ at: 1 }, { at: 2 }]));
  });

  it('resubscribes with fresh variables after the socket drops, and logs the streak once and the recovery', async () => {
    open().start();
    (await subscribed(1)).socket.close(1011, 'going away');
    const second = await subscribed(2);
    expect(second.subscription.variables).toEqual({ n: 2 });
    send(second, { data: { ticks: 'after' } });
    await vi.waitFor(() => expect(values).toEqual(['after']));
    expect(messages().filter((m) => m === 'tick stream failed; retrying with backoff')).toHaveLength(1);
    expect(messages()).toContain('tick stream is back');
    expect(lines.join('\n')).not.toContain('node_token_test');
  });

  it('retries with backoff when a result carries errors, without handing anything over', async () => {
    open().start();
    send(await subscribed(1), { errors: [{ message: 'node unknown' }] });
    await subscribed(2);
    expect(values).toEqual([]);
    expect(messages()).toContain('tick stream returned errors; retrying with backoff');
  });

  it('drops the current attempt and subscribes again at once on resubscribe', async () => {
    const stream = open();
    stream.start();
    const first = await subscribed(1);
    stream.resubscribe();
    const second = await subscribed(2);
    expect(second.subscription.variables).toEqual({ n: 2 });
    await vi.waitFor(() => expect(first.closed).toBe(true));
    // The dropped attempt's late results go nowhere.
    expect(values).toEqual([]);
  });

  it('stops within the dispose bound and cuts the socket when the server accepted it but never answers', async () => {
    acknowledge = false;
    const stream = open(100);
    stream.start();
    await vi.waitFor(() => expect(connections).toHaveLength(1));
    const started = Date.now();
    await stream.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(stream.running).toBe(false);
    await vi.waitFor(() => expect(connections[0]!.closed).toBe(true));
  });

  it('stops cleanly and does not reconnect afterwards', async () => {
    const stream = open();
    stream.start();
    const connection = await subscribed(1);
    await stream.stop();
    await vi.waitFor(() => expect(connection.closed).toBe(true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(connections).toHaveLength(1);
  });
});

describe('describing a subscription failure', () => {
  it('names the close code and reason of a close event', () => {
    expect(describeFailure({ code: 4403, reason: 'Forbidden' })).toBe('socket closed with code 4403 (Forbidden)');
  });

  it('joins the messages of a list of GraphQL errors', () => {
    expect(describeFailure([{ message: 'a' }, { message: 'b' }])).toBe('a; b');
  });

  it('uses the message of an error or of an error event', () => {
    expect(describeFailure(new Error('refused'))).toBe('refused');
    expect(describeFailure({ error: new Error('ECONNREFUSED') })).toBe('ECONNREFUSED');
  });
});
