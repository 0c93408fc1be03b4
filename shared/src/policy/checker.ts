import type { PolicyError } from './types.js';

/** A JSON path as a list of member names and array indices. */
export type Path = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Formats a path the way a reader writes it: `rules[1].when.all[0]["odd key"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (IDENTIFIER.test(step)) out += out === '' ? step : `.${step}`;
    else out += `[${JSON.stringify(step)}]`;
  }
  return out;
}

/** Which rule the checker is inside, for error messages. */
export interface RuleRef {
  readonly index: number;
  readonly id?: string;
}

/**
 * Collects validation errors as sentences. Inside a rule, paths in messages are relative to the
 * rule and the rule is named first: `rule "block-secrets" (#2): "when.regex" is not …`.
 */
export class Checker {
  readonly errors: PolicyError[] = [];
  private rule: RuleRef | undefined;
  private rulePathLength = 0;

  /** Attributes the following errors to a rule whose path is `path`. */
  enterRule(rule: RuleRef, path: Path): void {
    this.rule = rule;
    this.rulePathLength = path.length;
  }

  leaveRule(): void {
    this.rule = undefined;
    this.rulePathLength = 0;
  }

  /** Records that the value at `path` `text` (a predicate: "must be a string"). */
  fail(path: Path, text: string): void {
    const full = formatPath(path);
    let message: string;
    if (this.rule !== undefined) {
      const who = this.rule.id !== undefined ? `rule "${this.rule.id}" (#${this.rule.index + 1})` : `rule #${this.rule.index + 1}`;
      const relative = formatPath(path.slice(this.rulePathLength));
      message = relative === '' ? `${who} ${text}` : `${who}: "${relative}" ${text}`;
    } else {
      message = full === '' ? `the policy ${text}` : `"${full}" ${text}`;
    }
    this.errors.push(this.rule === undefined ? { path: full, message } : { path: full, rule: this.rule, message });
  }

  /** Reports keys of `obj` not in `allowed`; returns whether there were none. */
  knownKeys(obj: Record<string, unknown>, path: Path, allowed: readonly string[], what = 'field'): boolean {
    let ok = true;
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.fail([...path, key], `is not a known ${what}; expected one of: ${allowed.join(', ')}`);
        ok = false;
      }
    }
    return ok;
  }
}

/** True for a non-null, non-array object (what JSON and YAML parse mappings into). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Describes a value's type for messages: `a number`, `an array`, `null`. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v === 'number' ? 'the number' : typeof v === 'boolean' ? 'the boolean' : 'a'} ${String(v)}`;
}

/** Options of `readString`. */
export interface StringRule {
  readonly maxLength: number;
  readonly pattern?: RegExp;
  /** Ends "must be …" when the pattern fails, e.g. `lower-case letters, digits, "-" and "_"`. */
  readonly patternText?: string;
}

/** Reads a non-empty string; reports and returns undefined otherwise. */
export function readString(c: Checker, v: unknown, path: Path, rule: StringRule): string | undefined {
  if (typeof v !== 'string') {
    c.fail(path, `must be a string, not ${describe(v)}`);
    return undefined;
  }
  if (v.length === 0) {
    c.fail(path, 'must not be empty');
    return undefined;
  }
  if (v.length > rule.maxLength) {
    c.fail(path, `must be at most ${rule.maxLength} characters long (it has ${v.length})`);
    return undefined;
  }
  if (rule.pattern !== undefined && !rule.pattern.test(v)) {
    c.fail(path, `must be made of ${rule.patternText ?? rule.pattern.source}, not ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
}

/** Reads an optional boolean, defaulting to `fallback`. */
export function readBoolean(c: Checker, v: unknown, path: Path, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') {
    c.fail(path, `must be true or false, not ${describe(v)}`);
    return fallback;
  }
  return v;
}

/** Reads a finite number, optionally an integer within bounds. */
export function readNumber(
  c: Checker,
  v: unknown,
  path: Path,
  bounds: { readonly integer?: boolean; readonly min?: number; readonly max?: number } = {},
): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    c.fail(path, `must be a number, not ${describe(v)}`);
    return undefined;
  }
  if (bounds.integer === true && !Number.isInteger(v)) {
    c.fail(path, `must be a whole number, not ${v}`);
    return undefined;
  }
  if ((bounds.min !== undefined && v < bounds.min) || (bounds.max !== undefined && v > bounds.max)) {
    c.fail(path, `must be between ${bounds.min ?? '-∞'} and ${bounds.max ?? '∞'}, not ${v}`);
    return undefined;
  }
  return v;
}

/**
 * Reads one item or a non-empty list of items (`"gpt-4o"` or `["gpt-4o", "o3*"]`) into a list.
 * Returns undefined when anything is wrong, after reporting every bad item.
 */
export function readOneOrMany<T>(
  c: Checker,
  v: unknown,
  path: Path,
  maxItems: number,
  readItem: (item: unknown, itemPath: Path) => T | undefined,
): T[] | undefined {
  if (!Array.isArray(v)) {
    const one = readItem(v, path);
    return one === undefined ? undefined : [one];
  }
  if (v.length === 0) {
    c.fail(path, 'must not be an empty list');
    return undefined;
  }
  if (v.length > maxItems) {
    c.fail(path, `must have at most ${maxItems} items (it has ${v.length})`);
    return undefined;
  }
  const out: T[] = [];
  let ok = true;
  v.forEach((item, i) => {
    const read = readItem(item, [...path, i]);
    if (read === undefined) ok = false;
    else out.push(read);
  });
  return ok ? out : undefined;
}

/** Reads one of a fixed set of strings. */
export function readEnum<T extends string>(c: Checker, v: unknown, path: Path, allowed: readonly T[]): T | undefined {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  c.fail(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, not ${describe(v)}`);
  return undefined;
}
