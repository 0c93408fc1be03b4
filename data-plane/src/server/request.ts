import { GatewayError } from '../errors.js';
import type { ClientResponse } from './response.js';
import type { HttpRequest, HttpResponse } from './uws.js';

/** What the gateway keeps of a uWS request: uWS allocates `HttpRequest` on the stack, so it is copied before any await. */
export interface IncomingRequest {
  readonly method: string;
  /** The path, without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-case names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** Route parameters in pattern order. */
  readonly params: readonly string[];
  /** The peer address as text. */
  readonly remoteAddress: string;
  /** The client address a PROXY protocol header gave (empty without one); used only when trusted. */
  readonly proxiedAddress: string;
}

const MAX_HEADERS = 100;

/** Copies everything the pipeline needs out of the request, synchronously, inside the route handler. */
export function copyRequest(req: HttpRequest, res: HttpResponse, paramCount = 0): IncomingRequest {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  let seen = 0;
  req.forEach((name, value) => {
    if (++seen > MAX_HEADERS) return;
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  });
  const params: string[] = [];
  for (let i = 0; i < paramCount; i++) params.push(req.getParameter(i));
  return {
    method: req.getMethod().toUpperCase(),
    path: req.getUrl(),
    query: new URLSearchParams(req.getQuery() ?? ''),
    headers,
    params,
    remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString('utf8'),
    proxiedAddress: Buffer.from(res.getProxiedRemoteAddressAsText()).toString('utf8'),
  };
}

/**
 * How many bytes of an unwanted body (over the limit, or refused before it was read) the
 * gateway reads and drops before it answers and closes anyway (at least the body limit, when
 * that is larger).
 */
const DISCARD_BYTES = 64 * 1024 * 1024;

/** A request body being read. */
export interface RequestBody {
  /** Resolves with the whole body; rejects with `body_too_large` as soon as it passes the limit. */
  readonly bytes: Promise<Buffer>;
  /** True once the last chunk arrived. */
  readonly complete: boolean;
  /**
   * True when the request's length is ambiguous (repeated `Content-Length` headers, or one that
   * is not a number): `bytes` rejects, and the answer must close the connection, since a proxy in
   * front may have framed the body, and so the next request, differently (request smuggling).
   */
  readonly ambiguous: boolean;
  /**
   * Stops keeping the body and runs `answer` once the client sent the rest (read and dropped),
   * or at once if it already did, or after `DISCARD_BYTES`. The answer should close the
   * connection. Answering and closing with unread bytes in the socket makes the kernel send a
   * reset, which destroys the answer before a client still uploading reads it (official clients
   * then report a connection error and retry the whole upload); reading them first makes the
   * close a clean FIN after a readable answer. uWS forbids touching a response after it ended,
   * so the answer waits for the body rather than the close.
   */
  discardThen(answer: () => void): void;
}

/**
 * Starts reading the request body; must be called inside the route handler, before any await,
 * because uWS delivers body chunks only to a handler registered by then. Chunks are copied
 * (uWS reuses their memory after the callback). Over `limit` (declared or received), `bytes`
 * rejects with `body_too_large` and the rest of the body is dropped as it arrives. A client that
 * leaves before its body is whole (uWS closes one that sends it too slowly: see data-plane/README.md,
 * "Slow and abusive clients") rejects `bytes` with `client_closed`, so its request ends and is recorded.
 */
export function readBody(res: HttpResponse, client: Pick<ClientResponse, 'onAbort'>, declaredLength: string | undefined, limit: number): RequestBody {
  const ambiguous = declaredLength !== undefined && !/^\d+$/.test(declaredLength);
  const declared = declaredLength === undefined || ambiguous ? NaN : Number(declaredLength);
  let resolveBytes!: (body: Buffer) => void;
  let rejectBytes!: (err: GatewayError) => void;
  const bytes = new Promise<Buffer>((resolve, reject) => {
    resolveBytes = resolve;
    rejectBytes = reject;
  });
  // A rejected body nobody awaits (the request was refused first) must not surface as unhandled.
  bytes.catch(() => undefined);
  const tooLarge = () => new GatewayError('body_too_large', 413, `The request body is larger than the ${limit}-byte limit.`);
  const discardLimit = Math.max(DISCARD_BYTES, limit);
  let exact = Number.isInteger(declared) && declared >= 0 && declared <= limit ? Buffer.allocUnsafe(declared) : null;
  let chunks: Buffer[] = [];
  let received = 0;
  let discarding = false;
  let complete = false;
  let pendingAnswer: (() => void) | null = null;
  const discard = () => {
    discarding = true;
    exact = null;
    chunks = [];
  };
  if (ambiguous) {
    discard();
    rejectBytes(new GatewayError('invalid_request', 400, 'The request has more than one Content-Length header, or one that is not a number.'));
  } else if (declared > limit) {
    discard();
    rejectBytes(tooLarge());
  }
  res.onData((chunk, isLast) => {
    const size = chunk.byteLength;
    received += size;
    complete = isLast;
    if (!discarding && (received > limit || (exact && received > exact.length))) {
      discard();
      rejectBytes(tooLarge());
    }
    if (!discarding) {
      if (exact) Buffer.from(chunk).copy(exact, received - size);
      else if (size > 0) chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) resolveBytes(exact ? exact.subarray(0, received) : Buffer.concat(chunks, received));
    } else if (pendingAnswer && (isLast || received > discardLimit)) {
      const answer = pendingAnswer;
      pendingAnswer = null;
      answer();
    }
  });
  client.onAbort(() => {
    if (!complete) rejectBytes(new GatewayError('client_closed', 499, 'The client closed the connection before its request body arrived.'));
  });
  return {
    bytes,
    get complete() {
      return complete;
    },
    ambiguous,
    discardThen(answer) {
      if (complete) return answer();
      discard();
      pendingAnswer = answer;
    },
  };
}
