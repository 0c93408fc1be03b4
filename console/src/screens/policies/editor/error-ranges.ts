import { isMap, isScalar, isSeq, parseDocument, type Node, type Pair } from 'yaml';
import type { PolicyErrorItem } from '../policy-errors';

/** A validator error placed in the text: the characters to underline. */
export interface PlacedError {
  readonly from: number;
  readonly to: number;
  readonly error: PolicyErrorItem;
}

/** `rules[1].when.all[0].prompt` → `['rules', 1, 'when', 'all', 0, 'prompt']`. */
export function pathSegments(path: string): (string | number)[] {
  return [...path.matchAll(/\[(\d+)\]|([^.[\]]+)/g)].map((m) => (m[1] !== undefined ? Number(m[1]) : m[2]!));
}

const SYNTAX_AT = /\(line (\d+), column (\d+)\)/;

/** The end of the line `from` is on. */
function lineEnd(source: string, from: number): number {
  const end = source.indexOf('\n', from);
  return end < 0 ? source.length : end;
}

/**
 * Where the validator's error points in the text (JSON is read as the YAML it also is): the value
 * its path names when that is a single value, the key of a mapping or list it names, the first line
 * of a list item, or, for a field that is missing, the nearest part of its path that exists. Syntax
 * errors sit at the line and column they name. Null for an error about the whole document.
 */
function rangeOf(source: string, root: Node | null, error: PolicyErrorItem): { from: number; to: number } | null {
  const syntax = SYNTAX_AT.exec(error.message);
  if (syntax && !error.path) {
    const lines = source.split('\n');
    const line = Number(syntax[1]);
    if (line < 1 || line > lines.length) return null;
    const from = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.max(0, Number(syntax[2]) - 1);
    return { from: Math.min(from, source.length), to: lineEnd(source, from) };
  }
  let node: unknown = root;
  let pair: Pair | null = null;
  let found: { from: number; to: number } | null = null;
  for (const segment of pathSegments(error.path)) {
    if (typeof segment === 'string' && isMap(node)) {
      pair = (node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment) as Pair | undefined) ?? null;
      if (!pair) break;
      const key = pair.key as Node;
      found = key.range ? { from: key.range[0], to: key.range[1] } : found;
      node = pair.value;
    } else if (typeof segment === 'number' && isSeq(node) && segment < node.items.length) {
      node = node.items[segment];
      pair = null;
      const range = (node as Node | null)?.range;
      found = range ? { from: range[0], to: Math.min(range[1], lineEnd(source, range[0])) } : found;
    } else {
      // The path goes on into something the text does not have: point at what it does.
      return found;
    }
  }
  // A single value is underlined with its key (`extra: 1`); a mapping or list by its key alone.
  if (isScalar(node) && node.range) return { from: pair && found ? found.from : node.range[0], to: node.range[1] };
  return found;
}

/** Places each error in the text; those about the whole document (or a place it does not have) come back in `general`. */
export function placeErrorRanges(source: string, errors: readonly PolicyErrorItem[]): { placed: PlacedError[]; general: PolicyErrorItem[] } {
  const root = errors.length > 0 ? (parseDocument(source, { uniqueKeys: false }).contents as Node | null) : null;
  const placed: PlacedError[] = [];
  const general: PolicyErrorItem[] = [];
  for (const error of errors) {
    const range = rangeOf(source, root, error);
    if (range && range.to >= range.from) placed.push({ ...range, error });
    else general.push(error);
  }
  return { placed, general };
}
