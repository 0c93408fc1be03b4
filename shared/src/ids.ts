import { randomFillSync } from 'node:crypto';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The counter spans rand_a (12 bits) and the top 30 bits of rand_b: 2^42 ids per millisecond. */
const COUNTER_BITS = 42;
const COUNTER_MAX = 2 ** COUNTER_BITS - 1;
/** A fresh millisecond seeds the counter below 2^41 so at least 2^41 increments fit before overflow. */
const COUNTER_SEED_RANGE = 2 ** (COUNTER_BITS - 1);

let lastMillis = -1;
let counter = 0;

/**
 * Random bytes drawn from the OS a few kilobytes at a time: one `randomBytes` call per id cost
 * more than the rest of the id together on the gateway's hot path.
 */
const RANDOM_POOL_BYTES = 4096;
const randomPool = Buffer.alloc(RANDOM_POOL_BYTES);
let randomOffset = RANDOM_POOL_BYTES;

/** Where the next `n` unused random bytes start in the pool (refilled when it runs out). */
function takeRandom(n: number): number {
  if (randomOffset + n > RANDOM_POOL_BYTES) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const at = randomOffset;
  randomOffset += n;
  return at;
}

/**
 * A UUID version 7 (RFC 9562): 48-bit Unix milliseconds, then a 42-bit counter (method 1,
 * "fixed bit-length dedicated counter") seeded at random each millisecond, then 32 random bits.
 * Ids from one process sort strictly in creation order, even within a millisecond or when the
 * wall clock steps back, so event ids double as a time order.
 */
export function uuidv7(): string {
  const now = Date.now();
  if (now > lastMillis) {
    lastMillis = now;
    counter = randomPool.readUIntBE(takeRandom(6), 6) % COUNTER_SEED_RANGE;
  } else if (counter < COUNTER_MAX) {
    counter++;
  } else {
    // Counter exhausted within one millisecond: borrow the next millisecond rather than repeat.
    lastMillis++;
    counter = 0;
  }

  const bytes = Buffer.allocUnsafe(16);
  const random = takeRandom(4);
  randomPool.copy(bytes, 12, random, random + 4); // the low 32 bits of rand_b
  bytes.writeUIntBE(lastMillis, 0, 6);
  const counterHigh = Math.floor(counter / 2 ** 30); // 12 bits: rand_a
  const counterLow = counter % 2 ** 30; // 30 bits: top of rand_b
  bytes[6] = 0x70 | (counterHigh >>> 8);
  bytes[7] = counterHigh & 0xff;
  bytes[8] = 0x80 | (counterLow >>> 24);
  bytes[9] = (counterLow >>> 16) & 0xff;
  bytes[10] = (counterLow >>> 8) & 0xff;
  bytes[11] = counterLow & 0xff;

  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True for a UUID in canonical 8-4-4-4-12 hex form (any version, either case). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && value.length === 36 && UUID_PATTERN.test(value);
}
