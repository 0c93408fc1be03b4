import { digitsOf, type Detector } from './detector.js';
import { runScanner } from './digit-runs.js';

/** 13 to 19 digits, optionally grouped by single spaces or dashes, not inside a longer number. */
const CANDIDATE = /(?<![\w-])[2-6](?:[ -]?\d){12,18}(?![\w]|[ -]?\d)/y;

/** Group layouts printed on cards: fours (last group shorter), or Amex/Diners 4-6-5 and 4-6-4. */
function groupedLikeACard(candidate: string): boolean {
  const separator = candidate.match(/[ -]/)?.[0];
  if (separator === undefined) return true;
  const groups = candidate.split(separator);
  if (groups.some((g) => !/^\d+$/.test(g))) return false; // mixed separators
  const lengths = groups.map((g) => g.length).join('-');
  if (lengths === '4-6-5' || lengths === '4-6-4') return true;
  const last = groups[groups.length - 1].length;
  return groups.slice(0, -1).every((g) => g.length === 4) && last >= 1 && last <= 4;
}

/** Luhn (mod 10) checksum over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Payment card numbers: issuer prefixes 2 to 6 (Mastercard 2-series, Amex, Diners, JCB, Visa,
 * Mastercard, Discover, UnionPay), card-like grouping, and a valid Luhn checksum, which a
 * random number passes one time in ten.
 */
export const paymentCard: Detector = {
  name: 'payment_card',
  label: 'CARD',
  scan: runScanner('payment_card', [
    {
      re: CANDIDATE,
      minDigits: 13,
      startsAt: 'digit',
      accept: (_text, m) => {
        const digits = digitsOf(m[0]);
        if (digits.length < 13 || digits.length > 19) return -1;
        if (!groupedLikeACard(m[0]) || !luhnValid(digits)) return -1;
        return m.index + m[0].length;
      },
    },
  ]),
};
