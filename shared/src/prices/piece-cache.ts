/** A slot's int32s: the piece's first and second words, its length and tokens, and where its other words are. */
const FIRST_WORD = 0;
const SECOND_WORD = 1;
/** `length | tokens << TOKENS_SHIFT`; 0 marks an empty slot (a piece has at least one token). */
const META = 2;
/** For pieces longer than eight bytes, the offset of their third and later words in `rest`. */
const REST_OFFSET = 3;
const SLOT_SIZE = 4;
const LENGTH_BITS = 0xff;
const TOKENS_SHIFT = 8;
/** log2 of the slots a new cache starts with (1,024 slots, 16 KiB). */
const INITIAL_BITS = 10;

/** The bits of a word (four little-endian bytes) that belong to a piece, by how many of its bytes do (0 to 4). */
const TAIL_MASKS = Int32Array.of(0, 0xff, 0xffff, 0xffffff, -1);
/** By piece length (0 to 255): the bits of its first word and of its second word that belong to it. */
const FIRST_WORD_MASKS = Int32Array.from({ length: 256 }, (_, length) => TAIL_MASKS[Math.min(length, 4)]);
const SECOND_WORD_MASKS = Int32Array.from({ length: 256 }, (_, length) => TAIL_MASKS[Math.max(0, Math.min(length - 4, 4))]);

/**
 * Token counts of pieces of ASCII text, looked up by where the piece is in the text's bytes, so
 * that finding a piece allocates nothing (a `Map<string, number>` needs the piece sliced out as
 * a string, then hashes it).
 *
 * An open-addressing hash table (linear probing, at most half full). A slot holds the piece
 * itself, not just a hash of it: its first eight bytes as two little-endian 32-bit words
 * (zero-padded), its length and token count, and for a longer piece where the rest of its words
 * are kept. A lookup compares the piece exactly, so hash collisions cost a probe, never a wrong
 * count; and for the pieces of ordinary text (over 90% are at most eight bytes: a space and a
 * short word) that comparison is two integers and a length, with no loop.
 *
 * The text is read through a DataView four bytes at a time, so the view must extend at least
 * 8 bytes past the end of the text (`asciiBytes` pads it); bytes beyond a piece are masked off.
 *
 * Memory: 16 bytes per slot, up to twice as many slots as entries (4 MiB for 100,000 entries),
 * plus the words past the eighth byte of longer pieces. The table starts small (16 KiB) and
 * doubles as pieces come, so an idle node does not hold the full size.
 */
export class PieceCache {
  private mask: number;
  /** The first slot tried for a hash is given by its top bits (the best mixed). */
  private shift: number;
  /** `SLOT_SIZE` int32s per slot: see `FIRST_WORD` and the following constants. */
  private slots: Int32Array;
  /** log2 of the slots once full grown: enough to hold `maxEntries` at most half full. */
  private readonly maxBits: number;
  /** The words after the first two of longer pieces, one piece after another. */
  private rest = new Int32Array(1024);
  private restUsed = 0;
  private entries = 0;

  /**
   * Remembers up to `maxEntries` pieces, then clears itself and starts over. Pieces may be up to
   * `maxPieceLength` bytes (at most 255).
   */
  constructor(
    private readonly maxEntries: number,
    private readonly maxPieceLength: number,
  ) {
    if (maxPieceLength > 255) throw new RangeError('pieces are at most 255 bytes');
    let bits = 4;
    while (2 ** bits < maxEntries * 2) bits++;
    this.maxBits = bits;
    const initialBits = Math.min(bits, INITIAL_BITS);
    this.mask = 2 ** initialBits - 1;
    this.shift = 32 - initialBits;
    this.slots = new Int32Array(SLOT_SIZE * 2 ** initialBits);
  }

  /** Pieces remembered now. */
  get size(): number {
    return this.entries;
  }

  /**
   * The remembered token count of the piece of ASCII text from byte `start` to `end` of `view`
   * (at most `maxPieceLength` bytes), or 0 if it is not remembered.
   */
  get(view: DataView, start: number, end: number): number {
    const length = end - start;
    const first = view.getInt32(start, true) & FIRST_WORD_MASKS[length];
    const second = view.getInt32(start + 4, true) & SECOND_WORD_MASKS[length];
    const { slots, mask } = this;
    for (let slot = hashPiece(view, start, end, first, second) >>> this.shift; ; slot = (slot + 1) & mask) {
      const at = slot * SLOT_SIZE;
      const meta = slots[at + META];
      if (meta === 0) return 0;
      if (
        slots[at + FIRST_WORD] === first &&
        slots[at + SECOND_WORD] === second &&
        (meta & LENGTH_BITS) === length &&
        (length <= 8 || this.sameRest(slots[at + REST_OFFSET], view, start + 8, end))
      ) {
        return meta >>> TOKENS_SHIFT;
      }
    }
  }

  /** Remembers `tokens` (at least 1) for a piece that `get` does not know, given as for `get`. */
  set(view: DataView, start: number, end: number, tokens: number): void {
    const length = end - start;
    if (length > this.maxPieceLength) throw new RangeError(`piece longer than ${this.maxPieceLength} bytes`);
    // A crude bound: clearing now and then costs one cold prompt, never unbounded memory.
    if (this.entries >= this.maxEntries) this.clear();
    else if (this.entries * 2 >= this.mask + 1) this.grow();
    const first = view.getInt32(start, true) & FIRST_WORD_MASKS[length];
    const second = view.getInt32(start + 4, true) & SECOND_WORD_MASKS[length];
    const { slots, mask } = this;
    let slot = hashPiece(view, start, end, first, second) >>> this.shift;
    while (slots[slot * SLOT_SIZE + META] !== 0) slot = (slot + 1) & mask;
    const at = slot * SLOT_SIZE;
    slots[at + FIRST_WORD] = first;
    slots[at + SECOND_WORD] = second;
    slots[at + META] = length | (tokens << TOKENS_SHIFT);
    slots[at + REST_OFFSET] = length > 8 ? this.appendRest(view, start + 8, end) : 0;
    this.entries++;
  }

  /** Doubles the slots (up to `maxBits`) and puts every piece back where the new size hashes it. */
  private grow(): void {
    const bits = 32 - this.shift + 1;
    if (bits > this.maxBits) return;
    const old = this.slots;
    const slots = new Int32Array(SLOT_SIZE * 2 ** bits);
    const mask = 2 ** bits - 1;
    const shift = 32 - bits;
    for (let at = 0; at < old.length; at += SLOT_SIZE) {
      const meta = old[at + META];
      if (meta === 0) continue;
      const length = meta & LENGTH_BITS;
      let hash = firstHash(old[at + FIRST_WORD], old[at + SECOND_WORD], length);
      const offset = old[at + REST_OFFSET];
      for (let word = 0; word * 4 < length - 8; word++) hash = mixWord(hash, this.rest[offset + word]);
      let slot = finalHash(hash) >>> shift;
      while (slots[slot * SLOT_SIZE + META] !== 0) slot = (slot + 1) & mask;
      slots.set(old.subarray(at, at + SLOT_SIZE), slot * SLOT_SIZE);
    }
    this.slots = slots;
    this.mask = mask;
    this.shift = shift;
  }

  /** Whether the words of `view` from `start` to `end` are those kept in `rest` at `offset`. */
  private sameRest(offset: number, view: DataView, start: number, end: number): boolean {
    const { rest } = this;
    for (let at = start; at < end; at += 4, offset++) {
      if (rest[offset] !== wordAt(view, at, end)) return false;
    }
    return true;
  }

  /** Keeps the words of `view` from `start` to `end` in `rest`; returns where they start. */
  private appendRest(view: DataView, start: number, end: number): number {
    const words = Math.ceil((end - start) / 4);
    if (this.restUsed + words > this.rest.length) {
      const grown = new Int32Array(this.rest.length * 2 + words);
      grown.set(this.rest.subarray(0, this.restUsed));
      this.rest = grown;
    }
    const offset = this.restUsed;
    for (let at = start; at < end; at += 4) this.rest[this.restUsed++] = wordAt(view, at, end);
    return offset;
  }

  private clear(): void {
    this.slots.fill(0);
    this.restUsed = 0;
    this.entries = 0;
  }
}

/** The four bytes of `view` at `at` as a word, without those at or after `end`. */
function wordAt(view: DataView, at: number, end: number): number {
  const word = view.getInt32(at, true);
  return end - at >= 4 ? word : word & TAIL_MASKS[end - at];
}

/** A 32-bit hash of a piece, from its first two words (given), its length and its other words. */
function hashPiece(view: DataView, start: number, end: number, first: number, second: number): number {
  let hash = firstHash(first, second, end - start);
  for (let at = start + 8; at < end; at += 4) hash = mixWord(hash, wordAt(view, at, end));
  return finalHash(hash);
}

/** `hashPiece`'s steps, also used to place remembered pieces again when the table grows. */
function firstHash(first: number, second: number, length: number): number {
  return Math.imul(first, 0xcc9e2d51) ^ Math.imul(second ^ length, 0x1b873593);
}

function mixWord(hash: number, word: number): number {
  return Math.imul(hash ^ word, 0x9e3779b1);
}

function finalHash(hash: number): number {
  const mixed = Math.imul(hash ^ (hash >>> 15), 0x85ebca6b);
  return mixed ^ (mixed >>> 13);
}
