import type { Detector } from './detector.js';
import type { Finding } from '../types.js';

/** Longest header accepted: real JOSE headers are under a few hundred characters. */
const MAX_HEADER = 4096;
const MIN_PART = 8;

function isBase64UrlCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
}

/** End of the run of base64url characters starting at `from`. */
function runEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && isBase64UrlCode(text.charCodeAt(i))) i++;
  return i;
}

/** True when the first part decodes to a JSON object with a string `alg`. */
function hasJoseHeader(header: string): boolean {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

/**
 * JSON Web Tokens (JWS compact serialisation): three base64url parts whose first decodes to a
 * JSON object with an `alg`. A JOSE header is JSON, so its encoding starts with `eyJ` (`{"`);
 * the scan jumps between occurrences of `yJ` (a rare pair, fast to find). The signature may be
 * empty (`alg: none` tokens still carry claims).
 *
 * Written by hand rather than as one regex so that text made of `eyJeyJeyJ…` stays linear: a
 * token only starts where a run of base64url characters starts, and a run that does not form a
 * token is skipped whole.
 */
export const jwt: Detector = {
  name: 'jwt',
  label: 'JWT',
  scan(text: string, out: Finding[], limit: number): void {
    let from = 0;
    while (out.length < limit) {
      const y = text.indexOf('yJ', from + 1);
      if (y < 0) return;
      const start = y - 1;
      from = y + 1;
      if (text.charCodeAt(start) !== 101 /* e */) continue;
      if (start > 0 && isBase64UrlCode(text.charCodeAt(start - 1))) continue; // inside a longer run
      const headerEnd = runEnd(text, start);
      if (text.charCodeAt(headerEnd) !== 46 /* . */ || headerEnd - start < MIN_PART + 3) {
        from = headerEnd;
        continue;
      }
      const payloadEnd = runEnd(text, headerEnd + 1);
      if (text.charCodeAt(payloadEnd) !== 46 || payloadEnd - headerEnd - 1 < MIN_PART) {
        from = headerEnd;
        continue;
      }
      const end = runEnd(text, payloadEnd + 1);
      if (headerEnd - start > MAX_HEADER || !hasJoseHeader(text.slice(start, headerEnd))) {
        from = headerEnd;
        continue;
      }
      out.push({ detector: 'jwt', start, end, value: text.slice(start, end) });
      from = end;
    }
  },
};
