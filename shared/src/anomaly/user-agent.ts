/**
 * A user agent without its version numbers ("OpenAI/Python 1.52.0" → "OpenAI/Python ."): an SDK
 * upgrade keeps its family, another program does not. Nodes hash it beside the full string, so
 * baselines tell a key's client updating itself from a different client using the key.
 */
export function userAgentFamily(userAgent: string): string {
  return userAgent
    .replace(/\d+(?:[._-]\d+)*[\w.+-]*/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
