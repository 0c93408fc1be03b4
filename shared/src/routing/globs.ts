const compiled = new Map<string, RegExp>();
const MAX_CACHED = 10_000;

/**
 * Matches a model name against a glob (`*` any run of characters, `?` one character; the rest
 * literal, case-insensitive since providers treat model names that way). Patterns come from
 * the config, so compiled patterns are cached rather than rebuilt per request.
 */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern.toLowerCase() === value.toLowerCase();
  let regex = compiled.get(pattern);
  if (!regex) {
    const source = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${source}$`, 'is');
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex.test(value);
}

/** True when the list is empty (meaning "any") or one of its globs matches. */
export function anyGlobMatches(patterns: readonly string[], value: string): boolean {
  return patterns.length === 0 || patterns.some((p) => globMatch(p, value));
}

/** True when the pattern contains a wildcard. */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}
