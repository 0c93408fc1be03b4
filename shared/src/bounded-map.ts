/**
 * A map that keeps at most `maxEntries` entries: `remember` puts an entry last, and when the map
 * is over its bound the entry remembered longest ago goes. For caches that must not grow with
 * what agents send (token ids, verified headers).
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly maxEntries: number) {
    super();
  }

  /** Sets `key` as the newest entry, dropping the oldest one when the map is over its bound. */
  remember(key: K, value: V): void {
    this.delete(key);
    this.set(key, value);
    if (this.size > this.maxEntries) this.delete(this.keys().next().value!);
  }
}
