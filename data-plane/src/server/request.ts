import { GatewayError } from '../errors.js';
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
  };
}

/**
 * Starts reading the request body; must be called inside the route handler, before any await,
 * because uWS delivers body chunks only to a handler registered by then. Chunks are copied
 * (uWS reuses their memory after the callback). Rejects with `body_too_large` as soon as the
 * declared or received size passes `limit`.
 */
export function readBody(res: HttpResponse, declaredLength: string | undefined, limit: number): Promise<Buffer> {
  const declared = declaredLength === undefined || declaredLength === '' ? NaN : Number(declaredLength);
  return new Promise<Buffer>((resolve, reject) => {
    const tooLarge = () =>
      new GatewayError('body_too_large', 413, `The request body is larger than the ${limit}-byte limit.`);
    if (declared > limit) {
      // Still register a handler: uWS needs one to consume the body it is about to receive.
      res.onData(() => undefined);
      reject(tooLarge());
      return;
    }
    const exact = Number.isInteger(declared) && declared >= 0 ? Buffer.allocUnsafe(declared) : null;
    const chunks: Buffer[] = [];
    let received = 0;
    let failed = false;
    res.onData((chunk, isLast) => {
      if (failed) return;
      const size = chunk.byteLength;
      if (received + size > limit || (exact && received + size > exact.length)) {
        failed = true;
        reject(tooLarge());
        return;
      }
      if (exact) Buffer.from(chunk).copy(exact, received);
      else if (size > 0) chunks.push(Buffer.from(new Uint8Array(chunk)));
      received += size;
      if (isLast) resolve(exact ? exact.subarray(0, received) : Buffer.concat(chunks, received));
    });
  });
}
