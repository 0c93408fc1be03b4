import { describe, expect, it } from 'vitest';
import { requestMeta } from './request-meta.js';

describe('requestMeta', () => {
  it('keeps the x-keyward-meta-* headers in the order they came, names without the prefix', () => {
    expect(requestMeta({ authorization: 'Bearer kw_x', 'x-keyward-meta-customer': 'acme', 'x-keyward-meta-run-id': 'r-7', 'x-request-id': 'q' })).toEqual({
      entries: [
        { name: 'customer', value: 'acme' },
        { name: 'run-id', value: 'r-7' },
      ],
      dropped: 0,
    });
  });

  it('keeps at most 16 entries and counts the rest, with overlong names and values and empty names, as dropped', () => {
    const headers: Record<string, string> = {
      [`x-keyward-meta-${'n'.repeat(65)}`]: 'v',
      'x-keyward-meta-long': 'v'.repeat(257),
      'x-keyward-meta-': 'empty name',
      [`x-keyward-meta-${'n'.repeat(64)}`]: 'v'.repeat(256),
    };
    for (let i = 0; i < 17; i++) headers[`x-keyward-meta-k${i}`] = String(i);
    const meta = requestMeta(headers);
    expect(meta.entries).toHaveLength(16);
    expect(meta.entries[0]).toEqual({ name: 'n'.repeat(64), value: 'v'.repeat(256) });
    expect(meta.entries.at(-1)).toEqual({ name: 'k14', value: '14' });
    expect(meta.dropped).toBe(5);
  });
});
