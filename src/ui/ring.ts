/**
 * A fixed-capacity ring: once full, each push overwrites the oldest item. The UI keeps its
 * completed batches in one so that its memory stays flat however long the job runs.
 */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isSafeInteger(capacity) && capacity >= 1)) throw new RangeError(`Ring capacity must be a positive integer, got ${capacity}`);
    this.items = [];
  }

  get size(): number {
    return this.count;
  }

  /** Adds `item` as the newest; returns the item it evicted, if the ring was full. */
  push(item: T): T | undefined {
    if (this.count < this.capacity) {
      this.items[(this.start + this.count) % this.capacity] = item;
      this.count++;
      return undefined;
    }
    const evicted = this.items[this.start];
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    return evicted;
  }

  /** The newest item. */
  last(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.start + this.count - 1) % this.capacity];
  }

  /** The items, oldest first (a copy). */
  toArray(): T[] {
    const out: T[] = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.start + i) % this.capacity]!;
    return out;
  }

  /** The first item, searching from the newest, for which `predicate` holds. */
  findLast(predicate: (item: T) => boolean): T | undefined {
    for (let i = this.count - 1; i >= 0; i--) {
      const item = this.items[(this.start + i) % this.capacity]!;
      if (predicate(item)) return item;
    }
    return undefined;
  }
}
