/**
 * Small helpers for reading and rewriting JSON request and answer bodies without mutating
 * them: every `map…` returns the very same object or array when nothing inside changed, so a
 * caller can tell "unchanged" by identity and the gateway forwards the agent's original bytes.
 */

/** A rewrite of one text. */
export type TextMap = (text: string) => string;

/** A plain JSON object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The field `name` of an object, or undefined. */
export function get(value: unknown, name: string): unknown {
  return isObject(value) ? value[name] : undefined;
}

/** The first of several spellings of a field that is present (Gemini takes camelCase and snake_case). */
export function getEither(value: unknown, camel: string, snake: string): unknown {
  if (!isObject(value)) return undefined;
  return value[camel] !== undefined ? value[camel] : value[snake];
}

/** The array at `value`, or an empty one. */
export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A string field, or ''. */
export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A non-negative integer field (an output cap), or null. */
export function nonNegativeInt(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
}

/** `items` with `f` applied to each; the same array when no item changed. */
export function mapList(items: readonly unknown[], f: (item: unknown) => unknown): readonly unknown[] {
  let out: unknown[] | null = null;
  for (let i = 0; i < items.length; i++) {
    const next = f(items[i]);
    if (next !== items[i]) (out ??= items.slice())[i] = next;
  }
  return out ?? items;
}

/** Like `mapList` for a value that may not be an array (then returned as it is). */
export function mapArray(value: unknown, f: (item: unknown) => unknown): unknown {
  return Array.isArray(value) ? mapList(value, f) : value;
}

/** `obj` with field `name` set to `value`; the same object when the value is unchanged. */
export function withField(obj: Record<string, unknown>, name: string, value: unknown): Record<string, unknown> {
  return obj[name] === value ? obj : { ...obj, [name]: value };
}

/** Rewrites the string field `name` of `value` when it is a string. */
export function mapStringField(value: unknown, name: string, f: TextMap): unknown {
  if (!isObject(value) || typeof value[name] !== 'string') return value;
  return withField(value, name, f(value[name]));
}

/** Rewrites field `name` of `value` (when it is an object and has the field) with `f`. */
export function mapField(value: unknown, name: string, f: (field: unknown) => unknown): unknown {
  if (!isObject(value) || value[name] === undefined) return value;
  return withField(value, name, f(value[name]));
}

/** Rewrites every string anywhere inside a JSON value (tool arguments given as objects). */
export function mapStrings(value: unknown, f: TextMap): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return mapList(value, (item) => mapStrings(item, f));
  if (!isObject(value)) return value;
  let out: Record<string, unknown> | null = null;
  for (const name of Object.keys(value)) {
    const next = mapStrings(value[name], f);
    if (next !== value[name]) (out ??= { ...value })[name] = next;
  }
  return out ?? value;
}

/** Joins the non-empty texts with newlines. */
export function joinTexts(texts: readonly string[]): string {
  let out = '';
  for (const text of texts) {
    if (text.length === 0) continue;
    out = out.length === 0 ? text : `${out}\n${text}`;
  }
  return out;
}
