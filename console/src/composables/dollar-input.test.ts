import { describe, expect, it } from 'vitest';
import { formatDecimal, parseDollarInput } from './dollar-input';

const ok = (text: string) => {
  const result = parseDollarInput(text);
  if (!result.ok) throw new Error(`expected ${text} to parse: ${result.message}`);
  return result;
};
const refused = (text: string, options = {}) => {
  const result = parseDollarInput(text, options);
  if (result.ok) throw new Error(`expected ${text} to be refused`);
  return result.message;
};

describe('typed dollar amounts', () => {
  it('reads whole dollars, cents and a leading dollar sign', () => {
    expect(ok('25')).toEqual({ ok: true, micros: 25_000_000n, decimal: '25.00' });
    expect(ok(' $25.5 ')).toEqual({ ok: true, micros: 25_500_000n, decimal: '25.50' });
    expect(ok('.75').decimal).toBe('0.75');
  });

  it('accepts thousands separators in their places', () => {
    expect(ok('1,250').micros).toBe(1_250_000_000n);
    expect(ok('$12,345,678.90').decimal).toBe('12345678.90');
  });

  it('keeps sub-cent amounts exactly, down to a millionth of a dollar', () => {
    expect(ok('0.000125')).toEqual({ ok: true, micros: 125n, decimal: '0.000125' });
    expect(ok('0.1').micros + ok('0.2').micros).toBe(300_000n);
  });

  it('refuses what would be misread, saying why', () => {
    expect(refused('')).toMatch(/Enter an amount/);
    expect(refused('-5')).toMatch(/negative/);
    expect(refused('2,5')).toMatch(/dot for cents/);
    expect(refused('1,25,0')).toMatch(/digits/);
    expect(refused('12abc')).toMatch(/digits/);
    expect(refused('1.2.3')).toMatch(/one dot/);
    expect(refused('0.0000001')).toMatch(/six decimals/);
    expect(refused('1e3')).toMatch(/digits/);
  });

  it('refuses zero unless asked, and amounts beyond the API limit', () => {
    expect(refused('0')).toMatch(/more than zero/);
    expect(parseDollarInput('0', { allowZero: true })).toEqual({ ok: true, micros: 0n, decimal: '0.00' });
    expect(refused('1000000000')).toMatch(/at most \$999999999\.999999/);
    expect(refused('101', { maxMicros: 100_000_000n })).toMatch(/at most \$100\.00/);
  });
});

describe('decimal strings for the API', () => {
  it('keeps two decimals at least and drops trailing zeros beyond', () => {
    expect(formatDecimal(25_000_000n)).toBe('25.00');
    expect(formatDecimal(125)).toBe('0.000125');
    expect(formatDecimal('-3500000')).toBe('-3.50');
  });
});
