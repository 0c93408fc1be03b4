import type { Detector } from './detector.js';
import { runScanner } from './digit-runs.js';

/**
 * AAA-GG-SSSS with dashes (or spaces, used consistently). Areas 000, 666 and 900–999, group 00
 * and serial 0000 are never issued. Nine bare digits are not matched: far more of those are
 * other identifiers than social security numbers.
 */
const SSN = /(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w]|[ -]?\d)/y;

/** Numbers published in advertising and widely misused; they belong to nobody. */
const PUBLICISED = new Set(['078-05-1120', '219-09-9999']);

/** United States social security numbers. */
export const usSsn: Detector = {
  name: 'us_ssn',
  label: 'SSN',
  scan: runScanner('us_ssn', [
    {
      re: SSN,
      minDigits: 9,
      startsAt: 'digit',
      accept: (_text, m) => (PUBLICISED.has(m[0].replaceAll(' ', '-')) ? -1 : m.index + m[0].length),
    },
  ]),
};
