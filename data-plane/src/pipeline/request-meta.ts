import { META_HEADER_PREFIX, META_LIMITS, type MetaEntry } from '@keyward/shared';

/** A request's custom metadata: its `x-keyward-meta-<name>` headers within the limits, and how many were left out. */
export interface RequestMeta {
  readonly entries: readonly MetaEntry[];
  readonly dropped: number;
}

/**
 * The `x-keyward-meta-<name>` headers of a request (names already lower case), in the order they
 * came: at most `META_LIMITS.entries`, each name at most `nameChars` and value at most
 * `valueChars` characters. Headers beyond the limits, or with an empty name, are dropped and counted.
 */
export function requestMeta(headers: Readonly<Record<string, string>>): RequestMeta {
  const entries: MetaEntry[] = [];
  let dropped = 0;
  for (const [header, value] of Object.entries(headers)) {
    if (!header.startsWith(META_HEADER_PREFIX)) continue;
    const name = header.slice(META_HEADER_PREFIX.length);
    const fits = name.length > 0 && name.length <= META_LIMITS.nameChars && value.length <= META_LIMITS.valueChars;
    if (fits && entries.length < META_LIMITS.entries) entries.push({ name, value });
    else dropped++;
  }
  return { entries, dropped };
}
