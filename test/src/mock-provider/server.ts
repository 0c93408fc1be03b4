import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as anthropic from './anthropic.js';
import type { MockAnswer } from './answer.js';
import { behaviourFromHeader, BEHAVIOUR_HEADER, resolveBehaviour, type MockBehaviour } from './behaviour.js';
import * as gemini from './gemini.js';
import * as openai from './openai.js';
import { writeStream } from './stream.js';

/** One request the mock received, as it arrived. */
interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (or the raw text when it was not JSON; null without a body). */
  readonly body: unknown;
  /** The credential the request carried, whichever header or parameter its API uses. */
  readonly credential: string | null;
  /** True once the client closed the connection before the answer was complete. */
  aborted: boolean;
  /** True once the answer was completely written. */
  finished: boolean;
  /** True when the reader (the gateway) stopped taking data for a while, so a write had to wait for `drain`. */
  backpressured: boolean;
}

export interface MockProviderOptions {
  readonly port?: number;
  readonly host?: string;
  /** Model ids `GET /v1/models` lists. */
  readonly models?: readonly string[];
  /** When set, only these credentials are accepted; others get a 401 in the API's shape. */
  readonly acceptKeys?: readonly string[];
  /** The global behaviour to start with. */
  readonly behaviour?: MockBehaviour;
}

/** A running mock provider. */
export interface MockProvider {
  readonly url: string;
  readonly port: number;
  /** Every request received so far, oldest first. */
  readonly requests: RecordedRequest[];
  /** Sets the global behaviour, or the behaviour for one model; `null` clears it. */
  setBehaviour(behaviour: MockBehaviour | null, scope?: { readonly model: string }): void;
  /** Forgets recorded requests and every behaviour set since start. */
  reset(): void;
  close(): Promise<void>;
}

type Family = 'openai' | 'anthropic' | 'gemini';

const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'];

/**
 * Starts a plain node:http server that answers like OpenAI, Anthropic and Gemini do, so the
 * gateway can be tested without reaching a real provider. Behaviour (pacing, tool calls,
 * usage, errors, stalls, failures) is set globally, per model, or per request with the
 * `x-mock-behaviour` header.
 */
export async function startMockProvider(options: MockProviderOptions = {}): Promise<MockProvider> {
  const requests: RecordedRequest[] = [];
  let globalBehaviour: MockBehaviour | undefined = options.behaviour;
  const modelBehaviour = new Map<string, MockBehaviour>();
  const models = options.models ?? DEFAULT_MODELS;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(err), type: 'mock_error' } }));
      } else {
        res.destroy();
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mock');
    const raw = await readBody(req);
    const body = parseBody(raw);
    const family = familyOf(url.pathname);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      credential: credentialOf(req, url),
      aborted: false,
      finished: false,
      backpressured: false,
    };
    requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    res.on('finish', () => {
      record.finished = true;
    });

    const object = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    const route = matchRoute(record.method, url.pathname);
    const model = route?.model ?? (typeof object.model === 'string' ? object.model : '');
    const behaviour = resolveBehaviour([globalBehaviour, modelBehaviour.get(model), behaviourFromHeader(req.headers[BEHAVIOUR_HEADER])]);
    if (behaviour.firstByteDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, behaviour.firstByteDelayMs));
    }

    let answer: MockAnswer;
    if (!route) {
      answer = errorAnswer(family ?? 'openai', 404, `No route for ${record.method} ${url.pathname}.`);
    } else if (options.acceptKeys && !options.acceptKeys.includes(record.credential ?? '')) {
      answer = errorAnswer(route.family, 401, 'Invalid API key.');
    } else if (raw.length > 0 && body === raw) {
      answer = errorAnswer(route.family, 400, 'The request body is not valid JSON.');
    } else {
      const call = { body: object, model, behaviour, query: url.searchParams };
      answer = route.answer(call, models);
    }
    if (res.destroyed) return;
    if (answer.kind === 'json') {
      const text = JSON.stringify(answer.body);
      const retryAfter = behaviour.error?.retryAfterSeconds;
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        'x-request-id': 'mock-req-1',
        ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
      });
      res.end(text);
    } else {
      await writeStream(res, answer.plan, behaviour, () => {
        record.backpressured = true;
      });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    requests,
    setBehaviour(behaviour, scope) {
      if (scope) {
        if (behaviour) modelBehaviour.set(scope.model, behaviour);
        else modelBehaviour.delete(scope.model);
      } else {
        globalBehaviour = behaviour ?? undefined;
      }
    },
    reset() {
      requests.length = 0;
      modelBehaviour.clear();
      globalBehaviour = options.behaviour;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Route {
  readonly family: Family;
  readonly model?: string;
  answer(call: Parameters<typeof openai.chatCompletions>[0], models: readonly string[]): MockAnswer;
}

function matchRoute(method: string, path: string): Route | null {
  if (method === 'GET' && path === '/v1/models') return { family: 'openai', answer: (_c, models) => openai.models(models) };
  if (method !== 'POST') return null;
  switch (path) {
    case '/v1/chat/completions':
      return { family: 'openai', answer: openai.chatCompletions };
    case '/v1/responses':
      return { family: 'openai', answer: openai.responses };
    case '/v1/embeddings':
      return { family: 'openai', answer: openai.embeddings };
    case '/v1/messages':
      return { family: 'anthropic', answer: anthropic.messages };
  }
  const gem = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
  if (gem) {
    const stream = gem[2] === 'streamGenerateContent';
    return { family: 'gemini', model: decodeURIComponent(gem[1]), answer: (call) => gemini.generateContent(call, stream) };
  }
  return null;
}

function familyOf(path: string): Family | null {
  if (path.startsWith('/v1beta/')) return 'gemini';
  if (path === '/v1/messages') return 'anthropic';
  if (path.startsWith('/v1/')) return 'openai';
  return null;
}

function errorAnswer(family: Family, status: number, message: string): MockAnswer {
  if (family === 'anthropic') return anthropic.anthropicError({ status, message });
  if (family === 'gemini') return gemini.geminiError({ status, message });
  return openai.openaiError({ status, message, code: status === 401 ? 'invalid_api_key' : undefined });
}

function credentialOf(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  const apiKey = req.headers['x-api-key'] ?? req.headers['x-goog-api-key'];
  if (typeof apiKey === 'string') return apiKey;
  return url.searchParams.get('key');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parsed JSON, or the raw text itself when it does not parse (the caller compares by identity). */
function parseBody(raw: string): unknown {
  if (raw.length === 0) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
