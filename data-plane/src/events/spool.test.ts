import { appendFile, mkdtemp, open as openFile, readdir, readFile, rm, symlink, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7, type UsageEvent } from '@keyward/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { EventSpool, type SpoolBatch } from './spool.js';

const logger = createLogger('silent');

/** The request ids of a batch's events, in order. */
function requestIds(batch: SpoolBatch | null): string[] {
  return batch!.events.map((line) => (JSON.parse(line) as UsageEvent).requestId);
}

function event(n: number): UsageEvent {
  return {
    id: uuidv7(),
    orgId: '00000000-0000-7000-8000-000000000001',
    keyId: '00000000-0000-7000-8000-000000000002',
    keyPrefix: 'kw_abcde',
    ownerLabel: 'agent',
    teamId: null,
    provider: 'openai',
    credentialId: null,
    api: 'openai',
    endpoint: 'chat.completions',
    model: 'gpt-4o-mini',
    stream: false,
    status: 200,
    decision: 'allowed',
    errorCode: null,
    startedAt: new Date().toISOString(),
    latencyMs: n,
    ttftMs: null,
    inputTokens: n,
    outputTokens: 0,
    cachedInputTokens: 0,
    costMicros: 0,
    clientIpHash: 'x',
    userAgentHash: 'y',
    requestId: `req-${n}`,
    nodeId: 'node',
    tags: [],
    content: null,
  };
}

describe('the event spool', () => {
  let dir: string;
  const open = (segmentBytes?: number) => EventSpool.open({ dir, logger, segmentBytes });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spool-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes an event into its segment at once while a flush waits out the sync interval, before the fsync that makes it durable', async () => {
    const spool = await EventSpool.open({ dir, logger, syncIntervalMs: 1_000 });
    await spool.append(event(1));
    const started = performance.now();
    let writtenAfterMs = -1;
    let durable = false;
    const second = spool.append(event(2), () => (writtenAfterMs = performance.now() - started)).then(() => (durable = true));
    const third = spool.append(event(3));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Queued in this turn, written in the next; the fsync waits for the rest of the second.
    expect(writtenAfterMs).toBeGreaterThanOrEqual(0);
    expect(writtenAfterMs).toBeLessThan(100);
    expect(durable).toBe(false);
    let lateWritten = false;
    const fourth = spool.append(event(4), () => (lateWritten = true));
    expect(lateWritten).toBe(true);
    const segment = (await readdir(dir)).find((name) => name.endsWith('.ndjson') && !name.startsWith('dead'))!;
    const lines = (await readFile(join(dir, segment), 'utf8')).trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as UsageEvent).requestId)).toEqual(['req-1', 'req-2', 'req-3', 'req-4']);
    await Promise.all([second, third, fourth]);
    expect(durable).toBe(true);
    await spool.close();
  });

  it('writes an event at once while an fsync is in progress, and shows it to readers only after its own', async () => {
    // Every fsync waits until the test lets it go, as on a busy disk; then it runs for real.
    const probe = await openFile(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const datasync = proto.datasync;
    let letGo = () => {};
    const spy = vi.spyOn(proto, 'datasync').mockImplementation(async function (this: FileHandle) {
      await new Promise<void>((resolve) => (letGo = resolve));
      return datasync.call(this);
    });
    try {
      const spool = await EventSpool.open({ dir, logger });
      const first = spool.append(event(1));
      await vi.waitFor(() => expect(spy).toHaveBeenCalledTimes(1));
      let written = false;
      let durable = false;
      const second = spool.append(event(2), () => (written = true)).then(() => (durable = true));
      // The answer waiting for `written` goes on while the first fsync still runs.
      expect(written).toBe(true);
      letGo();
      await first;
      expect(requestIds(await spool.readBatch(10))).toEqual(['req-1']);
      await vi.waitFor(() => expect(spy).toHaveBeenCalledTimes(2));
      expect(durable).toBe(false);
      letGo();
      await second;
      expect(requestIds(await spool.readBatch(10))).toEqual(['req-1', 'req-2']);
      await spool.close();
    } finally {
      spy.mockRestore();
    }
  });

  it('holds, in order, the events written while an fsync that fails was in progress', async () => {
    const probe = await openFile(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const datasync = proto.datasync;
    let failNext = true;
    let letGo = () => {};
    const spy = vi.spyOn(proto, 'datasync').mockImplementation(async function (this: FileHandle) {
      await new Promise<void>((resolve) => (letGo = resolve));
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('I/O error'), { code: 'EIO' });
      }
      return datasync.call(this);
    });
    try {
      const spool = await EventSpool.open({ dir, logger, retryMs: 300 });
      const appends = [spool.append(event(1))];
      await vi.waitFor(() => expect(spy).toHaveBeenCalledTimes(1));
      appends.push(spool.append(event(2)), spool.append(event(3)));
      letGo();
      await vi.waitFor(() => expect(spool.failure).toBe('EIO'));
      expect(spool.backlog).toBe(3);
      // The retry writes all three again, oldest first, and its fsync succeeds.
      await vi.waitFor(() => expect(spy).toHaveBeenCalledTimes(2));
      letGo();
      await Promise.all(appends);
      expect(spool.failure).toBeNull();
      expect(requestIds(await spool.readBatch(10))).toEqual(['req-1', 'req-2', 'req-3']);
      await spool.close();
    } finally {
      spy.mockRestore();
    }
  });

  it('holds the events a full disk refused, in order, and writes them once there is room again', async () => {
    const spool = await EventSpool.open({ dir, logger, segmentBytes: 4096, retryMs: 50 });
    // The next segment is /dev/full: the kernel fails every write to it with ENOSPC.
    const full = join(dir, 'segment-000000000002.ndjson');
    await symlink('/dev/full', full);
    const durable: Promise<void>[] = [];
    const append = (n: number) => new Promise<void>((written) => durable.push(spool.append(event(n), written)));
    let n = 0;
    while (spool.failure === null && n < 50) await append(++n);
    expect(spool.failure).toBe('ENOSPC');
    const spooled = n - 1;
    await append(++n);
    await append(++n);
    expect(spool.backlog).toBe(n);
    // What was on disk before the disk filled stays readable, whole.
    const first = await spool.readBatch(100);
    expect(requestIds(first)).toEqual(Array.from({ length: spooled }, (_, i) => `req-${i + 1}`));
    await spool.acknowledge(first!);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(spool.failure).toBe('ENOSPC');

    await unlink(full); // room again
    await Promise.all(durable);
    expect(spool.failure).toBeNull();
    const ids: string[] = [];
    for (let batch = await spool.readBatch(100); batch; batch = await spool.readBatch(100)) {
      ids.push(...requestIds(batch));
      await spool.acknowledge(batch);
    }
    expect(ids).toEqual(Array.from({ length: n - spooled }, (_, i) => `req-${spooled + i + 1}`));
    expect(spool.backlog).toBe(0);
    await spool.close();
  });

  it('hands back appended events in order, and forgets them only once acknowledged', async () => {
    const spool = await open();
    await Promise.all([1, 2, 3].map((n) => spool.append(event(n))));
    expect(spool.backlog).toBe(3);
    const batch = await spool.readBatch(2);
    expect(requestIds(batch)).toEqual(['req-1', 'req-2']);
    expect(spool.backlog).toBe(3);
    await spool.acknowledge(batch!);
    expect(spool.backlog).toBe(1);
    expect(requestIds(await spool.readBatch(10))).toEqual(['req-3']);
    await spool.close();
  });

  it('resumes after a restart exactly where the acknowledgements stopped', async () => {
    const first = await open();
    for (let n = 1; n <= 5; n++) await first.append(event(n));
    await first.acknowledge((await first.readBatch(2))!);
    await first.readBatch(2); // read but never acknowledged: must come back
    await first.close();

    const second = await open();
    expect(second.backlog).toBe(3);
    expect(requestIds(await second.readBatch(10))).toEqual(['req-3', 'req-4', 'req-5']);
    await second.close();
  });

  it('cuts a torn last line left by a crash and keeps everything before it', async () => {
    const first = await open();
    await first.append(event(1));
    await first.close();
    const [segment] = (await readdir(dir)).filter((f) => f.startsWith('segment-'));
    await appendFile(join(dir, segment), '{"id":"half-writ');

    const second = await open();
    expect(second.backlog).toBe(1);
    expect((await second.readBatch(10))!.events).toHaveLength(1);
    await second.append(event(2));
    const batch = await second.readBatch(10);
    expect(requestIds(batch)).toEqual(['req-1', 'req-2']);
    await second.close();
  });

  it('rolls over to new segments and deletes the ones fully acknowledged', async () => {
    const spool = await open(600);
    for (let n = 1; n <= 6; n++) await spool.append(event(n));
    expect((await readdir(dir)).filter((f) => f.startsWith('segment-')).length).toBeGreaterThan(2);
    const seen: string[] = [];
    for (;;) {
      const batch = await spool.readBatch(100);
      if (!batch) break;
      seen.push(...requestIds(batch));
      await spool.acknowledge(batch);
    }
    expect(seen).toEqual(['req-1', 'req-2', 'req-3', 'req-4', 'req-5', 'req-6']);
    expect(spool.backlog).toBe(0);
    expect((await readdir(dir)).filter((f) => f.startsWith('segment-'))).toHaveLength(1);
    await spool.close();
  });

  it('sets unreadable lines and refused batches aside in the dead-letter file', async () => {
    const spool = await open();
    await spool.append(event(1));
    await spool.close();
    const [segment] = (await readdir(dir)).filter((f) => f.startsWith('segment-'));
    // What a power cut can leave: zeroed bytes, then the start of a line that was never finished.
    await appendFile(join(dir, segment), '\0\0\0\0{"id":"0190\n');

    const reopened = await open();
    await reopened.append(event(2));
    const batch = await reopened.readBatch(10);
    expect(requestIds(batch)).toEqual(['req-1', 'req-2']);
    expect(batch!.lines).toBe(3);
    await reopened.deadLetter(batch!, 'rejected by the control plane as invalid');
    expect(reopened.backlog).toBe(0);
    const lines = (await readFile(join(dir, 'dead-letter.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.reason)).toEqual([
      'unreadable spool line',
      'rejected by the control plane as invalid',
      'rejected by the control plane as invalid',
    ]);
    await reopened.close();
  });

  it('ships again from the oldest segment when the cursor file is unreadable or empty (a power cut)', async () => {
    const spool = await open();
    await spool.append(event(1));
    await spool.acknowledge((await spool.readBatch(10))!);
    await spool.append(event(2));
    await spool.close();
    for (const content of ['{"segment":"x"}', '']) {
      await writeFile(join(dir, 'cursor.json'), content);
      const reopened = await open();
      const batch = await reopened.readBatch(10);
      expect(requestIds(batch)).toEqual(['req-1', 'req-2']);
      await reopened.close();
    }
  });
});
