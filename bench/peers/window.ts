/**
 * Peer for the sliding window: a JS `Map` from key to a ring of per-pane partials (sums and
 * counts, typed arrays) plus the running window total. Adding a record touches the current
 * pane; sliding subtracts the evicted pane from every key's total (subtract-on-evict, as the
 * kernel does) and drops keys left with no value in the window.
 */
interface Ring {
  readonly sums: Float64Array;
  readonly counts: Uint32Array;
  total: number;
  live: number;
}

export class MapRingWindow {
  private readonly rings = new Map<number, Ring>();
  private current = 0;

  constructor(private readonly numPanes: number) {}

  add(keys: Uint32Array, values: Float64Array): void {
    const cur = this.current;
    const rings = this.rings;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const v = values[i]!;
      let e = rings.get(k);
      if (e === undefined) {
        e = { sums: new Float64Array(this.numPanes), counts: new Uint32Array(this.numPanes), total: 0, live: 0 };
        rings.set(k, e);
      }
      e.sums[cur]! += v;
      e.counts[cur]!++;
      e.total += v;
      e.live++;
    }
  }

  /** Starts a new, empty current pane; the oldest pane leaves the window. */
  slide(): void {
    const next = this.current + 1 === this.numPanes ? 0 : this.current + 1;
    for (const [k, e] of this.rings) {
      const c = e.counts[next]!;
      if (c === 0) continue;
      e.live -= c;
      if (e.live === 0) {
        this.rings.delete(k);
        continue;
      }
      e.total -= e.sums[next]!;
      e.sums[next] = 0;
      e.counts[next] = 0;
    }
    this.current = next;
  }

  get size(): number {
    return this.rings.size;
  }

  totals(): Map<number, number> {
    const m = new Map<number, number>();
    for (const [k, e] of this.rings) m.set(k, e.total);
    return m;
  }
}
