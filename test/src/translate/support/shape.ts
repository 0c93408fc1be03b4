/**
 * Where two JSON values differ in shape: paths one has and the other lacks, or where their
 * types differ (`null` matches any type, as the APIs make many fields nullable). Arrays are
 * compared element by element up to the shorter length, so a shape is checked, not a count.
 * `optional` names paths (`choices.0.message.refusal`, with `*` for any index) the native answer
 * may have that a translated one need not.
 */
export function shapeDifferences(actual: unknown, native: unknown, optional: readonly string[] = []): string[] {
  const differences: string[] = [];
  const skip = (path: string) => optional.some((o) => new RegExp(`^${o.replaceAll('.', '\\.').replaceAll('*', '\\d+')}$`).test(path));
  const walk = (a: unknown, n: unknown, path: string) => {
    if (a === null || n === null) return;
    if (Array.isArray(a) || Array.isArray(n)) {
      if (!Array.isArray(a) || !Array.isArray(n)) differences.push(`${path}: ${kind(a)} vs native ${kind(n)}`);
      else for (let i = 0; i < Math.min(a.length, n.length); i++) walk(a[i], n[i], `${path}.${i}`);
      return;
    }
    if (typeof a === 'object' && typeof n === 'object') {
      const objA = a as Record<string, unknown>;
      const objN = n as Record<string, unknown>;
      for (const key of new Set([...Object.keys(objA), ...Object.keys(objN)])) {
        const at = path ? `${path}.${key}` : key;
        if (!(key in objA) || (objA[key] === undefined && objN[key] !== undefined)) {
          if (!skip(at)) differences.push(`${at}: missing`);
        } else if (!(key in objN)) differences.push(`${at}: not in the native answer`);
        else walk(objA[key], objN[key], at);
      }
      return;
    }
    if (typeof a !== typeof n) differences.push(`${path}: ${kind(a)} vs native ${kind(n)}`);
  };
  walk(actual, native, '');
  return differences;
}

function kind(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}
