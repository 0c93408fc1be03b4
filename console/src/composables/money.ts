/** A money amount as the API sends it: integer micro-dollars, as a number or a decimal string. */
export type MicrosInput = bigint | number | string | null | undefined;

const MICROS_PER_DOLLAR = 1_000_000n;
const MICROS_PER_CENT = 10_000n;
const dollarsFormat = new Intl.NumberFormat('en-US');

/**
 * Converts an API amount to a bigint of micro-dollars. Null and undefined count as zero;
 * anything that is not an integer throws, so a float never slips into a sum.
 */
export function toMicros(value: MicrosInput): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`A money amount must be an integer number of micro-dollars, got ${value}.`);
    return BigInt(value);
  }
  if (!/^-?\d+$/.test(value.trim())) throw new RangeError(`A money amount must be an integer number of micro-dollars, got "${value}".`);
  return BigInt(value.trim());
}

/** Adds amounts exactly, in micro-dollars. */
export function sumMicros(values: Iterable<MicrosInput>): bigint {
  let total = 0n;
  for (const v of values) total += toMicros(v);
  return total;
}

/**
 * Formats micro-dollars as US dollars. By default: cents for amounts of a cent or more (rounded
 * half away from zero), and up to six decimals for smaller non-zero amounts, so a single cheap
 * request does not read as free ($0.000425). With `decimals` (2 to 6), every amount gets exactly
 * that many, for columns that line up; a non-zero amount that rounds to zero reads "<$0.0001".
 */
export function formatMicros(value: MicrosInput, options: { decimals?: number } = {}): string {
  const micros = toMicros(value);
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  if (options.decimals === undefined && abs > 0n && abs < MICROS_PER_CENT) {
    const fraction = abs.toString().padStart(6, '0').replace(/0+$/, '');
    return `${sign}$0.${fraction.length < 2 ? fraction.padEnd(2, '0') : fraction}`;
  }
  const decimals = Math.min(6, Math.max(2, options.decimals ?? 2));
  const unit = 10n ** BigInt(6 - decimals);
  const units = (abs + unit / 2n) / unit;
  if (units === 0n && abs > 0n) return `${sign === '-' ? '>-' : '<'}$0.${'0'.repeat(decimals - 1)}1`;
  const scale = 10n ** BigInt(decimals);
  const rest = (units % scale).toString().padStart(decimals, '0');
  return `${sign}$${dollarsFormat.format(units / scale)}.${rest}`;
}

/**
 * A short label for chart axes ($0, $0.015, $12, $1.2k, $3.4M), from whole micro-dollars. Below
 * $1,000 it is exact (trailing zeros dropped): axis ticks such as $0.015 and $0.02 must not round
 * to the same label. Display only: the division happens after all arithmetic, on the way to a string.
 */
export function formatMicrosCompact(value: MicrosInput): string {
  const micros = toMicros(value);
  const abs = micros < 0n ? -micros : micros;
  if (abs < MICROS_PER_DOLLAR * 1000n) {
    const fraction = (abs % MICROS_PER_DOLLAR).toString().padStart(6, '0').replace(/0+$/, '');
    return `${micros < 0n ? '-' : ''}$${abs / MICROS_PER_DOLLAR}${fraction ? `.${fraction.padEnd(2, '0')}` : ''}`;
  }
  const units: [bigint, string][] = [
    [MICROS_PER_DOLLAR * 1_000_000n, 'M'],
    [MICROS_PER_DOLLAR * 1000n, 'k'],
  ];
  const [size, suffix] = units.find(([s]) => abs >= s)!;
  const tenths = (abs * 10n + size / 2n) / size;
  const whole = tenths / 10n;
  const decimal = tenths % 10n;
  return `${micros < 0n ? '-' : ''}$${whole}${decimal === 0n ? '' : `.${decimal}`}${suffix}`;
}
