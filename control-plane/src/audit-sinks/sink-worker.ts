import { createGuardedAgent, openSecret } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Agent } from 'undici';
import type { ChainKindName } from '../audit-chain/chain-kinds.js';
import { sqlRows } from '../config-publish/sql.js';
import type { Services } from '../services.js';
import { RoundLoop } from '../workers/round-loop.js';
import { formatRecord } from './formats/index.js';
import { readBatch, type SinkRecord } from './sink-batch.js';
import { AuditSink, AuditSinkCursor, AuditSinkDeadLetter, sinkAad } from './sink.entity.js';
import { TRANSPORTS } from './transports/index.js';
import { s3Due } from './transports/s3.js';
import { SinkSendError, type SinkTarget, type TransportContext } from './transports/types.js';

/** Records per batch (one request, message stream or object); an S3 object takes up to this many more. */
const BATCH_SIZE = 500;
const S3_BATCH_SIZE = 20_000;
/** Batches one job sends before it lets other sinks' jobs be claimed. */
const BATCHES_PER_JOB = 20;
/** A batch the receiver refuses (HTTP 4xx but 408 and 429) this many times in a row goes to the dead-letter list. */
export const MAX_REFUSALS = 5;
/** Wait after the first failed attempt; each later wait doubles, up to the configured cap. */
const FIRST_RETRY_MS = 1_000;
/** A claimed cursor is not claimed again before this, so a crash mid-send only delays it. */
const LEASE_MS = 120_000;
/** Cursors claimed per round. */
const CLAIM = 50;
const TIMEOUT_MS = 10_000;

/**
 * Exports every organization's audit chains to its sinks, in-process, one per control plane.
 * Each sink has one cursor per chain in PostgreSQL (`audit_sink_cursors.delivered_seq`): the
 * worker reads the links after it in `seq` order, formats and sends them as one batch, and
 * moves the cursor only when the receiver accepted the batch, so delivery is at least once and
 * in order, and a restart resumes from the cursor. A failing batch is retried with exponential
 * backoff (capped) for as long as the receiver fails; only a batch the receiver refuses
 * `MAX_REFUSALS` times goes to the dead-letter list, so a sink that is down loses nothing.
 *
 * Ingestion and the data plane never wait for it: it reads committed rows on its own timer.
 * Cursors are claimed with a lease (`FOR UPDATE SKIP LOCKED`), so several control planes share
 * the work, and each claimed cursor runs as its own job, so a slow receiver delays only itself.
 */
export class SinkWorker {
  private readonly agent: Agent;
  private readonly context: TransportContext;
  private readonly jobs = new Map<string, Promise<void>>();
  private readonly loop = new RoundLoop(() => this.round());

  constructor(private readonly services: Services) {
    const addressPolicy = { allowLoopback: services.config.allowLoopbackUpstreams };
    this.agent = createGuardedAgent({ ...addressPolicy, connect: { timeout: TIMEOUT_MS }, keepAliveTimeout: 10_000 });
    this.context = { agent: this.agent, addressPolicy, timeoutMs: TIMEOUT_MS };
  }

  /** Starts exporting, from the stored cursors. */
  start(): void {
    this.wake();
  }

  /** Runs a round now (or right after the current one). */
  wake(): void {
    this.loop.wake();
  }

  /** Stops after the batches in flight; cursors hold the rest for the next start. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.jobs.values());
    await this.agent.close();
  }

  /** Sends a test event through a sink's format and transport now; resolves with the failure, or null. */
  async sendTestEvent(sink: AuditSink, actor: string): Promise<string | null> {
    const now = new Date().toISOString();
    const record: SinkRecord = {
      chain: 'audit',
      seq: 0,
      id: sink.id,
      prevHash: '0'.repeat(64),
      hash: '0'.repeat(64),
      test: true,
      row: {
        id: sink.id,
        orgId: sink.organization.id,
        createdAt: now,
        actor,
        action: 'sendAuditSinkTestEvent',
        targetId: sink.id,
        outcome: 'success',
        errorCode: null,
        args: { message: 'Test event from Keyward: this sink is set up.' },
        ipHash: null,
        userAgent: null,
        requestId: null,
      },
    };
    return this.sendRecords(sink, [record]);
  }

  /** Sends a dead-lettered batch again (its rows as they are now); resolves with the failure, or null once the receiver took it. */
  async retryDeadLetter(em: EntityManager, letter: AuditSinkDeadLetter): Promise<string | null> {
    const sink = letter.sink.getEntity();
    const batch = await readBatch(em, sink.organization.id, letter.chain, letter.fromSeq - 1, letter.toSeq - letter.fromSeq + 1, letter.toSeq);
    if (!batch || batch.records.length === 0) return null;
    return this.sendRecords(sink, batch.records);
  }

  private async sendRecords(sink: AuditSink, records: readonly SinkRecord[]): Promise<string | null> {
    try {
      await this.send(await this.targetOf(sink), records);
      return null;
    } catch (error) {
      return this.failureOf(error, sink.id);
    }
  }

  /** Starts a job for each cursor it claims; resolves with the idle poll interval. */
  private async round(): Promise<number> {
    try {
      for (const { sinkId, chain } of await this.claim()) {
        const key = `${sinkId}:${chain}`;
        const job = this.runJob(sinkId, chain).finally(() => {
          this.jobs.delete(key);
          this.wake();
        });
        this.jobs.set(key, job);
      }
    } catch (error) {
      this.services.log.error({ err: error }, 'audit sink round failed; retrying soon');
    }
    return this.services.config.auditSinks.pollMs;
  }

  private fork(): EntityManager {
    return this.services.orm.em.fork({ clear: true }) as EntityManager;
  }

  /** Leases the due cursors of unpaused sinks that are behind their chain's head. */
  private async claim(): Promise<{ sinkId: string; chain: ChainKindName }[]> {
    return sqlRows<{ sinkId: string; chain: ChainKindName }>(
      this.fork(),
      `update audit_sink_cursors c set lease_until = now() + (? * interval '1 millisecond')
        where (c.sink_id, c.chain) in (
          select c2.sink_id, c2.chain from audit_sink_cursors c2
            join audit_sinks s on s.id = c2.sink_id
            join audit_chain_heads h on h.organization_id = s.organization_id and h.kind = c2.chain
           where not s.paused and c2.delivered_seq < h.seq and c2.next_attempt_at <= now()
             and (c2.lease_until is null or c2.lease_until < now())
           limit ? for update of c2 skip locked)
        returning c.sink_id as "sinkId", c.chain`,
      [LEASE_MS, CLAIM],
    );
  }

  /** Sends the batches after one cursor until the chain is caught up, a batch fails, or the job has sent its share. */
  private async runJob(sinkId: string, chain: ChainKindName): Promise<void> {
    const em = this.fork();
    let retryInMs = 0;
    try {
      const sink = await em.findOne(AuditSink, { id: sinkId }, { filters: { tenant: false } });
      const cursor = await em.findOne(AuditSinkCursor, { sink: sinkId, chain }, { filters: { tenant: false } });
      if (!sink || !cursor) return;
      const s3 = { intervalSeconds: this.services.config.auditSinks.s3IntervalSeconds };
      if (!s3Due({ sink }, cursor.lastDeliveredAt, s3.intervalSeconds)) {
        const window = s3.intervalSeconds * 1000;
        cursor.nextAttemptAt = new Date((Math.floor(Date.now() / window) + 1) * window);
        return;
      }
      const target = await this.targetOf(sink);
      const size = sink.kind === 's3' ? S3_BATCH_SIZE : BATCH_SIZE;
      for (let i = 0; i < BATCHES_PER_JOB && !this.loop.isStopped; i++) {
        const batch = await readBatch(em, sink.organization.id, chain, cursor.deliveredSeq, size);
        if (!batch) break;
        try {
          if (batch.records.length > 0) await this.send(target, batch.records);
        } catch (error) {
          this.recordFailure(em, sink, cursor, batch, error);
          break;
        }
        cursor.deliveredSeq = batch.toSeq;
        cursor.attempts = 0;
        cursor.lastDeliveredAt = new Date();
        cursor.nextAttemptAt = new Date();
        await em.flush();
        if (sink.kind === 's3') break;
      }
    } catch (error) {
      this.services.log.error({ err: error, sinkId, chain }, 'audit sink job failed; retrying soon');
      retryInMs = this.services.config.auditSinks.maxBackoffSeconds * 1000;
    } finally {
      await this.release(em, sinkId, chain, retryInMs);
    }
  }

  private recordFailure(
    em: EntityManager,
    sink: AuditSink,
    cursor: AuditSinkCursor,
    batch: { fromSeq: number; toSeq: number; chain: ChainKindName },
    error: unknown,
  ): void {
    const message = this.failureOf(error, sink.id);
    cursor.attempts += 1;
    cursor.lastError = message;
    cursor.lastErrorAt = new Date();
    const log = { sinkId: sink.id, chain: batch.chain, fromSeq: batch.fromSeq, toSeq: batch.toSeq, attempts: cursor.attempts, error: message };
    if (error instanceof SinkSendError && error.permanent && cursor.attempts >= MAX_REFUSALS) {
      em.create(AuditSinkDeadLetter, {
        organization: sink.organization.id,
        sink: sink.id,
        chain: batch.chain,
        fromSeq: batch.fromSeq,
        toSeq: batch.toSeq,
        attempts: cursor.attempts,
        error: message,
      });
      cursor.deliveredSeq = batch.toSeq;
      cursor.attempts = 0;
      cursor.nextAttemptAt = new Date();
      this.services.log.warn(log, 'audit sink refused a batch for good; it is on the dead-letter list');
      return;
    }
    const cap = this.services.config.auditSinks.maxBackoffSeconds * 1000;
    const wait = Math.min(cap, FIRST_RETRY_MS * 2 ** (cursor.attempts - 1));
    cursor.nextAttemptAt = new Date(Date.now() + Math.round(wait * (0.9 + Math.random() * 0.2)));
    this.services.log.info(log, 'audit sink batch failed; will retry');
  }

  /** Flushes the cursor and ends the lease; after an unexpected failure the cursor waits `retryInMs` instead of spinning. */
  private async release(em: EntityManager, sinkId: string, chain: ChainKindName, retryInMs: number): Promise<void> {
    try {
      if (retryInMs === 0) await em.flush();
    } finally {
      await em
        .getConnection()
        .execute(
          `update audit_sink_cursors set lease_until = null, next_attempt_at = greatest(next_attempt_at, now() + (? * interval '1 millisecond')) where sink_id = ? and chain = ?`,
          [retryInMs, sinkId, chain],
        );
    }
  }

  private async targetOf(sink: AuditSink): Promise<SinkTarget> {
    const orgId = sink.organization.id;
    const secret = await openSecret(this.services.kms, sink.sealed(), sinkAad(orgId, sink.id));
    return { sink, orgId, settings: sink.settings, secret };
  }

  private async send(target: SinkTarget, records: readonly SinkRecord[]): Promise<void> {
    const formatted = records.map((record) => formatRecord(target.sink.format, record));
    await TRANSPORTS[target.sink.kind](target, formatted, this.context);
  }

  /** The sentence stored and shown for a failure; anything but a send failure is logged and named vaguely. */
  private failureOf(error: unknown, sinkId: string): string {
    if (error instanceof SinkSendError) return error.message.slice(0, 300);
    this.services.log.error({ err: error, sinkId }, 'could not prepare an audit sink batch');
    return 'could not prepare the batch (see the control-plane log)';
  }
}

/** Start-up task: starts the audit-sink worker and returns how to stop it. */
export async function startSinkWorker(services: Services): Promise<() => Promise<void>> {
  services.sinkWorker.start();
  return () => services.sinkWorker.stop();
}
