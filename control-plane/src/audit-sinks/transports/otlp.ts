import { postBatch } from './http-post.js';
import { encodeLogsRequest } from './otlp-protobuf.js';
import type { SinkTransport } from './types.js';

/**
 * OpenTelemetry logs over OTLP/HTTP: one `ExportLogsServiceRequest` per batch, protobuf
 * (`application/x-protobuf`) POSTed to the configured logs URL (a collector's `/v1/logs`), with
 * `Authorization: Bearer <token>` when a token is set. Each record is a log record whose body is
 * the formatted JSON and whose attributes carry the chain position.
 */
export const otlpTransport: SinkTransport = async (target, records, context) => {
  const observed = BigInt(Date.now()) * 1_000_000n;
  const body = encodeLogsRequest({
    resourceAttributes: [
      ['service.name', 'keyward'],
      ['keyward.organization_id', target.orgId],
      ['keyward.sink_id', target.sink.id],
    ],
    scope: { name: 'keyward.audit', version: '1' },
    records: records.map((r) => ({
      timeUnixNano: BigInt(r.time.getTime()) * 1_000_000n,
      observedTimeUnixNano: observed,
      severityNumber: r.severityId === 1 ? 9 : 13,
      severityText: r.severityId === 1 ? 'INFO' : 'WARN',
      body: JSON.stringify(r.json),
      attributes: [
        ['keyward.chain', r.source.chain],
        ['keyward.seq', r.source.seq],
        ['keyward.hash', r.source.hash],
        ['keyward.format', target.sink.format],
      ],
    })),
  });
  const headers: Record<string, string> = { 'content-type': 'application/x-protobuf' };
  if (target.secret) headers.authorization = `Bearer ${target.secret}`;
  await postBatch(target.settings.url!, headers, body, context);
};
