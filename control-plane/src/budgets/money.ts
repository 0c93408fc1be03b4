import { AppError } from '../errors.js';

const USD = /^(\d{1,9})(?:\.(\d{1,6}))?$/;

/** What input classes accept as a dollar amount (`@Matches(USD_INPUT)`); `parseUsd` then reads it exactly. */
export const USD_INPUT = /^\s*\d{1,9}(?:\.\d{1,6})?\s*$/;
/** The validation message for a dollar amount that does not match `USD_INPUT`. */
export const USD_INPUT_MESSAGE = 'must be a US-dollar amount as a decimal string with at most 6 decimals, e.g. "25.00"';

/** A US-dollar decimal string as integer micro-dollars, exactly; null when it is not one. */
export function readUsd(value: string): number | null {
  const match = USD.exec(value.trim());
  return match ? Number(match[1]) * 1_000_000 + Number((match[2] ?? '').padEnd(6, '0')) : null;
}

/**
 * Parses a US-dollar amount given as a decimal string (`"25"`, `"25.00"`, `"0.000125"`) into
 * integer micro-dollars, exactly: money never passes through a float. At most 999,999,999.999999
 * (well inside the 2^53 the data plane's counters compute in). `field` names the input in the error.
 */
export function parseUsd(value: string, field: string): number {
  const micros = readUsd(value);
  if (micros === null) {
    throw new AppError('BAD_USER_INPUT', `${field} must be a US-dollar amount as a decimal string with at most 6 decimals, e.g. "25.00".`, {
      fields: { [field]: ['must be a decimal string of US dollars'] },
    });
  }
  return micros;
}

/** Integer micro-dollars as a dollar string with at least two decimals (`25.00`, `0.000125`, `-3.50`). */
export function formatUsd(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(micros));
  const cents = String(abs % 1_000_000)
    .padStart(6, '0')
    .replace(/0{1,4}$/, '');
  return `${sign}${Math.floor(abs / 1_000_000)}.${cents.padEnd(2, '0')}`;
}
