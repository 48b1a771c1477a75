/**
 * Incremental reduceByKeyAndWindow (Spark's ReducedWindowedDStream). The window at time t is
 * computed from the window one slide earlier: the batches leaving the window are removed with
 * the inverse function, the batches entering it are added with the reduce function.
 *
 *   |  previous window   _________|___________________
 *   |___________________|       current window        |  ---> time
 *                       |_____________________________|
 *   |________ _________|          |________ _________|
 *            old batches                 new batches
 */
import { Batch, cogroupAll, type Pair } from '../batch/batch.js';
import type { Duration, Time } from '../time.js';
import { DStream, requireWindow } from './internal.js';

/** Options of the incremental `reduceByKeyAndWindow`. */
export interface ReduceByKeyAndWindowOptions<K, V> {
  /** Keeps only the records for which it returns true (e.g. drop keys whose count fell to 0). */
  filterFunc?: (record: Pair<K, V>) => boolean;
  /** Number of partitions of the output (default: the parent's). */
  numPartitions?: number | undefined;
}

export class ReducedWindowedDStream<K, V> extends DStream<Pair<K, V>> {
  readonly name = 'reduceByKeyAndWindow';
  private readonly reduced: DStream<Pair<K, V>>;

  constructor(
    parent: DStream<Pair<K, V>>,
    private readonly reduceFn: (a: V, b: V) => V,
    private readonly invReduceFn: (a: V, b: V) => V,
    readonly windowDuration: Duration,
    private readonly slide: Duration,
    private readonly options: ReduceByKeyAndWindowOptions<K, V>,
  ) {
    super(parent.ssc);
    requireWindow(parent, windowDuration, slide);
    this.reduced = parent.reduceByKey(reduceFn, options.numPartitions);
    this.mustCheckpoint = true;
    this.reduced.remember(windowDuration);
  }

  /** Keys in the window after the latest batch: one output record per key. */
  protected override readonly outputIsState = true;

  get dependencies(): readonly DStream<unknown>[] {
    return [this.reduced];
  }

  get slideDuration(): Duration {
    return this.slide;
  }

  protected override parentRememberDuration(): Duration {
    return (this.rememberDuration ?? this.slide) + this.windowDuration;
  }

  // The previous window is needed to compute the next one.
  override remember(duration: Duration): void {
    super.remember(Math.max(duration, this.slide));
  }

  protected async compute(time: Time): Promise<Batch<Pair<K, V>>> {
    const parentSlide = this.reduced.slideDuration;
    const currentBegin = time - this.windowDuration + parentSlide;
    const previousEnd = time - this.slide;
    const previousBegin = currentBegin - this.slide;

    // Spark slices (previousBegin, currentBegin - parentSlide) and (previousEnd + parentSlide, time).
    // When the slide is longer than the window, those ranges overlap on the batches between the two
    // windows, which were never in either: a key seen only there would be counted. Clamping each
    // range to its own window makes old = the whole previous window and new = the whole current one.
    const oldBatches = await this.reduced.slice(previousBegin, Math.min(currentBegin - parentSlide, previousEnd));
    const newBatches = await this.reduced.slice(Math.max(previousEnd + parentSlide, currentBegin), time);
    const previous = (await this.getOrCompute(previousEnd)) ?? Batch.empty<Pair<K, V>>();

    const numPartitions = this.options.numPartitions ?? previous.numPartitions;
    const grouped = cogroupAll<K, V>([previous, ...oldBatches, ...newBatches], Math.max(1, numPartitions));
    const numOld = oldBatches.length;
    const merged = grouped.map(([key, groups]): Pair<K, V> => [key, this.merge(key, groups, numOld)]);
    return this.options.filterFunc ? merged.filter(this.options.filterFunc) : merged;
  }

  private merge(key: K, groups: V[][], numOld: number): V {
    const reduceAll = (vs: V[]): V => vs.reduce(this.reduceFn);
    // Each reduced batch holds at most one value per key.
    const oldValues = groups.slice(1, 1 + numOld).flat();
    const newValues = groups.slice(1 + numOld).flat();
    const previous = groups[0]!;
    if (previous.length === 0) {
      if (newValues.length === 0) {
        throw new Error(
          `reduceByKeyAndWindow: key ${String(key)} leaves the window but was not in the previous window. ` +
            'This happens when filterFunc drops a key that still has values inside the window; make filterFunc keep such keys.',
        );
      }
      return reduceAll(newValues);
    }
    let value = previous[0] as V;
    if (oldValues.length > 0) value = this.invReduceFn(value, reduceAll(oldValues));
    if (newValues.length > 0) value = this.reduceFn(value, reduceAll(newValues));
    return value;
  }
}
