/** Marks an entry of the base that a layer removed. */
const REMOVED = Symbol('removed');

type Layer<V> = ReadonlyMap<string, V | typeof REMOVED>;

/**
 * An immutable string-keyed map from which the next version derives in time proportional to
 * the change, not to the map: the changes go into a small layer over a base shared with earlier
 * versions, and once the layer outgrows about twice the square root of the base it is folded
 * into a new base. A one-entry change copies at most that layer (about 200 entries for 10,000),
 * and the occasional fold spreads one full copy over as many changes.
 */
export class LayeredMap<V> {
  private constructor(
    private readonly base: ReadonlyMap<string, V>,
    private readonly layer: Layer<V>,
    /** Entries in the map, kept as changes arrive so that counting never walks it. */
    readonly size: number,
  ) {}

  static of<V>(entries: Iterable<readonly [string, V]>): LayeredMap<V> {
    const base = new Map(entries);
    return new LayeredMap(base, new Map(), base.size);
  }

  get(id: string): V | undefined {
    const layered = this.layer.get(id);
    if (layered === REMOVED) return undefined;
    return layered !== undefined ? layered : this.base.get(id);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** The map with `changed` set, then `removed` deleted (as `applyConfigDelta` does); this one is left as it was. */
  with(changed: Readonly<Record<string, V>>, removed: readonly string[]): LayeredMap<V> {
    const layer = new Map(this.layer);
    const present = (id: string) => (layer.has(id) ? layer.get(id) !== REMOVED : this.base.has(id));
    let size = this.size;
    for (const [id, value] of Object.entries(changed)) {
      if (!present(id)) size++;
      layer.set(id, value);
    }
    for (const id of removed) {
      if (!present(id)) continue;
      size--;
      if (this.base.has(id)) layer.set(id, REMOVED);
      else layer.delete(id);
    }
    if (layer.size <= 2 * Math.ceil(Math.sqrt(this.base.size)) + 16) return new LayeredMap(this.base, layer, size);
    const base = new Map(this.base);
    for (const [id, value] of layer) {
      if (value === REMOVED) base.delete(id);
      else base.set(id, value);
    }
    return new LayeredMap(base, new Map(), size);
  }

  *entries(): IterableIterator<[string, V]> {
    for (const [id, value] of this.base) if (!this.layer.has(id)) yield [id, value];
    for (const [id, value] of this.layer) if (value !== REMOVED) yield [id, value];
  }

  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }
}
