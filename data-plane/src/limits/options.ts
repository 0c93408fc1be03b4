/**
 * Merges options over defaults, ignoring options explicitly set to `undefined` (a plain spread
 * would let `{ leaseMs: undefined }` erase the default and turn every expiry into NaN).
 */
export function withDefaults<D extends object, O extends Partial<D>>(defaults: D, options: O): D {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [name, value] of Object.entries(options)) if (value !== undefined) merged[name] = value;
  return merged as D;
}
