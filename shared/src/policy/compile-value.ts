/** Compiled value tests (labels, headers, metadata, tool-call arguments) and the phrasing of their explanations. */
import { parseJsonPath, someAtPath } from './json-path.js';
import { compileSafeRegex } from './safe-regex.js';
import type { PathValueTest, Scalar, ValueTest } from './types.js';

/** Quotes a value for an explanation, shortened to 60 characters. */
export function quote(v: unknown): string {
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/** Quotes and joins values for an explanation. */
export function list(values: readonly unknown[]): string {
  return values.map(quote).join(', ');
}

/** Parses numbers and numeric strings (header and label values are strings). */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

/**
 * Equality between a value and an operand. Header and label values are strings, so a number
 * operand also equals its numeric string and a boolean operand its `"true"`/`"false"`.
 */
function scalarEquals(v: unknown, operand: Scalar): boolean {
  if (v === operand) return true;
  if (typeof operand === 'number' && typeof v === 'string') return v.trim() !== '' && Number(v) === operand;
  if (typeof operand === 'string' && typeof v === 'number') return operand.trim() !== '' && Number(operand) === v;
  if (typeof operand === 'boolean' && typeof v === 'string') return v === String(operand);
  return false;
}

/** Compiles the operators of a value test into a predicate over a value that is present. */
export function compileValueOperators(t: ValueTest): (v: unknown) => boolean {
  const checks: ((v: unknown) => boolean)[] = [];
  if (t.eq !== undefined) {
    const operand = t.eq;
    checks.push((v) => scalarEquals(v, operand));
  }
  if (t.neq !== undefined) {
    const operand = t.neq;
    checks.push((v) => !scalarEquals(v, operand));
  }
  if (t.in !== undefined) {
    const operands = t.in;
    checks.push((v) => operands.some((o) => scalarEquals(v, o)));
  }
  if (t.contains !== undefined) {
    const operand = t.contains;
    const needle = String(operand);
    checks.push((v) => (typeof v === 'string' ? v.includes(needle) : Array.isArray(v) ? v.some((e) => scalarEquals(e, operand)) : false));
  }
  if (t.regex !== undefined) {
    const compiled = compileSafeRegex(t.regex);
    if (!compiled.ok) throw new Error(`regex ${quote(t.regex)} ${compiled.reason}`);
    const re = compiled.regex;
    checks.push((v) => (typeof v === 'string' ? re.test(v) : typeof v === 'number' || typeof v === 'boolean' ? re.test(String(v)) : false));
  }
  if (t.gt !== undefined) {
    const bound = t.gt;
    checks.push((v) => toNumber(v) > bound);
  }
  if (t.gte !== undefined) {
    const bound = t.gte;
    checks.push((v) => toNumber(v) >= bound);
  }
  if (t.lt !== undefined) {
    const bound = t.lt;
    checks.push((v) => toNumber(v) < bound);
  }
  if (t.lte !== undefined) {
    const bound = t.lte;
    checks.push((v) => toNumber(v) <= bound);
  }
  if (t.exists === false) return () => false; // a present value never satisfies "exists: false"
  if (checks.length === 1) return checks[0];
  return (v) => {
    for (let i = 0; i < checks.length; i++) if (!checks[i](v)) return false;
    return true;
  };
}

/** Describes a value test's operators: `eq "prod"`, `gt 3 and lt 10`. */
export function describeValueTest(t: ValueTest): string {
  const parts: string[] = [];
  for (const op of ['eq', 'neq', 'in', 'contains', 'regex', 'gt', 'gte', 'lt', 'lte', 'exists'] as const) {
    if (t[op] !== undefined) parts.push(`${op} ${op === 'in' ? `[${list(t.in!)}]` : quote(t[op])}`);
  }
  return parts.join(' and ');
}

/** A test of the values a JSON path selects in a document. */
export function compilePathTest(t: PathValueTest): (root: unknown) => boolean {
  const parsed = parseJsonPath(t.path);
  if (!parsed.ok) throw new Error(`path ${quote(t.path)} ${parsed.reason}`);
  const steps = parsed.steps;
  if (t.exists === false) return (root) => !someAtPath(root, steps, () => true);
  const check = compileValueOperators(t);
  return (root) => someAtPath(root, steps, check);
}
