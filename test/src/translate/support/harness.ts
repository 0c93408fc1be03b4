import { GatewayError, type Translator } from '@keyward/data-plane';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockProvider } from '../../mock-provider/index.js';

/** A running translation harness: the agent's client points at `url`. */
interface TranslationHarness {
  readonly url: string;
  close(): Promise<void>;
}

export interface TranslationHarnessOptions {
  /** One translator per agent operation served (Gemini agents use two, one per method). */
  readonly translators: readonly Translator[];
  /** The target credential's base URL (the mock provider's, with `/v1` for OpenAI). */
  readonly targetBaseUrl: string;
  readonly targetModel: string;
  readonly targetSecret: string;
}

/** What a test file's translation tests talk to, once its `beforeAll` ran. */
export interface HarnessedPair {
  /** The mock provider playing the target (and the native side the answers are compared with). */
  readonly mock: MockProvider;
  /** Where the agent's client points. */
  readonly url: string;
}

/**
 * Starts the mock provider and a translation harness in front of it for the enclosing `describe`
 * (before its tests; stopped after them), and resets the mock's record before each test.
 * `targetPath` is appended to the mock's URL for the target's base URL (`/v1` for OpenAI).
 */
export function useTranslationHarness(options: Omit<TranslationHarnessOptions, 'targetBaseUrl'> & { readonly targetPath?: string }): HarnessedPair {
  let mock: MockProvider | undefined;
  let harness: TranslationHarness | undefined;
  beforeAll(async () => {
    mock = await startMockProvider();
    harness = await startTranslationHarness({ ...options, targetBaseUrl: `${mock.url}${options.targetPath ?? ''}` });
  });
  afterAll(async () => {
    await harness?.close();
    await mock?.close();
  });
  beforeEach(() => mock?.reset());
  return {
    get mock() {
      return mock!;
    },
    get url() {
      return harness!.url;
    },
  };
}

/**
 * A small HTTP server that does what the data plane does for a route whose target speaks
 * another API family: translates the agent's request, sends it to the target's native endpoint,
 * and translates the answer, the stream or the error back. Any path is the agent's operation; the
 * mock provider's behaviour header is passed on so tests can steer the answer.
 */
async function startTranslationHarness(options: TranslationHarnessOptions): Promise<TranslationHarness> {
  const { translators, targetModel } = options;
  /** The translator whose agent operation serves this path: its own pattern, or Gemini's `{model}:{method}`. */
  const translatorOf = (path: string): Translator | undefined =>
    translators.find((t) => (t.from.route.modelMethod ? path.endsWith(`:${t.from.route.modelMethod}`) : path === t.from.route.pattern));
  const server = createServer((req, res) => {
    const translator = translatorOf(new URL(req.url ?? '/', 'http://harness').pathname);
    if (!translator) {
      res.writeHead(404).end();
      return;
    }
    handle(translator, req, res).catch((err: unknown) => {
      const error = err instanceof GatewayError ? err : new GatewayError('internal_error', 500, 'The harness failed.');
      if (!res.headersSent) res.writeHead(error.status, { 'content-type': 'application/json' }).end(translator.from.errors.errorBody(error));
      else res.destroy();
    });
  });

  async function handle(translator: Translator, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    const translated = translator.request(body, targetModel);
    const upstream = translator.upstream(body, targetModel);
    const behaviour = req.headers[BEHAVIOUR_HEADER];
    const answer = await fetch(`${options.targetBaseUrl}${upstream.path}`, {
      method: 'POST',
      headers: {
        ...upstream.operation.api.defaultHeaders,
        ...upstream.operation.api.authHeaders(options.targetSecret),
        'content-type': 'application/json',
        ...(typeof behaviour === 'string' ? { [BEHAVIOUR_HEADER]: behaviour } : {}),
      },
      body: JSON.stringify(translated),
    });
    if (answer.status !== 200) {
      const text = await answer.text();
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(translator.error(answer.status, JSON.parse(text)));
      return;
    }
    if (!upstream.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(translator.answer(await answer.json())));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const stream = translator.stream(body);
    for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) {
      const out = stream.push(Buffer.from(chunk));
      if (out.length > 0) res.write(out);
    }
    res.end(stream.end());
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
