import type { SinkFormat } from '../sink-settings.js';
import type { SinkRecord } from '../sink-batch.js';
import { ocsfApiActivity } from './ocsf.js';

/** One exported record, ready for a transport: its JSON object, when it happened and how severe it is. */
export interface FormattedRecord {
  readonly source: SinkRecord;
  readonly time: Date;
  /** OCSF `severity_id`: 1 informational (it worked), 2 low (refused or failed). */
  readonly severityId: 1 | 2;
  readonly json: Record<string, unknown>;
}

/**
 * Keyward's own format: the line the audit-trail export writes for the row
 * (`{ type: "row", chain, seq, id, format, prevHash, hash, row }`, in format 2 with
 * `contentDigest`, `content` and `contentPurgedAt`), or `type: "test"` for a test event.
 */
function keywardJson(record: SinkRecord): Record<string, unknown> {
  const { test, ...line } = record;
  return { type: test ? 'test' : 'row', ...line };
}

/** Formats a record the way its sink asks. */
export function formatRecord(format: SinkFormat, record: SinkRecord): FormattedRecord {
  const ocsf = ocsfApiActivity(record);
  return { source: record, time: new Date(ocsf.time as number), severityId: ocsf.severity_id as 1 | 2, json: format === 'ocsf' ? ocsf : keywardJson(record) };
}
