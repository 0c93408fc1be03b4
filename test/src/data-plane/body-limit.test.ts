import { connect } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

const MB20 = 20 * 1024 * 1024;
const LIMIT = 10 * 1024 * 1024;

/** What a raw HTTP/1.1 client saw after uploading a body: the bytes it read and how the connection ended. */
interface RawUpload {
  readonly response: string;
  readonly sent: number;
  readonly socketError: string | null;
}

/**
 * Uploads `size` bytes after `head` over a plain socket, as fast as the socket takes them, and
 * reads whatever comes back until the gateway closes the connection.
 */
function rawUpload(
  url: string,
  head: string,
  size: number,
  frame: (chunk: Buffer) => Buffer[] = (c) => [c],
  trailer: Buffer | null = null,
): Promise<RawUpload> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    let sent = 0;
    let socketError: string | null = null;
    socket.on('data', (d) => received.push(d));
    socket.on('error', (err: NodeJS.ErrnoException) => (socketError = err.code ?? err.message));
    socket.on('close', () => resolve({ response: Buffer.concat(received).toString('latin1'), sent, socketError }));
    socket.write(head);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = () => {
      while (sent < size && !socket.destroyed) {
        sent += chunk.length;
        const parts = frame(chunk);
        let accepted = true;
        for (const part of parts) accepted = socket.write(part) && accepted;
        if (!accepted) return void socket.once('drain', pump);
      }
      if (trailer && !socket.destroyed) socket.write(trailer);
    };
    socket.once('connect', pump);
  });
}

describe('a request body over the size limit', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let dp: TestDataPlane;
  let key: TestKey;
  /** A TCP hop in front of the node, like the network and load balancers agents reach it through. */
  let hop: TcpProxy;

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    const credential = await world.credential('openai', `${mock.url}/v1`);
    key = world.key();
    // The default limit (10 MiB), so the uploads are the sizes agents really send.
    dp = await startTestDataPlane({ world, snapshot: world.snapshot({ keys: [key], credentials: [credential] }) });
    hop = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(dp.url).port) });
  });

  afterAll(async () => {
    await hop?.close();
    await dp?.close();
    await mock?.close();
  });

  const answered = (status: number) => dp.logs.filter((line) => line.includes('"msg":"request"') && line.includes(`"status":${status}`)).length;

  it('reaches the official OpenAI client, with its default retries, as one 413 APIError carrying the message', async () => {
    const before = answered(413);
    const client = new OpenAI({ apiKey: key.secret, baseURL: `http://127.0.0.1:${hop.port}/v1` });
    const err = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(MB20) }] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).not.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(err).toMatchObject({ status: 413, code: 'body_too_large', message: expect.stringContaining(`larger than the ${LIMIT}-byte limit`) });
    // 413 is not among the statuses the client retries, so the upload went out once.
    expect(answered(413) - before).toBe(1);
    expect(mock.requests).toHaveLength(0);
  });

  it('answers a raw 20 MB upload with a readable 413 and closes the connection without a reset', async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key.secret}\r\nContent-Type: application/json\r\nContent-Length: ${MB20}\r\n\r\n`;
    const upload = await rawUpload(dp.url, head, MB20);
    expect(upload.socketError).toBeNull();
    expect(upload.sent).toBe(MB20);
    expect(upload.response).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(upload.response.toLowerCase()).toContain('connection: close');
    expect(upload.response).toContain('"code":"body_too_large"');
  });

  it('answers a chunked upload that passes the limit the same way', async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key.secret}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const frame = (c: Buffer) => [Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')];
    const upload = await rawUpload(dp.url, head, MB20, frame, Buffer.from('0\r\n\r\n'));
    expect(upload.socketError).toBeNull();
    expect(upload.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(upload.response).toContain('"code":"body_too_large"');
  });

  it('lets a client read a refusal sent before its body was read (an unknown key on a large upload)', async () => {
    const size = 8 * 1024 * 1024;
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer kw_not-a-key\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`;
    const upload = await rawUpload(dp.url, head, size);
    expect(upload.socketError).toBeNull();
    expect(upload.response).toMatch(/^HTTP\/1\.1 401 /);
    expect(upload.response).toContain('"code":"invalid_api_key"');
  });
});
