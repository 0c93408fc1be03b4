import { describe, expect, it } from 'vitest';
import { MemoryResponseStore } from './memory-store.js';

const bytes = (n: number, fill = 'a') => Buffer.alloc(n, fill);

describe('MemoryResponseStore', () => {
  it('evicts the least recently used answers once past its byte capacity', async () => {
    const store = new MemoryResponseStore(800);
    await store.set('a', bytes(100), 60);
    await store.set('b', bytes(100), 60);
    for (let i = 0; i < 6; i++) await store.set(`filler-${i}`, bytes(100), 60);
    // Reading `a` makes it the most recently used: `b` goes first when the next entry arrives.
    expect(await store.get('a')).toEqual(bytes(100));
    await store.set('c', bytes(100), 60);
    expect(await store.get('b')).toBeNull();
    expect(await store.get('a')).toEqual(bytes(100));
    expect(await store.get('c')).toEqual(bytes(100));
  });

  it('forgets an answer once its TTL passed', async () => {
    let now = 1_000_000;
    const store = new MemoryResponseStore(1_000, () => now);
    await store.set('k', bytes(10), 2);
    now += 1_999;
    expect(await store.get('k')).toEqual(bytes(10));
    now += 1;
    expect(await store.get('k')).toBeNull();
  });

  it('keeps no answer larger than an eighth of its capacity, and replaces an entry in place', async () => {
    const store = new MemoryResponseStore(800);
    await store.set('big', bytes(101), 60);
    expect(await store.get('big')).toBeNull();
    await store.set('k', bytes(50, 'x'), 60);
    await store.set('k', bytes(60, 'y'), 60);
    expect(await store.get('k')).toEqual(bytes(60, 'y'));
  });
});
