/**
 * Loaded into Portkey's gateway with `node --import` so it can stream on Node. Portkey 1.15.2
 * appends its `x-portkey-*` headers to the provider's fetch `Response`, whose headers the fetch
 * standard makes immutable; on Node every streamed chat completion then fails with
 * `TypeError: immutable` (Portkey-AI/gateway issues #1389 and #1550). This gives streamed
 * answers a mutable copy of their headers, which is what Portkey's own proposed fix (#1551)
 * does; the body stream is handed over untouched and nothing else changes.
 */
const nativeFetch = globalThis.fetch;
const NativeResponse = globalThis.Response;

globalThis.fetch = async function fetchWithMutableStreamHeaders(input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<Response> {
  const res = await nativeFetch(input, init);
  if (!res.headers.get('content-type')?.includes('text/event-stream')) return res;
  return new NativeResponse(res.body, { status: res.status, statusText: res.statusText, headers: new Headers(res.headers) });
};
