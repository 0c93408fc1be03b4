import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigSnapshot } from '@keyward/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { backoffDelay } from './backoff.js';
import { loadLastKnownGood } from './last-known-good.js';
import { createManualConfigSource } from './source.js';
import { ConfigSync } from './sync.js';
import type { ViewUpdate } from './view.js';

const snapshot = (version: number): ConfigSnapshot => ({
  type: 'snapshot',
  version,
  generatedAt: new Date().toISOString(),
  orgs: {},
  keys: {},
  credentials: {},
  policies: {},
  budgets: {},
  rateLimits: {},
  routes: {},
  roles: {},
  mcpServers: {},
});
const delta = (fromVersion: number) => ({
  type: 'delta',
  fromVersion,
  version: fromVersion + 1,
  generatedAt: new Date().toISOString(),
  changed: {},
  removed: {},
});

describe('config sync', () => {
  let dir: string;
  const lines: string[] = [];
  const logger = createLogger('info', { write: (l: string) => void lines.push(l) });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sync-test-'));
    lines.length = 0;
  });
  afterEach(async () => {
    // A sync may still be writing its last known good file: rm retries ENOTEMPTY until that write lands.
    await rm(dir, { recursive: true, force: true, maxRetries: 10 });
  });

  it('applies a delta only on top of the version it was made from, asking for a snapshot otherwise', async () => {
    const source = createManualConfigSource();
    const sync = new ConfigSync({ stateDir: dir, source, logger });
    await sync.start();
    source.publish(snapshot(1));
    source.publish(delta(1));
    expect(sync.view?.version).toBe(2);
    await sync.flush();
    expect((await loadLastKnownGood(dir))?.version).toBe(2);

    source.publish(snapshot(4));
    source.publish(delta(7));
    expect(sync.view?.version).toBe(4);
    expect(source.resyncRequests).toBe(1);
  });

  it('resumes from disk: an empty delta at the served version confirms it without rebuilding, a later one applies', async () => {
    const first = new ConfigSync({ stateDir: dir, source: createManualConfigSource(), logger });
    await first.start();
    (first as unknown as { options: { source: ReturnType<typeof createManualConfigSource> } }).options.source.publish(snapshot(5));
    await first.flush();

    const source = createManualConfigSource();
    const changes: number[] = [];
    const sync = new ConfigSync({ stateDir: dir, source, logger, onChange: (view) => void changes.push(view.version) });
    await sync.start();
    expect(sync.origin).toBe('disk');
    const served = sync.view;
    source.publish({ ...delta(5), version: 5 });
    expect(sync.view).toBe(served);
    expect(sync.origin).toBe('manual');
    source.publish(delta(5));
    expect(sync.view?.version).toBe(6);
    expect(changes).toEqual([5, 6]);
    expect(source.resyncRequests).toBe(0);
  });

  it('derives a delta’s view from the served one and tells onChange how, then writes the change to disk', async () => {
    const source = createManualConfigSource();
    const updates: { version: number; update: ViewUpdate | null }[] = [];
    const sync = new ConfigSync({ stateDir: dir, source, logger, onChange: (view, _origin, update) => void updates.push({ version: view.version, update }) });
    await sync.start();
    source.publish(snapshot(1));
    const first = sync.view!;
    const org = { id: '0190a5d0-0000-7000-8000-000000000001', plan: 'pro', timeZone: 'UTC', contentCapture: false, limiterFailMode: 'open', customModels: [] };
    const change = { ...delta(1), changed: { orgs: { [org.id]: org } } };
    source.publish(change);
    expect(sync.view!.org(org.id)).toEqual(org);
    expect(first.org(org.id)).toBeUndefined();
    expect(updates).toEqual([
      { version: 1, update: null },
      { version: 2, update: { previous: first, changes: change } },
    ]);
    await sync.flush();
    expect((await loadLastKnownGood(dir))?.orgs).toEqual({ [org.id]: org });
  });

  it('ignores an unreadable last known good file and waits for the source', async () => {
    await writeFile(join(dir, 'config.json'), '{"type":"snapshot"');
    const source = createManualConfigSource();
    const sync = new ConfigSync({ stateDir: dir, source, logger });
    await sync.start();
    expect(sync.view).toBeNull();
    expect(lines.some((l) => l.includes('ignoring unreadable last known good config'))).toBe(true);
    const ready = sync.whenReady();
    source.publish(snapshot(3));
    await ready;
    expect(sync.origin).toBe('manual');
  });
});

describe('retry pacing', () => {
  it('doubles up to the cap and never fires immediately', () => {
    const options = { baseMs: 100, maxMs: 1_000 };
    expect(backoffDelay(0, options, () => 0)).toBe(50);
    expect(backoffDelay(0, options, () => 1)).toBe(100);
    expect(backoffDelay(3, options, () => 1)).toBe(800);
    expect(backoffDelay(30, options, () => 0.5)).toBe(750);
  });
});
