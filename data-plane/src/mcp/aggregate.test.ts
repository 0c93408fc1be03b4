import { describe, expect, it } from 'vitest';
import { MemorySessionTable } from '../storage/session-table.js';
import { AggregateSessions } from './aggregate.js';

const HOUR = 60 * 60 * 1000;

describe('aggregated endpoint sessions', () => {
  it('are found by their own key only, and another key’s request with the id keeps nothing open', async () => {
    let now = 1_000_000;
    const sessions = new AggregateSessions(new MemorySessionTable(), () => now);
    const opened = await sessions.open('key-a', '2025-06-18');
    expect(opened.protocolVersion).toBe('2025-06-18');

    now += HOUR - 1000;
    expect(await sessions.find(opened.id, 'key-b')).toBeNull();
    now += 2000;
    // Past an hour since its key last used it: the stranger's lookup did not extend it.
    expect(await sessions.find(opened.id, 'key-a')).toBeNull();
  });

  it('stay open an hour past their key’s last message', async () => {
    let now = 1_000_000;
    const sessions = new AggregateSessions(new MemorySessionTable(), () => now);
    const opened = await sessions.open('key-a', 'not-a-version');
    expect(opened.protocolVersion).toBe('2025-11-25');
    now += HOUR - 1000;
    expect(await sessions.find(opened.id, 'key-a')).toMatchObject({ id: opened.id, keyId: 'key-a' });
    now += HOUR - 1000;
    expect(await sessions.find(opened.id, 'key-a')).toMatchObject({ id: opened.id });
    await sessions.close(opened);
    expect(await sessions.find(opened.id, 'key-a')).toBeNull();
  });
});
