import { MessageChannel } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { PortSessionTable, serveSessionTable } from '../workers/session-table-channel.js';
import { MemorySessionTable, type SessionTable } from './session-table.js';

const ports: PortSessionTable[] = [];
afterAll(() => {
  for (const port of ports) port.close();
});

/** Two handles on one table: the same object, or two workers' ports to one table on the main thread. */
const tables: { name: string; pair: () => [SessionTable, SessionTable] }[] = [
  {
    name: 'MemorySessionTable',
    pair: () => {
      const table = new MemorySessionTable();
      return [table, table];
    },
  },
  {
    name: 'two PortSessionTables served one MemorySessionTable',
    pair: () => {
      const shared = new MemorySessionTable();
      const ends = [new MessageChannel(), new MessageChannel()].map((channel) => {
        serveSessionTable(shared, channel.port1);
        channel.port1.unref();
        return new PortSessionTable(channel.port2);
      });
      ports.push(...ends);
      return [ends[0]!, ends[1]!];
    },
  },
];

describe.each(tables)('$name', ({ pair }) => {
  it('gives a key to its first claim, and the live value to every later one, until it expires', async () => {
    const [a, b] = pair();
    expect(await Promise.all([a.claim('token', 'sess-a', 2_000, 1_000), b.claim('token', 'sess-b', 2_000, 1_000)])).toEqual(['sess-a', 'sess-a']);
    expect(await b.get('token', 2_000)).toBe('sess-a');
    expect(await b.get('token', 2_001)).toBeNull();
    expect(await b.claim('token', 'sess-b', 3_000, 2_001)).toBe('sess-b');
  });

  it('extends a live value on reading, replaces only a live value, and forgets a deleted one', async () => {
    const [a, b] = pair();
    await a.claim('mcp', 'v1', 2_000, 1_000);
    expect(await b.get('mcp', 1_500, 5_000)).toBe('v1');
    expect(await a.replace('mcp', 'v2', 6_000, 4_000)).toBe(true);
    expect(await b.get('mcp', 5_999)).toBe('v2');
    await b.delete('mcp');
    expect(await a.get('mcp', 5_999)).toBeNull();
    expect(await a.replace('mcp', 'v3', 9_000, 6_000)).toBe(false);
    expect(await b.get('mcp', 6_000)).toBeNull();
  });
});

it('drops the entry stored longest ago past its bound', async () => {
  const table = new MemorySessionTable(2);
  for (const key of ['a', 'b', 'c']) await table.claim(key, key, 10, 0);
  expect(await Promise.all(['a', 'b', 'c'].map((key) => table.get(key, 0)))).toEqual([null, 'b', 'c']);
});
