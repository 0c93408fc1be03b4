import { describe, expect, it } from 'vitest';
import { BoundedMap } from './bounded-map.js';

describe('BoundedMap', () => {
  it('drops the entry remembered longest ago when over its bound, counting a remembered-again entry as new', () => {
    const map = new BoundedMap<string, number>(2);
    map.remember('a', 1);
    map.remember('b', 2);
    map.remember('a', 3);
    map.remember('c', 4);
    expect([...map]).toEqual([
      ['a', 3],
      ['c', 4],
    ]);
  });
});
