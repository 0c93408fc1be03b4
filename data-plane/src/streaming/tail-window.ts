/**
 * Keeps the last `limit` bytes of a body that streams through, so usage (which providers put
 * at the end of a JSON answer) can be read without holding the whole answer.
 */
export class TailWindow {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = 64 * 1024) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0].length >= this.limit) {
      this.size -= this.chunks[0].length;
      this.chunks.shift();
    }
  }

  /** The retained bytes as text (a cut multi-byte character at the start does not matter for the keys sought). */
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

/**
 * Finds the last object-valued `"key": { … }` in JSON text that may be cut at the front, and
 * parses just that object. A quote inside a JSON string is always escaped, so an unescaped
 * `"usage"` followed by a colon is a real key; scanning from the end picks the top-level usage
 * that providers serialize after the content (a tool's arguments may contain the same key
 * earlier). Returns null when no such object parses.
 */
export function lastObjectForKey(text: string, key: string): Record<string, unknown> | null {
  const needle = `"${key}"`;
  let from = text.length;
  while (from > 0) {
    const at = text.lastIndexOf(needle, from - 1);
    if (at < 0) return null;
    from = at;
    if (at > 0 && text[at - 1] === '\\') continue;
    let i = at + needle.length;
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (text[i] !== ':') continue;
    i++;
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (text[i] !== '{') continue;
    const end = matchingBrace(text, i);
    if (end < 0) continue;
    try {
      const value: unknown = JSON.parse(text.slice(i, end + 1));
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // Not a real key after all (or a cut object): keep looking further back.
    }
  }
  return null;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
