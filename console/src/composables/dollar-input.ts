/** What a typed dollar amount means: exact micro-dollars and the decimal string the API takes, or why it is refused. */
export type DollarInput = { readonly ok: true; readonly micros: bigint; readonly decimal: string } | { readonly ok: false; readonly message: string };

/** Options for `parseDollarInput`. */
export interface DollarInputOptions {
  /** Whether $0 is accepted (a budget of zero blocks everything; a top-up of zero is meaningless). */
  readonly allowZero?: boolean;
  /** The largest amount accepted, in micro-dollars; the API's limit by default. */
  readonly maxMicros?: bigint;
}

/** The API's largest amount: 999,999,999.999999 US dollars. */
const MAX_DOLLAR_MICROS = 999_999_999_999_999n;

const GROUPED = /^\d{1,3}(,\d{3})+$/;
const PLAIN = /^\d+$/;

/**
 * Reads a US-dollar amount as people type it ("25", "$25.50", "1,250", "0.000125") into exact
 * integer micro-dollars and the decimal string the API takes ("25.50"). Never goes through a
 * float. Refuses, with a sentence saying why: negative amounts, more than six decimals (the API
 * counts micro-dollars), a comma used as the decimal mark ("2,5"), and anything that is not a number.
 */
export function parseDollarInput(text: string, options: DollarInputOptions = {}): DollarInput {
  const trimmed = text
    .trim()
    .replace(/^\$\s*/, '')
    .replace(/^US\$\s*/i, '');
  if (trimmed === '') return { ok: false, message: 'Enter an amount in US dollars.' };
  if (trimmed.startsWith('-')) return { ok: false, message: 'The amount cannot be negative.' };
  const [whole = '', fraction, extra] = trimmed.split('.');
  if (extra !== undefined) return { ok: false, message: 'Use one dot for cents, e.g. 25.50.' };
  if (whole === '' && fraction === undefined) return { ok: false, message: 'Enter an amount in US dollars.' };
  if (whole.includes(',') && !GROUPED.test(whole)) {
    return /^\d+,\d{1,2}$/.test(whole) && fraction === undefined
      ? { ok: false, message: 'Use a dot for cents (25.50), not a comma.' }
      : { ok: false, message: 'Write the amount as digits, e.g. 1250 or 1,250.00.' };
  }
  const digits = whole.replace(/,/g, '') || '0';
  if (!PLAIN.test(digits) || (fraction !== undefined && !PLAIN.test(fraction))) {
    return { ok: false, message: 'Write the amount as digits, e.g. 1250 or 1,250.00.' };
  }
  if (fraction !== undefined && fraction.length > 6) return { ok: false, message: 'Use at most six decimals (millionths of a dollar).' };
  const micros = BigInt(digits) * 1_000_000n + BigInt((fraction ?? '').padEnd(6, '0'));
  const max = options.maxMicros ?? MAX_DOLLAR_MICROS;
  if (micros > max) return { ok: false, message: `The amount must be at most $${formatDecimal(max)}.` };
  if (micros === 0n && !options.allowZero) return { ok: false, message: 'The amount must be more than zero.' };
  return { ok: true, micros, decimal: formatDecimal(micros) };
}

/**
 * Micro-dollars as the API's decimal string: at least two decimals, trailing zeros beyond them
 * dropped ("25.00", "0.000125"). Also fills a form with an amount the API sent.
 */
export function formatDecimal(micros: bigint | number | string): string {
  const value = BigInt(micros);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${sign}${abs / 1_000_000n}.${fraction}`;
}
