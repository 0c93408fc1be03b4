/**
 * Globs for model, endpoint and tool names: `*` matches any run of characters, `?` exactly one,
 * everything else itself, case-sensitively. Compiled to the cheapest test that works: equality,
 * prefix, suffix, or an anchored regex.
 */

/** A compiled set of globs: true when any matches. */
export type NameMatcher = (name: string) => boolean;

/**
 * Names come from agents' requests. A glob with several stars backtracks polynomially on a long
 * name, so names longer than this never match a glob that needs the regex form.
 */
const MAX_GLOB_NAME = 512;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileOne(glob: string): NameMatcher {
  if (!/[*?]/.test(glob)) return (name) => name === glob;
  if (glob === '*') return () => true;
  const body = glob.slice(0, -1);
  if (glob.endsWith('*') && !/[*?]/.test(body)) return (name) => name.startsWith(body);
  const tail = glob.slice(1);
  if (glob.startsWith('*') && !/[*?]/.test(tail)) return (name) => name.endsWith(tail);
  // Consecutive stars are one star, so the regex has no adjacent `.*` to backtrack between.
  const source = glob
    .replace(/\*+/g, '*')
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRegex(c)));
  const re = new RegExp(`^${source.join('')}$`, 's');
  return (name) => name.length <= MAX_GLOB_NAME && re.test(name);
}

/** Compiles globs into one matcher. Names are short, so even the regex form is cheap. */
export function compileGlobs(globs: readonly string[]): NameMatcher {
  const exact = new Set(globs.filter((g) => !/[*?]/.test(g)));
  const patterns = globs.filter((g) => /[*?]/.test(g)).map(compileOne);
  if (patterns.length === 0) {
    if (exact.size === 1) {
      const [only] = exact;
      return (name) => name === only;
    }
    return (name) => exact.has(name);
  }
  if (exact.size === 0 && patterns.length === 1) return patterns[0];
  return (name) => exact.has(name) || patterns.some((p) => p(name));
}
