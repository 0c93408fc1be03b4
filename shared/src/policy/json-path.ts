/**
 * A small JSON path dialect for tool-call arguments and key metadata:
 * `$` is the root (optional), `.name` or `["name"]` a member, `[0]` an array element, `[*]` or
 * `.*` every element or member. A path selects zero or more values; a test on it holds when
 * any selected value passes.
 */

/** A step of a path: a member name, an array index, or every child. */
export type PathStep = string | number | typeof EVERY;

/** The wildcard step. */
export const EVERY: unique symbol = Symbol('every');

/** Result of `parseJsonPath`. */
export type JsonPathResult = { readonly ok: true; readonly steps: readonly PathStep[] } | { readonly ok: false; readonly reason: string };

const NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*/;
const MAX_STEPS = 32;

/** Parses a path; the failure reason completes a sentence that starts with the field's name. */
export function parseJsonPath(path: string): JsonPathResult {
  let rest = path.startsWith('$') ? path.slice(1) : path.length > 0 && !path.startsWith('[') ? `.${path}` : path;
  const steps: PathStep[] = [];
  while (rest.length > 0) {
    if (steps.length >= MAX_STEPS) return { ok: false, reason: `has more than ${MAX_STEPS} steps` };
    if (rest.startsWith('.*')) {
      steps.push(EVERY);
      rest = rest.slice(2);
    } else if (rest.startsWith('.')) {
      const m = NAME.exec(rest.slice(1));
      if (m === null) return { ok: false, reason: `is not a valid JSON path: expected a member name after "." at "${rest}"` };
      steps.push(m[0]);
      rest = rest.slice(1 + m[0].length);
    } else if (rest.startsWith('[*]')) {
      steps.push(EVERY);
      rest = rest.slice(3);
    } else {
      const index = /^\[(\d{1,9})\]/.exec(rest);
      const quoted = /^\[(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\]/.exec(rest);
      if (index !== null) {
        steps.push(Number(index[1]));
        rest = rest.slice(index[0].length);
      } else if (quoted !== null) {
        steps.push((quoted[1] ?? quoted[2]).replace(/\\(.)/g, '$1'));
        rest = rest.slice(quoted[0].length);
      } else {
        return { ok: false, reason: `is not a valid JSON path: unexpected "${rest}" (use .name, ["name"], [0] or [*])` };
      }
    }
  }
  return { ok: true, steps };
}

/**
 * Calls `visit` with each value the path selects in `root`, stopping as soon as it returns true;
 * returns whether it did. Only own properties are followed, so `constructor` or `__proto__` in
 * a path never reaches a prototype.
 */
export function someAtPath(root: unknown, steps: readonly PathStep[], visit: (value: unknown) => boolean, from = 0): boolean {
  let node = root;
  for (let i = from; i < steps.length; i++) {
    const step = steps[i];
    if (step === EVERY) {
      if (Array.isArray(node)) return node.some((child) => someAtPath(child, steps, visit, i + 1));
      if (node !== null && typeof node === 'object') {
        return Object.values(node).some((child) => someAtPath(child, steps, visit, i + 1));
      }
      return false;
    }
    if (typeof step === 'number') {
      if (!Array.isArray(node) || step >= node.length) return false;
      node = node[step];
    } else {
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, step)) return false;
      node = (node as Record<string, unknown>)[step];
    }
  }
  return visit(node);
}
