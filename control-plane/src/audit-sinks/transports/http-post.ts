import { request } from 'undici';
import { SinkSendError, type TransportContext } from './types.js';

/**
 * POSTs a body through the guarded agent and resolves on a 2xx answer. Other answers become a
 * `SinkSendError` (permanent for 4xx other than 408 and 429), network failures a transient one.
 * Messages name the status or the failure, never the URL or a header.
 */
export async function postBatch(url: string, headers: Record<string, string>, body: string | Buffer, context: TransportContext): Promise<void> {
  let status: number;
  let text = '';
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'user-agent': 'Keyward-Audit-Sinks/1', ...headers },
      body,
      dispatcher: context.agent,
      headersTimeout: context.timeoutMs,
      bodyTimeout: context.timeoutMs,
    });
    status = res.statusCode;
    if (status < 200 || status >= 300) text = (await res.body.text().catch(() => '')).slice(0, 120);
    else await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
  } catch (error) {
    throw new SinkSendError(networkFailure(error));
  }
  if (status >= 200 && status < 300) return;
  const detail = text.replace(/\s+/g, ' ').trim();
  throw new SinkSendError(
    `the receiver answered HTTP ${status}${detail ? `: ${detail}` : ''}`,
    status >= 400 && status < 500 && status !== 408 && status !== 429,
  );
}

/** One line about a network failure: its code and message, without addresses' credentials (URLs never carry any). */
export function networkFailure(error: unknown): string {
  const e = error as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code ?? e.name ?? 'Error';
  return `${code}: ${e.message ?? ''}${e.cause?.message ? `: ${e.cause.message}` : ''}`.slice(0, 280);
}
