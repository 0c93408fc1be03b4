import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { generateSecret } from '@keyward/shared';
import { gqlRequest, heldRequest, postApproval } from '@keyward/control-plane/testing';
import { firstOwnerToken, processSystemBase, startPlaneProcess } from '../support/plane-process.js';
import { freePort } from '../support/system.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('a control plane told to stop', () => {
  it('exits within KEYWARD_DRAIN_SECONDS while a webhook delivery hangs, saying why', async () => {
    const { databaseUrl, dir, kmsSpec } = await processSystemBase(inject('pgAdminUrl'), 'stop', cleanups);

    // A webhook receiver that accepts the request and never answers.
    let hung = 0;
    const receiver: Server = createServer(() => void (hung += 1));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => (receiver.closeAllConnections(), receiver.close(resolve))));

    const pepper = randomBytes(32).toString('base64');
    const nodeToken = generateSecret('node_token');
    const port = await freePort();
    const cp = await startPlaneProcess('control-plane', port, {
      DATABASE_URL: databaseUrl,
      KEYWARD_CP_PORT: String(port),
      KEYWARD_STATE_DIR: dir,
      KEYWARD_KMS: kmsSpec,
      KEYWARD_KEY_PEPPER: pepper,
      KEYWARD_HASH_SALT: randomBytes(32).toString('base64'),
      KEYWARD_NODE_TOKEN: nodeToken,
      KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
      KEYWARD_DRAIN_SECONDS: '1',
    });
    cleanups.push(() => cp.stop());
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    cleanups.push(() => db.end());
    const { token, orgId } = await firstOwnerToken(db, pepper);
    const key = await gqlRequest<{ createKey: { key: { id: string } } }>(
      cp.url,
      'mutation { createKey(input: { name: "k", ownerLabel: "o" }) { key { id } } }',
      {},
      { token },
    );
    const hook = await gqlRequest(
      cp.url,
      `mutation($u: String!) { createWebhook(input: { url: $u, events: ["approval.requested"] }) { secret } }`,
      { u: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` },
      { token },
    );
    expect(hook.errors).toBeUndefined();
    expect((await postApproval(cp.url, nodeToken, heldRequest(orgId, key.data!.createKey.key.id))).status).toBe(201);
    const deadline = Date.now() + 20_000;
    while (hung === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(hung).toBe(1);

    const signalled = Date.now();
    cp.kill('SIGTERM');
    const code = await cp.exited;
    const took = Date.now() - signalled;
    expect(code).toBe(1);
    expect(took).toBeGreaterThanOrEqual(1_000);
    expect(took).toBeLessThan(4_000);
    expect(cp.logs.some((line) => line.includes('stop deadline passed (KEYWARD_DRAIN_SECONDS); exiting without waiting'))).toBe(true);
  }, 120_000);
});
