/**
 * A graphql-ws client for tests: subscribes with a bearer token, as a node or the console does,
 * and queues what arrives so a test reads messages one by one.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws subscription's messages, as a queue a test reads from. */
export interface Subscription<T> {
  /** The next message, or a rejection after `timeoutMs`. */
  next(timeoutMs?: number): Promise<T>;
  /** Resolves when nothing arrives within `ms` (fails otherwise). */
  expectSilence(ms: number): Promise<void>;
  readonly errors: unknown[];
  /** Resolves when the server ends the subscription (or it fails). */
  readonly completed: Promise<void>;
  close(): Promise<void>;
}

/** Subscribes over graphql-ws with a bearer token and queues `data[field]` of every message. */
export function subscribe<T>(baseUrl: string, token: string, query: string, field: string, variables: Record<string, unknown> = {}): Subscription<T> {
  const client: Client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
  });
  const queue: T[] = [];
  const errors: unknown[] = [];
  let waiter: (() => void) | null = null;
  let markCompleted: () => void = () => undefined;
  const completed = new Promise<void>((resolve) => (markCompleted = resolve));
  client.subscribe<Record<string, T>>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        const value = result.data?.[field];
        if (value !== undefined && value !== null) queue.push(value);
        waiter?.();
      },
      error: (error) => {
        errors.push(error);
        waiter?.();
        markCompleted();
      },
      complete: () => {
        waiter?.();
        markCompleted();
      },
    },
  );
  return {
    errors,
    completed,
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0) {
        if (errors.length > 0) throw new Error(`subscription failed: ${JSON.stringify(errors)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${field} message within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        waiter = null;
      }
      return queue.shift()!;
    },
    async expectSilence(ms) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      if (queue.length > 0) throw new Error(`expected no ${field} message, got ${JSON.stringify(queue[0])}`);
    },
    close: () => client.dispose() as Promise<void>,
  };
}
