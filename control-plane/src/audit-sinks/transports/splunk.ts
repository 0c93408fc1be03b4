import { postBatch } from './http-post.js';
import type { SinkTransport } from './types.js';

/**
 * Splunk HTTP Event Collector: `POST <url>/services/collector/event` with
 * `Authorization: Splunk <token>` and the batch as concatenated JSON event objects
 * (`{ time, host, source, sourcetype, index?, event }`), the form HEC documents for batches.
 */
export const splunkTransport: SinkTransport = async (target, records, context) => {
  const { url, index, sourcetype } = target.settings;
  const body = records
    .map((r) =>
      JSON.stringify({
        time: r.time.getTime() / 1000,
        host: 'keyward',
        source: `keyward:${r.source.chain}`,
        sourcetype: sourcetype ?? (target.sink.format === 'ocsf' ? 'ocsf:api_activity' : 'keyward:audit'),
        ...(index ? { index } : {}),
        event: r.json,
      }),
    )
    .join('\n');
  await postBatch(
    `${url!.replace(/\/+$/, '')}/services/collector/event`,
    { 'content-type': 'application/json', authorization: `Splunk ${target.secret}` },
    body,
    context,
  );
};
