import { isWordCode, type Detector } from './detector.js';
import { digitRuns } from './digit-runs.js';
import type { Finding } from '../types.js';

/** IBAN length per country (ISO 13616 registry), as country code followed by length. */
const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 ' +
    'DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 ' +
    'IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 ' +
    'MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 ' +
    'SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30'
  )
    .split(' ')
    .map((entry): [string, number] => [entry.slice(0, 2), Number(entry.slice(2))]),
);

/** Country code, check digits, then alphanumerics optionally grouped by single spaces. */
const CANDIDATE = /[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}/y;
/**
 * How far before a long-number stretch an IBAN may start: country, check digits, a space and a
 * bank code of letters (`GB82 WEST 1234…`, `RO49 AAAA 1B31 0075…`) take at most this much.
 */
const LOOKBACK = 16;

/** ISO 7064 mod 97-10 over an IBAN without spaces: valid when the remainder is 1. */
export function ibanChecksumValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) remainder = (remainder * 10 + (c - 48)) % 97;
    else remainder = (remainder * 100 + (c - 55)) % 97; // A=10 … Z=35
  }
  return remainder === 1;
}

/** Cuts a candidate at its country's length and checks the checksum; returns the end or -1. */
function acceptIban(text: string, m: RegExpExecArray): number {
  const length = IBAN_LENGTHS.get(m[0].slice(0, 2));
  if (length === undefined) return -1;
  let compact = '';
  let end = m.index;
  const stop = m.index + m[0].length;
  while (end < stop && compact.length < length) {
    if (text[end] !== ' ') compact += text[end];
    end++;
  }
  if (compact.length !== length) return -1;
  const next = text.charCodeAt(end);
  if ((next >= 48 && next <= 57) || (next >= 65 && next <= 90) || (next >= 97 && next <= 122)) return -1;
  return ibanChecksumValid(compact) ? end : -1;
}

function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * IBANs, compact or printed in groups: the country must be known, the length must be that
 * country's, and the mod-97 checksum must hold. The candidate is cut at the country's length,
 * so text that follows a printed IBAN (`… 0130 00 EUR`) is not swallowed.
 *
 * Every IBAN's account part holds a stretch of at least eight digits close to its start, so
 * candidates are looked for just before the long-number stretches the phone and card detectors
 * share, not across the whole text with a pattern that starts with a letter class.
 */
export const iban: Detector = {
  name: 'iban',
  label: 'IBAN',
  scan(text: string, out: Finding[], limit: number): void {
    const runs = digitRuns(text);
    let lastEnd = 0;
    for (let r = 0; r < runs.length && out.length < limit; r += 2) {
      for (let p = Math.max(lastEnd, runs[r] - LOOKBACK); p <= runs[r] - 2; p++) {
        if (!isUpper(text.charCodeAt(p)) || !isUpper(text.charCodeAt(p + 1))) continue;
        if (!isDigit(text.charCodeAt(p + 2)) || !isDigit(text.charCodeAt(p + 3))) continue;
        if (p > 0 && isWordCode(text.charCodeAt(p - 1)) && text.charCodeAt(p - 1) !== 95) continue;
        CANDIDATE.lastIndex = p;
        const m = CANDIDATE.exec(text);
        const end = m === null ? -1 : acceptIban(text, m);
        if (end > p) {
          out.push({ detector: 'iban', start: p, end, value: text.slice(p, end) });
          lastEnd = end;
          break;
        }
      }
    }
  },
};
