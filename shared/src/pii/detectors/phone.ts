import { countDigits, type Acceptor, type Detector } from './detector.js';
import { runScanner } from './digit-runs.js';

/*
 * Three shapes, each strict enough to leave plain numbers, dates, prices, versions and IP
 * addresses alone:
 *  - international: a leading `+`, 8 to 15 digits in all (E.164), separators optional;
 *  - North American: (415) 555-2671, 415-555-2671, 415.555.2671, 1 415 555 2671;
 *  - national with a trunk 0: 06 12 34 56 78, 020 7946 0958, 030 12345678, (030) 1234 5678,
 *    9 to 13 digits, one separator used throughout.
 * National shapes need separators: a bare run of ten digits is as likely an order number as a
 * phone. Every shape refuses to start or end inside a longer run of digits.
 *
 * Each digit group takes a whole run of digits and must follow a separator (or a closing
 * parenthesis), so there is exactly one way to split the text into groups: a long run of digits
 * cannot make the engine try every split.
 */
const INTERNATIONAL = /(?<![\w+])\+(?:[1-9]\d{7,14}(?!\d)|[1-9]\d{0,3}(?:[ .-]?\(\d{1,5}\)|(?:[ .-]|(?<=\)))\d{1,6}(?!\d)){1,7})(?![\w]|[ .-]?\d)/y;
const NORTH_AMERICAN = /(?<![\w+.-])(?:1[ .-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}(?![\w]|[ .-]?\d)/y;
const NATIONAL = /(?<![\w+.-])(?:\(0\d{1,4}\) ?\d{2,4}(?:[ -]\d{2,4}){0,3}|0\d{1,4}([ .-])\d{2,8}(?:\1\d{2,4}){0,3})(?![\w]|[ .-]?\d)/y;

/** Accepts a match whose digit count is within the shape's bounds. */
function digitsBetween(min: number, max: number): Acceptor {
  return (_text, m) => {
    const digits = countDigits(m[0]);
    return digits >= min && digits <= max ? m.index + m[0].length : -1;
  };
}

/** Telephone numbers in international and common national formats. */
export const phone: Detector = {
  name: 'phone',
  label: 'PHONE',
  scan: runScanner('phone', [
    { re: INTERNATIONAL, accept: digitsBetween(8, 15), minDigits: 8, startsAt: 'plus' },
    { re: NORTH_AMERICAN, accept: digitsBetween(10, 11), minDigits: 10, startsAt: 'paren' },
    { re: NATIONAL, accept: digitsBetween(9, 13), minDigits: 9, startsAt: 'paren' },
  ]),
};
