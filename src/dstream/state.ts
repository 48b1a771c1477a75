/**
 * updateStateByKey (Spark's StateDStream): the state of every key after each batch, computed
 * from the state one slide earlier and the batch's new values. Each batch's state is a new
 * batch, never an update in place, so a retried batch starts again from the same state. (That
 * holds for the state objects too only if the update function returns new ones instead of
 * mutating those it is given: the engine cannot undo a mutation.)
 */
import { Batch, cogroupAll, type Pair } from '../batch/batch.js';
import type { Duration, Time } from '../time.js';
import { DStream } from './internal.js';

/** Options of `updateStateByKey`. */
export interface UpdateStateOptions<K, S> {
  /**
   * The state before the parent's first batch. Like every key, its keys are updated in that
   * batch, with no values when the batch has none for them.
   */
  initialState?: Iterable<Pair<K, S>> | Batch<Pair<K, S>>;
  /** Number of partitions of the state (default: the parent's). */
  numPartitions?: number;
}

export class StateDStream<K, V, S> extends DStream<Pair<K, S>> {
  readonly name = 'updateStateByKey';
  private readonly initial: Batch<Pair<K, S>> | undefined;

  constructor(
    private readonly parent: DStream<Pair<K, V>>,
    private readonly updateFn: (values: V[], state: S | undefined) => S | undefined,
    private readonly options: UpdateStateOptions<K, S>,
  ) {
    super(parent.ssc);
    this.mustCheckpoint = true;
    // Checked here, not when the first batch runs: a bad option should fail the definition, not a job.
    if (options.numPartitions !== undefined) requireNumPartitions(options.numPartitions);
    const init = options.initialState;
    this.initial = init === undefined ? undefined : init instanceof Batch ? init : Batch.of(Array.from(init));
  }

  /** Keys in the state after the latest batch: one output record per key. */
  protected override readonly outputIsState = true;

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  protected async compute(time: Time): Promise<Batch<Pair<K, S>> | undefined> {
    const previous = await this.getOrCompute(time - this.slideDuration);
    const data = await this.parent.getOrCompute(time);
    // As Spark: with no state yet and no batch from the parent there is nothing to do, so the
    // initial state waits for the parent's first batch instead of being updated with no values.
    if (previous === undefined && data === undefined) return undefined;
    const state = previous ?? this.initial;
    const numPartitions = this.options.numPartitions ?? data?.numPartitions ?? previous!.numPartitions;
    const inputs = [data ?? Batch.empty(), state ?? Batch.empty()] as Batch<Pair<K, unknown>>[];
    return cogroupAll<K, unknown>(inputs, numPartitions).flatMap(([key, [values, states]]): Pair<K, S>[] => {
      const next = this.updateFn(values as V[], states!.length > 0 ? (states![0] as S) : undefined);
      return next === undefined ? [] : [[key, next]];
    });
  }
}

function requireNumPartitions(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`numPartitions must be a positive integer, got ${n}`);
}
