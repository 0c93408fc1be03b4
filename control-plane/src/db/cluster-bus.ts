import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.js';

/** The PostgreSQL channel the control planes of one database talk on. */
const CHANNEL = 'keyward_cluster';
/** Ids per `events` notification: PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more. */
const IDS_PER_MESSAGE = 150;
/** Waits between attempts to listen again after the listening connection was lost. */
const RECONNECT_DELAYS_MS = [200, 500, 1000, 2000, 5000];

/**
 * What one control plane tells the others after a commit. Messages name rows (small payloads);
 * receivers read the rows from their own tables, so a message never carries data that could
 * disagree with the database.
 */
export type ClusterMessage =
  | { readonly kind: 'config' }
  | { readonly kind: 'events'; readonly ids: readonly string[] }
  | { readonly kind: 'approval'; readonly orgId: string; readonly id: string };

/** What a control plane does on another's message: one handler per kind, and a resynchronization each time it (re)starts listening. */
export interface ClusterHandlers {
  readonly config: () => Promise<void>;
  readonly events: (ids: readonly string[]) => Promise<void>;
  readonly approval: (orgId: string, id: string) => Promise<void>;
  /** Runs once the channel is listened on (again): catches up with what may have been missed while it was not. */
  readonly listening: () => Promise<void>;
}

/** Runs one parameterized statement on the control plane's pool (the ORM's connection). */
export type Execute = (sql: string, params: unknown[]) => Promise<unknown>;

/**
 * Publication between control-plane replicas over PostgreSQL `LISTEN`/`NOTIFY` on one channel.
 * `announce` sends a message after the announcing process has already acted on it locally; every
 * other replica's `listen` handlers act on it. The listening connection is a dedicated client
 * (a pooled connection cannot keep a LISTEN); when it drops it is opened again with backoff, and
 * `handlers.listening` runs after each (re)connect. Nothing is queued in between: what must not
 * be missed (config versions, approval backlogs) is read from tables on resynchronization.
 */
export class ClusterBus {
  /** Marks this process's own messages, which it skips (it acted on them before announcing). */
  private readonly origin = randomUUID();
  private client: pg.Client | null = null;
  private handlers: ClusterHandlers | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly execute: Execute,
    private readonly log: Logger,
  ) {}

  /** Starts listening; resolves once the first LISTEN is in place (and its resynchronization ran). */
  async listen(handlers: ClusterHandlers): Promise<void> {
    this.handlers = handlers;
    await this.connect();
  }

  /** Tells every other replica; never throws (the change is committed, and replicas resynchronize when they reconnect). */
  async announce(message: ClusterMessage): Promise<void> {
    const parts = message.kind === 'events' ? chunks(message.ids, IDS_PER_MESSAGE).map((ids) => ({ kind: 'events', ids })) : [message];
    try {
      for (const part of parts) await this.execute('select pg_notify(?, ?)', [CHANNEL, JSON.stringify({ ...part, from: this.origin })]);
    } catch (error) {
      this.log.warn({ err: error, kind: message.kind }, 'could not tell the other control planes about a change');
    }
  }

  /** Stops listening and closes the dedicated connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (note) => {
      if (note.channel === CHANNEL) void this.receive(note.payload ?? '');
    });
    await client.connect();
    await client.query(`listen ${CHANNEL}`);
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
    await this.handlers!.listening().catch((error: unknown) => this.log.error({ err: error }, 'could not catch up with the other control planes'));
  }

  private lost(client: pg.Client, error: Error | null): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    void client.end().catch(() => undefined);
    this.log.warn({ err: error ?? undefined }, 'lost the connection that hears other control planes; listening again');
    this.reconnectLater();
  }

  private reconnectLater(): void {
    if (this.stopped || this.retry) return;
    const delay = RECONNECT_DELAYS_MS[Math.min(this.failures, RECONNECT_DELAYS_MS.length - 1)]!;
    this.failures += 1;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect().catch((error: unknown) => {
        this.log.warn({ err: error }, 'could not listen for other control planes yet');
        this.reconnectLater();
      });
    }, delay);
    this.retry.unref();
  }

  private async receive(payload: string): Promise<void> {
    let message: ClusterMessage & { from?: string };
    try {
      message = JSON.parse(payload) as ClusterMessage & { from?: string };
    } catch {
      this.log.warn('ignored a cluster message that is not JSON');
      return;
    }
    if (message.from === this.origin || !this.handlers) return;
    try {
      if (message.kind === 'config') await this.handlers.config();
      else if (message.kind === 'events') await this.handlers.events(message.ids);
      else if (message.kind === 'approval') await this.handlers.approval(message.orgId, message.id);
    } catch (error) {
      this.log.error({ err: error, kind: message.kind }, 'could not act on another control plane’s change');
    }
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
