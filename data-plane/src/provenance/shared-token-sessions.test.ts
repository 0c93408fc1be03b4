import type { HdpToken } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { MemorySessionTable } from '../storage/session-table.js';
import { tokenSessionsFor } from './shared-token-sessions.js';

const logger = createLogger('silent');
const now = Date.now();
const token = (sessionId: string) => ({ tokenId: 'tok-1', sessionId, expiresAt: now + 60_000 }) as HdpToken;

describe('where a node shares HDP token sessions', () => {
  it('is nowhere for a lone node without Redis: its provenance step keeps them', () => {
    expect(tokenSessionsFor({ redisUrl: null }, {}, logger)).toBeNull();
  });

  it("is the worker threads' session table without Redis, so a token id replayed on another thread in another session is refused", async () => {
    const table = new MemorySessionTable();
    const first = tokenSessionsFor({ redisUrl: null }, { sessionTable: table }, logger)!;
    const second = tokenSessionsFor({ redisUrl: null }, { sessionTable: table }, logger)!;
    expect(await first.check('org-1', token('session-a'), now)).toBeUndefined();
    expect(await second.check('org-1', token('session-b'), now)).toMatchObject({ ok: false, reason: 'session_mismatch' });
    await Promise.all([first.close(), second.close()]);
  });
});
