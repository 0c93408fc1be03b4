import { createHash, createHmac } from 'node:crypto';

/** How a found value is replaced. */
export type ReplacementStyle = 'placeholder' | 'mask' | 'hash';

/** The fixed replacement of the `mask` style: it reveals neither the value nor its length. */
export const MASK = '****';

/** Options of a `RedactionMapping`. */
export interface RedactionMappingOptions {
  /**
   * Key for the `hash` style (HMAC-SHA256). Without one the hash is a plain SHA-256, which
   * anyone can recompute for low-entropy values such as phone numbers: set an
   * organization-specific key when hashed values leave Keyward.
   */
  readonly hashKey?: string | Uint8Array;
}

/**
 * The replacements made while redacting one request. The same value under the same label always
 * gets the same token (`[EMAIL_1]` every time `a@b.co` appears), numbering is per label, and the
 * tokens that may be put back in the response are remembered for the restore stream.
 */
export class RedactionMapping {
  private readonly tokens = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  private readonly originals = new Map<string, string>();
  private readonly hashKey: string | Uint8Array | undefined;

  constructor(options: RedactionMappingOptions = {}) {
    this.hashKey = options.hashKey;
  }

  /**
   * The replacement for `value` found under `label`. `text` is the text being redacted: a new
   * placeholder skips numbers whose token already appears in it, so restoring never rewrites
   * something the agent itself wrote.
   */
  replacementFor(label: string, value: string, style: ReplacementStyle, restore: boolean, text = ''): string {
    if (style === 'mask') return MASK;
    const key = `${style}\u0000${label}\u0000${value}`;
    let token = this.tokens.get(key);
    if (token === undefined) {
      token = style === 'hash' ? `[${label}_${this.digest(value)}]` : this.nextPlaceholder(label, text);
      this.tokens.set(key, token);
    }
    if (restore) this.originals.set(token, value);
    return token;
  }

  /** Tokens that the response may contain, with the original each one stands for. */
  get restorable(): ReadonlyMap<string, string> {
    return this.originals;
  }

  /** Number of distinct values replaced by a token so far. */
  get size(): number {
    return this.tokens.size;
  }

  private nextPlaceholder(label: string, text: string): string {
    let n = this.counters.get(label) ?? 0;
    let token: string;
    do {
      n++;
      token = `[${label}_${n}]`;
    } while (text.includes(token));
    this.counters.set(label, n);
    return token;
  }

  private digest(value: string): string {
    const h = this.hashKey === undefined ? createHash('sha256') : createHmac('sha256', this.hashKey);
    return h.update(value).digest('hex').slice(0, 12);
  }
}
