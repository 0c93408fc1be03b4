/**
 * A reader of JavaScript regular expression sources (without the `u` flag) into a small tree,
 * in which the admission rules of `safe-regex.ts` find backreferences. Sources are syntax-checked by the engine
 * first, so the reader can be lenient.
 */

/** Non-ASCII characters fall in two buckets: whitespace (what `\s` adds) and everything else. */
const NON_ASCII_SPACE = 1;
const NON_ASCII_OTHER = 2;
const NON_ASCII_ALL = NON_ASCII_SPACE | NON_ASCII_OTHER;

/**
 * A set of characters, precise for ASCII (a bitmap) and coarse beyond it (two buckets), which
 * is enough to tell `\s` from `\S` and letters from digits.
 */
export class CharSet {
  readonly bits = new Uint32Array(4);
  nonAscii = 0;

  static of(code: number, ignoreCase: boolean): CharSet {
    const s = new CharSet();
    s.add(code, ignoreCase);
    return s;
  }

  static all(): CharSet {
    const s = new CharSet();
    s.bits.fill(0xffffffff);
    s.nonAscii = NON_ASCII_ALL;
    return s;
  }

  add(code: number, ignoreCase: boolean): void {
    if (code >= 128) {
      this.nonAscii |= /\s/.test(String.fromCharCode(code)) ? NON_ASCII_SPACE : NON_ASCII_OTHER;
      return;
    }
    this.bits[code >> 5] |= 1 << (code & 31);
    if (ignoreCase) {
      if (code >= 65 && code <= 90) this.add(code + 32, false);
      else if (code >= 97 && code <= 122) this.add(code - 32, false);
    }
  }

  addRange(from: number, to: number, ignoreCase: boolean): void {
    if (to >= 128) this.nonAscii = NON_ASCII_ALL;
    for (let c = from; c <= Math.min(to, 127); c++) this.add(c, ignoreCase);
  }

  addSet(other: CharSet): void {
    for (let i = 0; i < 4; i++) this.bits[i] |= other.bits[i];
    this.nonAscii |= other.nonAscii;
  }

  negate(): void {
    for (let i = 0; i < 4; i++) this.bits[i] = ~this.bits[i];
    this.nonAscii = ~this.nonAscii & NON_ASCII_ALL;
  }

  /** Whether the set is one character (with its other case when it is a letter). */
  isOneCharacter(): boolean {
    if (this.nonAscii !== 0) return false;
    const codes: number[] = [];
    for (let c = 0; c < 128 && codes.length <= 2; c++) if ((this.bits[c >> 5] & (1 << (c & 31))) !== 0) codes.push(c);
    return codes.length === 1 || (codes.length === 2 && codes[1] - codes[0] === 32 && codes[0] >= 65 && codes[0] <= 90);
  }

  overlaps(other: CharSet): boolean {
    if ((this.nonAscii & other.nonAscii) !== 0) return true;
    for (let i = 0; i < 4; i++) if ((this.bits[i] & other.bits[i]) !== 0) return true;
    return false;
  }
}

/** The parsed pattern, reduced to what the checks look at. */
export type Node =
  | { readonly kind: 'seq'; readonly items: Node[] }
  | { readonly kind: 'alt'; readonly options: Node[] }
  | { readonly kind: 'group'; readonly body: Node; readonly lookaround: boolean }
  | { readonly kind: 'repeat'; readonly body: Node; readonly min: number; readonly max: number }
  | { readonly kind: 'chars'; readonly set: CharSet }
  | { readonly kind: 'assertion' }
  | { readonly kind: 'backref' };

const CLASS_ESCAPES: Readonly<Record<string, (s: CharSet) => void>> = {
  d: (s) => s.addRange(48, 57, false),
  w: (s) => {
    s.addRange(48, 57, false);
    s.addRange(65, 90, false);
    s.addRange(97, 122, false);
    s.add(95, false);
  },
  s: (s) => {
    for (const c of [9, 10, 11, 12, 13, 32]) s.add(c, false);
    s.nonAscii |= NON_ASCII_SPACE;
  },
};

const CONTROL_ESCAPES: Readonly<Record<string, number>> = { n: 10, r: 13, t: 9, v: 11, f: 12, '0': 0 };

/**
 * A recursive-descent reader of (already syntax-checked) JavaScript patterns without the `u`
 * flag, keeping the Annex B leniencies: a `{` that does not start a quantifier is a literal, and
 * `\1` is a backreference only when that many groups exist.
 */
export class Parser {
  private pos = 0;
  private readonly groupCount: number;
  private readonly hasNamedGroups: boolean;

  constructor(
    private readonly src: string,
    private readonly ignoreCase: boolean,
  ) {
    this.groupCount = (src.match(/\((?!\?)|\(\?<(?![=!])/g) ?? []).length;
    this.hasNamedGroups = /\(\?<(?![=!])/.test(src);
  }

  parse(): Node {
    return this.alternation();
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.src[this.pos] === '|') {
      this.pos++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0] : { kind: 'alt', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.pos < this.src.length && this.src[this.pos] !== '|' && this.src[this.pos] !== ')') {
      items.push(this.quantified(this.atom()));
    }
    return { kind: 'seq', items };
  }

  private quantified(atom: Node): Node {
    const rest = this.src.slice(this.pos);
    let min: number;
    let max: number;
    const c = rest[0];
    if (c === '*') [min, max, this.pos] = [0, Infinity, this.pos + 1];
    else if (c === '+') [min, max, this.pos] = [1, Infinity, this.pos + 1];
    else if (c === '?') [min, max, this.pos] = [0, 1, this.pos + 1];
    else {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(rest);
      if (m === null) return atom;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.pos += m[0].length;
    }
    if (this.src[this.pos] === '?') this.pos++; // lazy: same backtracking, different order
    return { kind: 'repeat', body: atom, min, max };
  }

  private atom(): Node {
    const c = this.src[this.pos++];
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return { kind: 'chars', set: this.charClass() };
      case '.': {
        const set = CharSet.all();
        set.bits[0] &= ~((1 << 10) | (1 << 13)); // no `s` flag: not \n or \r
        return { kind: 'chars', set };
      }
      case '^':
      case '$':
        return { kind: 'assertion' };
      case '\\':
        return this.escape();
      default:
        return { kind: 'chars', set: CharSet.of(c.charCodeAt(0), this.ignoreCase) };
    }
  }

  private group(): Node {
    let lookaround = false;
    if (this.src.startsWith('?:', this.pos)) this.pos += 2;
    else if (this.src.startsWith('?=', this.pos) || this.src.startsWith('?!', this.pos)) {
      lookaround = true;
      this.pos += 2;
    } else if (this.src.startsWith('?<=', this.pos) || this.src.startsWith('?<!', this.pos)) {
      lookaround = true;
      this.pos += 3;
    } else if (this.src.startsWith('?<', this.pos)) {
      this.pos = this.src.indexOf('>', this.pos) + 1;
    }
    const body = this.alternation();
    this.pos++; // ')'
    return { kind: 'group', body, lookaround };
  }

  private escape(): Node {
    const c = this.src[this.pos++];
    if (c === 'b' || c === 'B') return { kind: 'assertion' };
    if (/[1-9]/.test(c)) {
      const digits = c + (/^\d*/.exec(this.src.slice(this.pos))?.[0] ?? '');
      if (Number(digits) <= this.groupCount) {
        this.pos += digits.length - 1;
        return { kind: 'backref' };
      }
      return { kind: 'chars', set: CharSet.all() }; // legacy octal escape: some character
    }
    if (c === 'k' && this.hasNamedGroups) {
      this.pos = this.src.indexOf('>', this.pos) + 1;
      return { kind: 'backref' };
    }
    const member = this.escapeMember(c);
    return { kind: 'chars', set: typeof member === 'number' ? CharSet.of(member, this.ignoreCase) : member };
  }

  /** After a `\`: the set of a class escape (`\d`), or the one character the escape stands for. */
  private escapeMember(c: string): number | CharSet {
    const lower = c.toLowerCase();
    const classEscape = CLASS_ESCAPES[lower];
    if (classEscape !== undefined) {
      const set = new CharSet();
      classEscape(set);
      if (c !== lower) set.negate();
      return set;
    }
    if (CONTROL_ESCAPES[c] !== undefined) return CONTROL_ESCAPES[c];
    const rest = this.src.slice(this.pos);
    const hex = c === 'x' ? /^[0-9A-Fa-f]{2}/.exec(rest) : c === 'u' ? /^[0-9A-Fa-f]{4}/.exec(rest) : null;
    if (hex !== null) {
      this.pos += hex[0].length;
      return parseInt(hex[0], 16);
    }
    if (c === 'c' && /^[A-Za-z]/.test(rest)) return this.src.charCodeAt(this.pos++) % 32;
    return c.charCodeAt(0);
  }

  /** One member of a character class: a character code, or a set for a class escape. */
  private classMember(): number | CharSet {
    const c = this.src[this.pos++];
    if (c !== '\\') return c.charCodeAt(0);
    const escaped = this.src[this.pos++];
    return escaped === 'b' ? 8 : this.escapeMember(escaped);
  }

  private charClass(): CharSet {
    const set = new CharSet();
    const negated = this.src[this.pos] === '^';
    if (negated) this.pos++;
    while (this.src[this.pos] !== ']') {
      const from = this.classMember();
      if (typeof from !== 'number') {
        set.addSet(from);
      } else if (this.src[this.pos] === '-' && this.src[this.pos + 1] !== ']') {
        this.pos++;
        const to = this.classMember();
        if (typeof to === 'number') {
          set.addRange(from, to, this.ignoreCase);
        } else {
          // `[a-\d]`: Annex B reads the dash literally.
          set.add(from, this.ignoreCase);
          set.add(45, false);
          set.addSet(to);
        }
      } else {
        set.add(from, this.ignoreCase);
      }
    }
    this.pos++; // ']'
    if (negated) set.negate();
    return set;
  }
}
