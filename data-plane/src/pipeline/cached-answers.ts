import type { CacheSettings, KeyConfig } from '@keyward/shared';
import { AnswerCopy, decodeAnswer, encodeAnswer, type CachedAnswer } from '../cache/cached-answer.js';
import { responseCacheKey, type CacheKeyInput } from '../cache/cache-key.js';
import { parseData } from '../providers/types.js';
import { SseParser } from '../streaming/sse-parser.js';
import { streamedAnswer, wholeAnswer, type AnswerContent, type ResponseText } from './answer-content.js';
import type { ForwardRequest } from './forward.js';
import type { Gateway } from './gateway.js';

/** Largest answer kept: an answer over it is relayed as usual and not cached. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** How the response cache applies to one request. */
export interface CacheUse {
  readonly key: string;
  readonly ttlSeconds: number;
  readonly copy: AnswerCopy;
}

/**
 * Whether the response cache applies to a request, and under which key. The key's own `cache`
 * setting wins over its route's; with neither the cache is off. It is bypassed (header
 * `x-keyward-cache: bypass`) when the agent sends `Cache-Control: no-store` or `no-cache`, when
 * a policy filters the answer (a redaction restored per request, a tool-call check: a copy would
 * carry one request's values to another), and when a held stream already answered.
 */
export function cacheUseFor(
  gw: Gateway,
  req: ForwardRequest,
  settings: { readonly key: KeyConfig; readonly route: CacheSettings | null | undefined },
  keyInput: CacheKeyInput,
): CacheUse | null {
  const cache = settings.key.cache ?? settings.route ?? null;
  if (cache === null) return null;
  const control = req.incoming.headers['cache-control'] ?? '';
  if (/(^|[\s,])no-(store|cache)\b/i.test(control) || (req.filters?.length ?? 0) > 0 || req.client.headersSent) {
    req.client.setHeader('x-keyward-cache', 'bypass');
    gw.metrics.responseCache.inc({ outcome: 'bypass' });
    return null;
  }
  const use = { key: responseCacheKey(keyInput), ttlSeconds: cache.ttlSeconds, copy: new AnswerCopy(MAX_ANSWER_BYTES) };
  req.client.setHeader('x-keyward-cache', 'miss');
  return use;
}

/**
 * Before the attempts: answers the request from the cache when an entry exists, replaying the
 * stored answer byte for byte (a stream as the same SSE events) with `x-keyward-cache: hit`, and
 * records it as a hit: no provider, zero cost, the stored token counts. Returns null on a miss,
 * having set up the copy `storeAnswer` keeps.
 */
export async function replayCachedAnswer(gw: Gateway, req: ForwardRequest, use: CacheUse): Promise<ResponseText | null> {
  const stored = await gw.responseCache.get(use.key);
  const answer = stored === null ? null : decodeAnswer(stored);
  if (answer === null) {
    req.client.tapWith(use.copy);
    gw.metrics.responseCache.inc({ outcome: 'miss' });
    return null;
  }
  gw.metrics.responseCache.inc({ outcome: 'hit' });
  const { client, record } = req;
  record.cacheHit = true;
  record.model = answer.model;
  record.status = answer.status;
  record.usage = answer.usage;
  record.markFirstByte();
  client.setHeader('x-keyward-cache', 'hit');
  client.writeHead(answer.status, [
    ['content-type', answer.contentType],
    ['x-request-id', record.requestId],
  ]);
  client.end(answer.body);
  return () => answerText(req, answer);
}

/**
 * After the answer: keeps it when it was complete and successful (2xx, not cut short, its usage
 * reported, within the size limit). A store that cannot be reached drops it silently.
 */
export function storeAnswer(gw: Gateway, req: ForwardRequest, use: CacheUse): void {
  const { record, client } = req;
  const { copy } = use;
  if (record.status < 200 || record.status >= 300 || record.errorCode !== null || client.aborted || copy.overflowed) return;
  if (record.usage === null || record.model === null || copy.status !== record.status) return;
  const answer: CachedAnswer = { status: record.status, contentType: copy.contentType, model: record.model, usage: record.usage, body: copy.concat() };
  void gw.responseCache.set(use.key, encodeAnswer(answer), use.ttlSeconds);
  gw.metrics.responseCache.inc({ outcome: 'stored' });
}

/** The content of a replayed answer, for content capture. */
function answerText(req: ForwardRequest, answer: CachedAnswer): AnswerContent {
  const { op } = req;
  if (!answer.contentType.includes('text/event-stream')) {
    const json = parseData(answer.body);
    return json === undefined ? { text: answer.body.toString('utf8'), reply: '', toolCalls: [] } : wholeAnswer(op, json, req.capture);
  }
  const parser = new SseParser();
  const events = [...parser.push(answer.body)];
  const rest = parser.end();
  if (rest) events.push(rest);
  return streamedAnswer(
    op,
    events.filter((e) => e.data).map((e) => parseData(e.data!)),
    req.capture,
  );
}
