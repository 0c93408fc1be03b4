import { isWordCode, regexScanner, type Detector } from './detector.js';
import type { Finding } from '../types.js';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** Four octets, not part of a longer dotted run (`1.2.3.4.5`) or a word (`v1.2.3.4`). */
const IPV4 = new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g');

/** IPv4 addresses in dotted-quad form. */
export const ipv4: Detector = { name: 'ipv4', label: 'IP', scan: regexScanner('ipv4', IPV4) };

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const EMBEDDED_V4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** Counts the 16-bit groups of a colon-separated list, or returns -1 if one is malformed. */
function countGroups(part: string, allowV4Tail: boolean): number {
  if (part === '') return 0;
  const groups = part.split(':');
  let count = 0;
  for (let i = 0; i < groups.length; i++) {
    if (HEX_GROUP.test(groups[i])) count++;
    else if (allowV4Tail && i === groups.length - 1 && EMBEDDED_V4.test(groups[i])) count += 2;
    else return -1;
  }
  return count;
}

/**
 * Validates an IPv6 address in full, compressed (`::`) or IPv4-suffixed form. Compressed forms
 * must contain a digit so that words made of hex letters (`dead::beef`, `Add::Bad`) are not
 * taken for addresses.
 */
function isIpv6(s: string): boolean {
  const double = s.indexOf('::');
  if (double < 0) return countGroups(s, true) === 8;
  if (s.indexOf('::', double + 1) >= 0 || !/\d/.test(s)) return false;
  const head = countGroups(s.slice(0, double), false);
  const tail = countGroups(s.slice(double + 2), true);
  return head >= 0 && tail >= 0 && head + tail >= 1 && head + tail <= 7;
}

function isV6Code(c: number): boolean {
  return isHexCode(c) || c === 58 || c === 46; // hex, ':' and '.' for an IPv4 tail
}

/**
 * IPv6 addresses. Anchored on `:` (found with `indexOf`), grown over hex digits, colons and
 * dots, then parsed; times (`12:30:45`), MAC addresses and `Namespace::member` fail the parse
 * or the word-boundary check.
 */
export const ipv6: Detector = {
  name: 'ipv6',
  label: 'IP',
  scan(text: string, out: Finding[], limit: number): void {
    let from = 0;
    while (out.length < limit) {
      const colon = text.indexOf(':', from);
      if (colon < 0) return;
      let start = colon;
      while (start > 0 && isV6Code(text.charCodeAt(start - 1))) start--;
      let end = colon + 1;
      while (end < text.length && isV6Code(text.charCodeAt(end))) end++;
      from = end;
      // A sentence may end right after the address.
      while (end > start && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 58)) {
        if (text.charCodeAt(end - 1) === 58 && text.charCodeAt(end - 2) === 58) break; // keep `::`
        end--;
      }
      while (start < end && text.charCodeAt(start) === 46) start++;
      // The shortest address (`::1`) has two colons, the longest 45 characters; most colons
      // in prose and JSON have one.
      if (end - start < 3 || end - start > 45 || text.indexOf(':', start) === text.lastIndexOf(':', end - 1)) continue;
      if (start > 0 && isWordCode(text.charCodeAt(start - 1))) continue;
      if (end < text.length && isWordCode(text.charCodeAt(end))) continue;
      const candidate = text.slice(start, end);
      if (isIpv6(candidate)) out.push({ detector: 'ipv6', start, end, value: candidate });
    }
  },
};
