import type { Detector } from './detector.js';
import type { Finding } from '../types.js';

/** Characters allowed in the local part (a practical subset of RFC 5322 atoms). */
function isLocalCode(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 46 || // .
    c === 95 || // _
    c === 37 || // %
    c === 43 || // +
    c === 45 // -
  );
}

function isDomainCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45;
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TLD = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

/**
 * Checks the domain labels. Returns the length of the valid domain, which may be shorter than
 * the scanned run when it ends with a sentence's full stop.
 */
function domainLength(domain: string): number {
  let d = domain;
  while (d.endsWith('.') || d.endsWith('-')) d = d.slice(0, -1);
  const labels = d.split('.');
  if (labels.length < 2) return -1;
  for (const label of labels) if (!LABEL.test(label)) return -1;
  return TLD.test(labels[labels.length - 1]) ? d.length : -1;
}

/**
 * E-mail addresses. Anchored on each `@` (found with `indexOf`, so text without one costs
 * almost nothing) and grown outwards; the domain needs a dot and an alphabetic top-level
 * label, which rules out `@mentions`, `user@localhost` and `pkg@1.2.3`.
 */
export const email: Detector = {
  name: 'email',
  label: 'EMAIL',
  scan(text: string, out: Finding[], limit: number): void {
    let from = 0;
    while (out.length < limit) {
      const at = text.indexOf('@', from);
      if (at < 0) return;
      from = at + 1;
      let start = at;
      while (start > 0 && isLocalCode(text.charCodeAt(start - 1))) start--;
      while (start < at && text.charCodeAt(start) === 46) start++;
      if (start === at || text.charCodeAt(at - 1) === 46) continue;
      let end = at + 1;
      while (end < text.length && isDomainCode(text.charCodeAt(end))) end++;
      const length = domainLength(text.slice(at + 1, end));
      if (length < 0) continue;
      end = at + 1 + length;
      out.push({ detector: 'email', start, end, value: text.slice(start, end) });
      from = end;
    }
  },
};
