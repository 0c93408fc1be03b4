import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret, uuidv7, type ApprovalRequestMessage } from '@keyward/shared';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { ControlPlaneEndpoints } from '../control-plane/endpoints.js';
import { ControlPlaneClient } from '../control-plane/client.js';
import { ApprovalClient, ApprovalUnavailableError } from './client.js';
import { IN_FLIGHT_FILE } from './in-flight.js';

interface Call {
  path: string;
  body: unknown;
  authorization: string;
  /** The in-flight file as it was when the call arrived. */
  file: string;
}

describe('the approval client', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let calls: Call[];
  let status: (path: string) => number;
  const agent = new Agent();
  const token = generateSecret('node_token');
  const lines: string[] = [];
  const open = () =>
    ApprovalClient.open({
      client: new ControlPlaneClient({ endpoints: new ControlPlaneEndpoints([url]), nodeToken: token, dispatcher: agent }),
      nodeId: 'n1',
      nodeToken: token,
      stateDir: dir,
      logger: createLogger('info', { write: (line: string) => void lines.push(line) }),
      backoff: { baseMs: 10, maxMs: 40 },
      requestRetryMs: 200,
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyward-approvals-'));
    calls = [];
    status = () => 200;
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (req.method !== 'POST') return void res.writeHead(404).end();
      const file = await readFile(join(dir, IN_FLIGHT_FILE), 'utf8').catch(() => '');
      calls.push({ path: req.url!, body: JSON.parse(Buffer.concat(chunks).toString()), authorization: String(req.headers.authorization), file });
      res.writeHead(status(req.url!), { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('reports what the previous run left behind: node_restarted for waiting requests, the recorded outcome for the others', async () => {
    const [waiting, decided] = [uuidv7(), uuidv7()];
    await writeFile(join(dir, IN_FLIGHT_FILE), JSON.stringify({ approvals: { [waiting]: null, [decided]: 'forwarded' } }));
    const client = await open();
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(calls.map((c) => [c.path, c.body])).toEqual([
      [`/v1/node/approvals/${waiting}/outcome`, { outcome: 'node_restarted' }],
      [`/v1/node/approvals/${decided}/outcome`, { outcome: 'forwarded' }],
    ]);
    expect(calls[0].authorization).toBe(`Bearer ${token}`);
    await vi.waitFor(() => expect(client.inFlight).toBe(0));
    await client.close(100);
    expect(JSON.parse(await readFile(join(dir, IN_FLIGHT_FILE), 'utf8'))).toEqual({ approvals: {} });
  });

  it('writes the id to disk before the request leaves, and retries an outcome until it is acknowledged', async () => {
    const client = await open();
    const message = { id: uuidv7() } as ApprovalRequestMessage;
    await client.request(message);
    expect(calls[0].path).toBe('/v1/node/approvals');
    expect(JSON.parse(calls[0].file)).toEqual({ approvals: { [message.id]: null } });

    let failures = 2;
    status = (path) => (path.endsWith('/outcome') && failures-- > 0 ? 503 : 200);
    client.report(message.id, 'rejected');
    await vi.waitFor(() => expect(calls.filter((c) => c.path.endsWith('/outcome'))).toHaveLength(3));
    await vi.waitFor(() => expect(client.inFlight).toBe(0));
    expect(lines.filter((l) => l.includes('could not deliver an approval outcome'))).toHaveLength(1);
    await client.close(100);
  });

  it('gives up on a control plane that refuses or never answers, so the hold can apply onTimeout', async () => {
    const client = await open();
    status = () => 400;
    await expect(client.request({ id: uuidv7() } as ApprovalRequestMessage)).rejects.toBeInstanceOf(ApprovalUnavailableError);
    status = () => 503;
    await expect(client.request({ id: uuidv7() } as ApprovalRequestMessage)).rejects.toThrow(/could not be reached/);
    expect(calls.length).toBeGreaterThan(2);
    await client.close(100);
  });

  it('ignores an unreadable approvals file, saying so', async () => {
    await writeFile(join(dir, IN_FLIGHT_FILE), '{"approvals": {"not-an-id": null}}');
    const client = await open();
    expect(client.inFlight).toBe(0);
    expect(lines.some((l) => l.includes('ignoring an unreadable approvals file'))).toBe(true);
    await client.close(100);
  });

  it('ends a wait at its deadline or when the caller gives up', async () => {
    const client = await open();
    await expect(client.wait(uuidv7(), Date.now() + 30)).resolves.toEqual({ decision: 'deadline' });
    const abort = new AbortController();
    const waiting = client.wait(uuidv7(), Date.now() + 60_000, abort.signal);
    abort.abort();
    await expect(waiting).resolves.toEqual({ decision: 'cancelled' });
    await client.close(100);
  });
});
