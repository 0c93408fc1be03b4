import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { DataPlane } from './dataplane.js';
import { createLogger } from './observability/logger.js';
import { stopOnSignals } from './process.js';

const silent = createLogger('silent');

function fakeNode(close: () => Promise<void>): DataPlane {
  return { close } as unknown as DataPlane;
}

describe('stopping on signals', () => {
  it('drains once on SIGTERM and exits 0 when the node stopped', async () => {
    const target = new EventEmitter();
    const exits: number[] = [];
    let closes = 0;
    stopOnSignals(
      fakeNode(async () => void closes++),
      silent,
      { exit: (c) => exits.push(c), target },
    );
    target.emit('SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    expect(closes).toBe(1);
    expect(exits).toEqual([0]);
  });

  it('exits at once with 1 on a second signal while draining', () => {
    const target = new EventEmitter();
    const exits: number[] = [];
    stopOnSignals(
      fakeNode(() => new Promise(() => undefined)),
      silent,
      { exit: (c) => exits.push(c), target },
    );
    target.emit('SIGINT');
    target.emit('SIGTERM');
    expect(exits).toEqual([1]);
  });

  it('exits 1 when the drain itself fails', async () => {
    const target = new EventEmitter();
    const exits: number[] = [];
    stopOnSignals(
      fakeNode(() => Promise.reject(new Error('disk gone'))),
      silent,
      { exit: (c) => exits.push(c), target },
    );
    target.emit('SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    expect(exits).toEqual([1]);
  });

  it('can be uninstalled', () => {
    const target = new EventEmitter();
    const uninstall = stopOnSignals(
      fakeNode(async () => undefined),
      silent,
      { exit: () => undefined, target },
    );
    uninstall();
    expect(target.listenerCount('SIGTERM') + target.listenerCount('SIGINT')).toBe(0);
  });
});
