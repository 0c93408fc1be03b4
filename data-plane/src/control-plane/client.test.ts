import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { ControlPlaneEndpoints } from './endpoints.js';
import { FailureStreak } from '../observability/failure-streak.js';
import { ControlPlaneClient, controlPlaneErrorMessage } from './client.js';

describe('the node’s client to its control plane', () => {
  let server: Server;
  let url = '';
  const seen: { path: string; authorization: string | undefined; body: string }[] = [];
  const agent = new Agent();

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
        res.setHeader('content-type', 'application/json');
        if (req.url === '/graphql' && body.includes('Broken')) return res.end(JSON.stringify({ errors: [{ message: 'Unknown field' }] }));
        if (req.url === '/graphql') return res.end(JSON.stringify({ data: { ok: true } }));
        if (req.url === '/html') return ((res.statusCode = 502), res.end('<html>bad gateway</html>'));
        res.statusCode = 409;
        res.end(JSON.stringify({ error: { code: 'CONFLICT', message: 'already decided' } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await agent.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the node token with every call and resolves every status with its body', async () => {
    const client = new ControlPlaneClient({ endpoints: new ControlPlaneEndpoints([url]), nodeToken: 'kwn_test', dispatcher: agent });
    const answer = await client.post('/v1/node/approvals', '{"a":1}', 2_000);
    expect(answer.status).toBe(409);
    expect(controlPlaneErrorMessage(answer.text)).toBe('already decided');
    expect(await client.post(`${url}/elsewhere`, '{}', 2_000)).toMatchObject({ status: 409 });
    expect(seen.map((s) => [s.path, s.authorization, s.body])).toEqual([
      ['/v1/node/approvals', 'Bearer kwn_test', '{"a":1}'],
      ['/elsewhere', 'Bearer kwn_test', '{}'],
    ]);
  });

  it('returns GraphQL data, and rejects naming the status and the errors otherwise', async () => {
    const client = new ControlPlaneClient({ endpoints: new ControlPlaneEndpoints([url]), nodeToken: 'kwn_test', dispatcher: agent });
    expect(await client.graphql('query Fine { ok }', undefined, 2_000)).toEqual({ ok: true });
    await expect(client.graphql('query Broken { nope }', undefined, 2_000)).rejects.toThrow('status 200: Unknown field');
    const html = new ControlPlaneClient({ endpoints: new ControlPlaneEndpoints([`${url}/html#`]), nodeToken: 'kwn_test', dispatcher: agent });
    await expect(html.graphql('query Fine { ok }', undefined, 2_000)).rejects.toThrow(/^status 502$/);
    expect(controlPlaneErrorMessage('<html>')).toBeNull();
  });

  it('moves on to the next control plane when one cannot be reached or answers 502, and stays there', async () => {
    const endpoints = new ControlPlaneEndpoints(['http://127.0.0.1:1', `${url}/html#`, url]);
    const client = new ControlPlaneClient({ endpoints, nodeToken: 'kwn_test', dispatcher: agent });
    seen.length = 0;
    expect((await client.post('/v1/node/approvals', '{}', 2_000)).status).toBe(409);
    expect(endpoints.current).toBe(url);
    expect(seen.map((s) => s.path)).toEqual(['/html', '/v1/node/approvals']);
    expect((await client.post('/v1/node/approvals', '{}', 2_000)).status).toBe(409);
    expect(seen).toHaveLength(3);
  });

  it('rejects when the control plane cannot be reached', async () => {
    const client = new ControlPlaneClient({ endpoints: new ControlPlaneEndpoints(['http://127.0.0.1:1']), nodeToken: 'kwn_test', dispatcher: agent });
    await expect(client.post('/v1/node/events', '{}', 2_000)).rejects.toThrow();
  });
});

describe('a failure streak', () => {
  it('logs when failures start and when they end, not every failure, and nothing once stopped', () => {
    const lines: string[] = [];
    const streak = new FailureStreak(createLogger('info', { write: (l: string) => void lines.push(l) }), { failing: 'went wrong', recovered: 'back again' });
    streak.failed('one');
    streak.failed('two');
    streak.succeeded();
    streak.succeeded();
    streak.stop();
    streak.failed('three');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['went wrong', 'back again']);
  });
});
