import { signatureHeader } from '../../webhooks/signing.js';
import { postBatch } from './http-post.js';
import type { SinkTransport } from './types.js';

/**
 * An HTTPS NDJSON webhook: one POST per batch, one JSON record per line, signed like Keyward's
 * webhooks (`x-keyward-signature: t=…,v1=HMAC-SHA256(secret, "t.body")`), with the sink id and
 * the batch's chain and positions in headers so a receiver can drop a batch it already has.
 */
export const httpsTransport: SinkTransport = async (target, records, context) => {
  const body = records.map((r) => `${JSON.stringify(r.json)}\n`).join('');
  const first = records[0]!.source;
  const last = records[records.length - 1]!.source;
  await postBatch(
    target.settings.url!,
    {
      'content-type': 'application/x-ndjson',
      'x-keyward-sink': target.sink.id,
      'x-keyward-batch': `${first.chain}:${first.seq}-${last.seq}`,
      'x-keyward-signature': signatureHeader(target.secret, body),
    },
    body,
    context,
  );
};
