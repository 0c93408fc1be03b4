const cache = new Map<string, Buffer>();

/**
 * True when the JSON bytes contain `"key"` with an object value (`"key": {`). A byte search,
 * so stream chunks are only parsed when they can carry what the gateway looks for: OpenAI puts
 * `"usage":null` in every chunk and an object only in the last one.
 */
export function hasObjectKey(data: Buffer, key: string): boolean {
  let needle = cache.get(key);
  if (!needle) {
    needle = Buffer.from(`"${key}"`);
    cache.set(key, needle);
  }
  let from = 0;
  for (;;) {
    const at = data.indexOf(needle, from);
    if (at < 0) return false;
    let i = at + needle.length;
    while (i < data.length && isSpace(data[i])) i++;
    if (data[i] === 0x3a /* : */) {
      i++;
      while (i < data.length && isSpace(data[i])) i++;
      if (data[i] === 0x7b /* { */) return true;
    }
    from = at + 1;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
