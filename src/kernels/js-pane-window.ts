/**
 * The JS twin of `PaneWindow`, for records the kernels do not take (tuple or object keys): a ring
 * of per-pane accumulators, combined per key when the window's result is asked for.
 */
import { KeyMap } from '../batch/keys.js';
import { accumulate, mergeAccumulators, type Accumulator, type Reducer } from '../reducers.js';

export class JsPaneWindow<K> {
  private readonly panes: KeyMap<K, Accumulator>[];
  private current = 0;

  constructor(
    private readonly reducer: Reducer<unknown, unknown>,
    readonly numPanes: number,
  ) {
    this.panes = Array.from({ length: numPanes }, () => new KeyMap<K, Accumulator>());
  }

  /** Adds `[key, value]` records (value ignored when counting) to the current pane. */
  add(records: Iterable<readonly [K, unknown]>): void {
    const pane = this.panes[this.current]!;
    const mask = this.reducer.aggMask;
    for (const [key, value] of records) pane.set(key, accumulate(pane.get(key), value as number, mask));
  }

  slide(): void {
    this.current = (this.current + 1) % this.numPanes;
    this.panes[this.current] = new KeyMap<K, Accumulator>();
  }

  /** `[key, result]` for every key with a value in the window. */
  result(): [K, unknown][] {
    const mask = this.reducer.aggMask;
    const total = new KeyMap<K, Accumulator>();
    // Oldest pane first, so values combine in arrival order, as a fold over the window would.
    for (let i = 1; i <= this.numPanes; i++) {
      for (const [key, acc] of this.panes[(this.current + i) % this.numPanes]!) {
        const t = total.get(key);
        total.set(key, t === undefined ? { ...acc } : mergeAccumulators(t, acc, mask));
      }
    }
    return Array.from(total, ([key, acc]): [K, unknown] => [key, this.reducer.finish(acc)]);
  }
}
