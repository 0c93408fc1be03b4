import { notAlphanumeric, regexScanner, type Detector } from './detector.js';
import type { Finding } from '../types.js';

/** Long-term (`AKIA`) and temporary (`ASIA`) access key ids. */
const ACCESS_KEY_ID = /A(?:KIA|SIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;
const ID_HINTS = ['AKIA', 'ASIA'];
/** Exactly 40 base64 characters standing alone. */
const SECRET_CANDIDATE = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const SECRET_HINT = /secret/i;
/** Probes for "secret" in any common casing, cheaper than a case-insensitive regex (see `hints`). */
const SECRET_PROBES = ['cret', 'CRET'];
/** How far from an access key id (or a "secret" label) a secret may sit. */
const NEAR = 256;
const LABEL_WINDOW = 80;

/** AWS access key ids. */
export const awsAccessKeyId: Detector = {
  name: 'aws_access_key_id',
  label: 'AWS_KEY_ID',
  scan: regexScanner('aws_access_key_id', ACCESS_KEY_ID, { hints: ID_HINTS, after: notAlphanumeric }),
};

/**
 * AWS secret access keys. Forty base64 characters are common (hashes, ids), so a candidate
 * counts only near an access key id or right after a label mentioning "secret", and only when
 * it mixes upper case, lower case and digits as generated secrets do (a hex SHA-1 does not).
 */
export const awsSecretAccessKey: Detector = {
  name: 'aws_secret_access_key',
  label: 'AWS_SECRET',
  scan(text: string, out: Finding[], limit: number): void {
    const ids: Finding[] = [];
    if (ID_HINTS.some((h) => text.includes(h))) awsAccessKeyId.scan(text, ids, Number.POSITIVE_INFINITY);
    const anchors = ids.map((f) => f.start);
    if (anchors.length === 0 && !SECRET_PROBES.some((p) => text.includes(p))) return;
    SECRET_CANDIDATE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while (out.length < limit && (m = SECRET_CANDIDATE.exec(text)) !== null) {
      const value = m[0];
      if (!/[A-Z]/.test(value) || !/[a-z]/.test(value) || !/\d/.test(value)) continue;
      const start = m.index;
      const nearId = anchors.some((a) => Math.abs(a - start) <= NEAR);
      if (!nearId && !SECRET_HINT.test(text.slice(Math.max(0, start - LABEL_WINDOW), start))) continue;
      out.push({ detector: 'aws_secret_access_key', start, end: start + value.length, value });
    }
  },
};
