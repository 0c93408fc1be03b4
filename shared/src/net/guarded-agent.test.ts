import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsafeAddressError } from './errors.js';
import { createGuardedAgent } from './guarded-agent.js';
import { guardedLookup } from './guarded-lookup.js';

let server: Server;
let port: number;
let hits = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function get(url: string, allowLoopback: boolean) {
  const agent = createGuardedAgent({ allowLoopback, connect: { timeout: 2000 } });
  try {
    const response = await request(url, { dispatcher: agent });
    return await response.body.text();
  } finally {
    await agent.close();
  }
}

describe('guarded agent', () => {
  it('refuses a loopback IP literal without allowLoopback, before dialing', async () => {
    const before = hits;
    const error = await get(`http://127.0.0.1:${port}/`, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeAddressError);
    expect((error as Error).message).toBe('refusing to connect to 127.0.0.1: it is a loopback address, and providers must be reached at public addresses');
    expect(hits).toBe(before);
  });

  it('connects to a loopback IP literal with allowLoopback', async () => {
    expect(await get(`http://127.0.0.1:${port}/`, true)).toBe('ok');
  });

  it('refuses a host name that resolves to loopback, at connect time', async () => {
    const before = hits;
    const error = await get(`http://localhost:${port}/`, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeAddressError);
    expect((error as UnsafeAddressError).host).toBe('localhost');
    expect((error as UnsafeAddressError).addressClass).toBe('loopback');
    expect(hits).toBe(before);
  });

  it('connects through a host name that resolves to loopback with allowLoopback', async () => {
    expect(await get(`http://localhost:${port}/`, true)).toBe('ok');
  });

  it('refuses an IPv4-mapped IPv6 literal that points at loopback', async () => {
    const error = await get(`http://[::ffff:127.0.0.1]:${port}/`, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeAddressError);
  });
});

describe('guarded lookup', () => {
  const lookup = (host: string, all: boolean, allowLoopback: boolean) =>
    new Promise<unknown>((resolve, reject) => {
      guardedLookup({ allowLoopback })(host, { all }, (err, address) => (err ? reject(err) : resolve(address)));
    });

  it('answers a single address or all of them, as dns.lookup does', async () => {
    expect(await lookup('127.0.0.1', false, true)).toBe('127.0.0.1');
    expect(await lookup('127.0.0.1', true, true)).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });

  it('refuses a name with any non-public address', async () => {
    await expect(lookup('localhost', false, false)).rejects.toThrow(/^refusing to connect to "localhost": it resolves to .*, a loopback address/);
  });

  it('passes DNS errors through unchanged', async () => {
    await expect(lookup('does-not-exist.invalid', false, false)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
