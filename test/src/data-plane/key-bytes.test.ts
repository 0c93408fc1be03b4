import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

/** The bytes a key picks up when it is pasted from a web page or a chat message. */
const JUNK: Readonly<Record<string, Buffer>> = {
  'U+200B (zero-width space, UTF-8)': Buffer.from('\u200b', 'utf8'),
  'the byte 0xA0 (non-breaking space, Latin-1)': Buffer.from([0xa0]),
  'the byte 0xFF': Buffer.from([0xff]),
};

/** The same, as a client puts it in a query string. */
const JUNK_ESCAPED: Readonly<Record<string, string>> = {
  'U+200B (zero-width space, UTF-8)': '%E2%80%8B',
  'the byte 0xA0 (non-breaking space, Latin-1)': '%A0',
  'the byte 0xFF': '%FF',
};

const UNPRINTABLE = 'The Keyward key contains a character no key has';

/** A response as a raw HTTP/1.1 client reads it. */
interface RawResponse {
  readonly status: number;
  readonly body: string;
}

/** Sends `GET path` with exactly these header bytes and reads the answer. */
function rawGet(url: string, path: Buffer | string, header: Buffer | null): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const request = Buffer.concat([
    Buffer.from('GET '),
    Buffer.isBuffer(path) ? path : Buffer.from(path),
    Buffer.from(' HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n'),
    header ? Buffer.concat([header, Buffer.from('\r\n')]) : Buffer.alloc(0),
    Buffer.from('\r\n'),
  ]);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

describe('a presented key is taken exactly as sent', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let dp: TestDataPlane;
  let key: TestKey;
  /** `name: value` with the value's bytes given. */
  const header = (name: string, ...value: (string | Buffer)[]) =>
    Buffer.concat([Buffer.from(`${name}: `), ...value.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)))]);
  const refusedForItsBytes = (res: RawResponse) => {
    expect(res.status).toBe(401);
    expect(res.body).toContain(UNPRINTABLE);
    expect(res.body).not.toContain(key.secret);
  };

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    key = world.key();
    const credentials = [
      await world.credential('openai', `${mock.url}/v1`),
      await world.credential('anthropic', mock.url),
      await world.credential('gemini', mock.url),
    ];
    dp = await startTestDataPlane({ world, snapshot: world.snapshot({ keys: [key], credentials }) });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
  });

  // [where the key goes, the models path that client calls, the header carrying the key]
  const HEADERS = [
    ['Authorization: Bearer (OpenAI)', '/v1/models', (...v: (string | Buffer)[]) => header('Authorization', 'Bearer ', ...v)],
    ['x-api-key (Anthropic)', '/v1/models', (...v: (string | Buffer)[]) => header('x-api-key', ...v)],
    ['x-goog-api-key (Gemini)', '/v1beta/models', (...v: (string | Buffer)[]) => header('x-goog-api-key', ...v)],
  ] as const;

  describe.each(HEADERS)('in %s', (_where, path, carrying) => {
    it('accepts the key alone, and with spaces or tabs around it (HTTP’s optional whitespace)', async () => {
      expect((await rawGet(dp.url, path, carrying(key.secret))).status).toBe(200);
      expect((await rawGet(dp.url, path, carrying(key.secret, ' \t '))).status).toBe(200);
      expect((await rawGet(dp.url, path, carrying('\t', key.secret, '  '))).status).toBe(200);
    });

    it.each(Object.entries(JUNK))('refuses the key with %s inside it, saying why without repeating the key', async (_name, junk) => {
      refusedForItsBytes(await rawGet(dp.url, path, carrying(key.secret.slice(0, 20), junk, key.secret.slice(20))));
    });

    it('refuses the key followed by a tab or space and more text', async () => {
      refusedForItsBytes(await rawGet(dp.url, path, carrying(key.secret, '\tx')));
      refusedForItsBytes(await rawGet(dp.url, path, carrying(key.secret, ' ', key.secret)));
    });

    it.each(Object.entries(JUNK))(
      'cannot see %s at the very end of the value: the HTTP parser (uWebSockets.js 20.30) drops it before the gateway runs',
      async (_name, junk) => {
        // Known limit, documented in data-plane/README.md ("Key checks"): uWS trims bytes >= 0x80
        // at both ends of a header value, so the gateway receives the exact key. If a uWS upgrade
        // stops doing that, this turns into a 401 and the test should say so.
        expect((await rawGet(dp.url, path, carrying(key.secret, junk))).status).toBe(200);
      },
    );
  });

  describe('after Bearer', () => {
    it.each(Object.entries(JUNK))('refuses %s in place of the space', async (_name, junk) => {
      refusedForItsBytes(await rawGet(dp.url, '/v1/models', header('Authorization', 'Bearer', junk, key.secret)));
    });

    it('accepts any letter case of the scheme and a tab as the separator', async () => {
      expect((await rawGet(dp.url, '/v1/models', header('Authorization', 'bearer\t', key.secret))).status).toBe(200);
      expect((await rawGet(dp.url, '/v1/models', header('Authorization', 'BEARER  ', key.secret))).status).toBe(200);
    });
  });

  describe('in ?key= (Gemini)', () => {
    it('accepts the key alone', async () => {
      expect((await rawGet(dp.url, `/v1beta/models?key=${key.secret}`, null)).status).toBe(200);
    });

    it.each(Object.entries(JUNK_ESCAPED))('refuses the key followed by %s, percent-encoded', async (_name, escaped) => {
      refusedForItsBytes(await rawGet(dp.url, `/v1beta/models?key=${key.secret}${escaped}`, null));
    });

    it.each(Object.entries(JUNK))('refuses the key followed by %s as raw bytes in the URL', async (_name, junk) => {
      refusedForItsBytes(await rawGet(dp.url, Buffer.concat([Buffer.from(`/v1beta/models?key=${key.secret}`), junk]), null));
    });

    it('refuses the key followed by an encoded space or tab', async () => {
      refusedForItsBytes(await rawGet(dp.url, `/v1beta/models?key=${key.secret}%20`, null));
      refusedForItsBytes(await rawGet(dp.url, `/v1beta/models?key=${key.secret}%09`, null));
    });
  });
});
