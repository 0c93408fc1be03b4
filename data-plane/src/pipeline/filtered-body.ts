import type { Dispatcher } from 'undici';
import { connectionClosed, GatewayError, mapUpstreamFailure } from '../errors.js';
import { parseData } from '../providers/types.js';
import { ByteCollector } from '../streaming/collector.js';
import { NO_ANSWER, wholeAnswer, type ResponseText } from './answer-content.js';
import type { ForwardRequest } from './forward.js';
import type { Gateway } from './gateway.js';
import type { ResponseFilter } from '../steps/response-filter.js';
import type { Translator } from '../translate/index.js';

/** The largest answer the gateway holds in memory to filter it. */
const MAX_FILTERED_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Relays a successful non-SSE answer through response filters, or from a target of another API
 * family (`translator`: the answer is translated to the agent's format, its usage read from the
 * target's, before any filter sees it). Filters need the whole JSON
 * (a placeholder or a tool call can be anywhere in it), so the answer is read completely first
 * (up to 32 MiB) and sent in one piece, with its status line only after the filters agreed: a
 * blocked or rejected answer still gets its own status. A stream delivered as a JSON array
 * (Gemini without `alt=sse`) arrives whole this way too. A body that is not JSON is passed on
 * unchanged.
 */
export async function relayWholeBody(
  gw: Gateway,
  req: ForwardRequest,
  response: Dispatcher.ResponseData,
  filter: ResponseFilter | null,
  headers: [string, string][],
  translator: Translator | null,
): Promise<ResponseText> {
  const { client, record, op } = req;
  const collected = new ByteCollector(MAX_FILTERED_BODY_BYTES);
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      record.markFirstByte();
      collected.push(chunk);
      if (collected.truncated) {
        throw new GatewayError(
          'response_too_large',
          502,
          `The provider's answer is larger than the ${MAX_FILTERED_BODY_BYTES}-byte limit for answers a policy inspects.`,
        );
      }
      if (!client.open) break;
    }
  } catch (err) {
    filter?.abandon();
    if (err instanceof GatewayError) throw err;
    if (client.aborted) throw connectionClosed(client.closeCode);
    const failure = mapUpstreamFailure(err, 'body');
    gw.metrics.upstreamErrors.inc({ provider: record.credential!.provider, code: failure.code });
    throw failure;
  }
  if (!client.open) {
    filter?.abandon();
    throw connectionClosed(client.closeCode);
  }
  record.markAnswerEnded();
  const raw = collected.concat();
  let text = raw.toString('utf8');
  let json = parseData(raw);
  if (translator) {
    if (json === undefined) throw new GatewayError('upstream_error', 502, `The provider's answer is not JSON, so it cannot be translated.`);
    record.usage = translator.usage(json);
    json = translator.answer(json);
    text = JSON.stringify(json);
  } else {
    record.usage = op.usageFromTail(text);
  }
  record.trace?.observeAnswer(json);
  let body = text;
  if (json !== undefined && filter) {
    const step = await filter.body(json);
    if (step.decision) record.decision = step.decision;
    if (step.stop) {
      record.decision = step.stop.decision;
      throw step.stop.error;
    }
    if (step.json !== json) body = JSON.stringify(step.json);
  }
  client.send(record.status, headers, body);
  if (client.aborted) record.errorCode = client.closeCode;
  return json !== undefined && req.capture ? () => wholeAnswer(op, json, true) : NO_ANSWER;
}
