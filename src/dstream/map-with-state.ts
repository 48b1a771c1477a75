/**
 * mapWithState (Spark's MapWithStateDStream): a state per key, updated record by record by a
 * mapping function whose return values form the output stream. Keys idle for longer than the
 * spec's timeout are offered to the function once more, with `state.isTimingOut()` true, and
 * then removed, whether or not their batch has data.
 *
 * Unlike Spark, which looks for timed-out keys only in checkpoint batches (every 10 batches by
 * default), every batch is scanned: a key times out in the first batch where it has been idle
 * for longer than the timeout, so the output does not depend on the checkpoint interval.
 */
import { Batch, type Pair } from '../batch/batch.js';
import { KeyMap } from '../batch/keys.js';
import { IllegalStateError } from '../errors.js';
import { requirePositiveDuration, type Duration, type Time } from '../time.js';
import { DStream } from './internal.js';

/**
 * The state of one key, handed to the mapping function of `mapWithState`.
 * Read it with `exists`/`get`, change it with `update`/`remove`.
 */
export class State<S> {
  private defined = false;
  private value: S | undefined;
  private timingOut = false;
  private updated = false;
  private removed = false;

  /** True when the key has a state. */
  exists(): boolean {
    return this.defined;
  }

  /** The state; throws when there is none (check `exists()` first, or use `getOption()`). */
  get(): S {
    if (!this.defined) throw new IllegalStateError('State is not set: check state.exists() before state.get()');
    return this.value as S;
  }

  /** The state, or `undefined` when there is none. */
  getOption(): S | undefined {
    return this.defined ? this.value : undefined;
  }

  /**
   * Sets the new state of the key. Not allowed while the key is timing out. Pass a new object
   * rather than a mutated one: a batch that fails is retried from the previous batch's states.
   */
  update(state: S): void {
    if (this.removed) throw new IllegalStateError('Cannot update the state after it has been removed');
    if (this.timingOut) throw new IllegalStateError('Cannot update the state that is timing out');
    this.defined = true;
    this.value = state;
    this.updated = true;
  }

  /** Removes the key's state. Not allowed while the key is timing out (it is removed anyway). */
  remove(): void {
    if (this.timingOut) throw new IllegalStateError('Cannot remove the state that is timing out');
    if (this.removed) throw new IllegalStateError('Cannot remove the state that has already been removed');
    this.defined = false;
    this.value = undefined;
    // As Spark's StateImpl: a removed state is not also "updated", whatever happened before.
    this.updated = false;
    this.removed = true;
  }

  /** True when the function is called because the key timed out; its state is then removed. */
  isTimingOut(): boolean {
    return this.timingOut;
  }

  /** @internal */
  wrap(entry: StateEntry<S> | undefined, timingOut = false): this {
    this.defined = entry !== undefined;
    this.value = entry?.state;
    this.timingOut = timingOut;
    this.updated = false;
    this.removed = false;
    return this;
  }

  /** @internal */
  get wasUpdated(): boolean {
    return this.updated;
  }

  /** @internal */
  get wasRemoved(): boolean {
    return this.removed;
  }
}

interface StateEntry<S> {
  readonly state: S;
  readonly updatedAt: Time;
}

/**
 * The mapping function of `mapWithState`: called for each record, and for each timing-out key
 * with `value` undefined. Every call emits what it returns, `undefined` included (Spark's simple
 * API); filter the mapped stream to drop records.
 */
export type MappingFunction<K, V, S, M> = (key: K, value: V | undefined, state: State<S>) => M;

/**
 * What `mapWithState` does: the mapping function, and optionally an initial state, a number
 * of partitions and an idle timeout.
 *
 * @example
 * ```ts
 * const spec = StateSpec.function((word: string, one: number | undefined, state: State<number>) => {
 *   const sum = (one ?? 0) + (state.getOption() ?? 0);
 *   if (!state.isTimingOut()) state.update(sum);
 *   return [word, sum] as [string, number];
 * }).timeout(Minutes(5));
 * const running = pairs.mapWithState(spec);
 * ```
 */
export class StateSpec<K, V, S, M> {
  /** @internal */ initial: Batch<Pair<K, S>> | undefined;
  /** @internal */ partitions: number | undefined;
  /** @internal */ idleTimeout: Duration | undefined;

  private constructor(readonly mappingFunction: MappingFunction<K, V, S, M>) {}

  /** A spec with the given mapping function. */
  static function<K, V, S, M>(fn: MappingFunction<K, V, S, M>): StateSpec<K, V, S, M> {
    return new StateSpec(fn);
  }

  /** The state of some keys before the first batch. */
  initialState(state: Iterable<Pair<K, S>> | Batch<Pair<K, S>>): this {
    this.initial = state instanceof Batch ? state : Batch.of(Array.from(state));
    return this;
  }

  /** Number of partitions of the state. */
  numPartitions(n: number): this {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`numPartitions must be a positive integer, got ${n}`);
    this.partitions = n;
    return this;
  }

  /**
   * Keys with no new data for longer than `idle` time out: in the first batch whose time minus
   * `idle` is after the key's last update (or last record, or the first batch for an initial
   * state), the function is called with `isTimingOut()` true, and the key is removed.
   */
  timeout(idle: Duration): this {
    this.idleTimeout = requirePositiveDuration(idle, 'StateSpec timeout');
    return this;
  }
}

/** One partition of the internal state stream: its state map and the records mapped at that time. */
interface StatePartition<K, S, M> {
  readonly states: KeyMap<K, StateEntry<S>>;
  readonly mapped: M[];
}

/** The state after every batch, by partition. Not public: users see mapped records and snapshots. */
class InternalMapWithStateDStream<K, V, S, M> extends DStream<StatePartition<K, S, M>> {
  readonly name = 'mapWithState';
  private keys = 0;

  constructor(
    private readonly parent: DStream<Pair<K, V>>,
    private readonly spec: StateSpec<K, V, S, M>,
  ) {
    super(parent.ssc);
    this.mustCheckpoint = true;
  }

  /** Keys in the state after the latest batch. */
  override get stateSize(): number {
    return this.keys;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  protected async compute(time: Time): Promise<Batch<StatePartition<K, S, M>>> {
    const previous = await this.getOrCompute(time - this.slideDuration);
    const data = (await this.parent.getOrCompute(time)) ?? Batch.empty<Pair<K, V>>();
    const numPartitions = this.spec.partitions ?? previous?.numPartitions ?? data.numPartitions;
    const previousMaps = previous ? previous.partitions.map((p) => p[0]!.states) : this.initialMaps(time, numPartitions);
    const partitionedData = data.partitionBy(numPartitions);
    const timeoutThreshold = this.spec.idleTimeout === undefined ? undefined : time - this.spec.idleTimeout;
    const parts = partitionedData.partitions.map((records, p) => [this.updatePartition(previousMaps[p]!, records, time, timeoutThreshold)]);
    this.keys = parts.reduce((n, [part]) => n + part!.states.size, 0);
    return Batch.fromPartitions(parts);
  }

  private initialMaps(time: Time, numPartitions: number): KeyMap<K, StateEntry<S>>[] {
    const maps = Array.from({ length: numPartitions }, () => new KeyMap<K, StateEntry<S>>());
    const initial = this.spec.initial?.partitionBy(numPartitions);
    initial?.partitions.forEach((records, p) => {
      for (const [k, s] of records) maps[p]!.set(k, { state: s, updatedAt: time });
    });
    return maps;
  }

  private updatePartition(
    previous: KeyMap<K, StateEntry<S>>,
    records: readonly Pair<K, V>[],
    time: Time,
    timeoutThreshold: Time | undefined,
  ): StatePartition<K, S, M> {
    // Copy, never mutate: the previous state must survive a failed (and retried) batch.
    const states = new KeyMap<K, StateEntry<S>>();
    for (const [k, e] of previous) states.set(k, e);
    const mapped: M[] = [];
    const state = new State<S>();
    for (const [key, value] of records) {
      mapped.push(this.spec.mappingFunction(key, value, state.wrap(states.get(key))));
      if (state.wasRemoved) states.delete(key);
      else if (state.wasUpdated || (state.exists() && timeoutThreshold !== undefined)) {
        states.set(key, { state: state.get(), updatedAt: time });
      }
    }
    if (timeoutThreshold !== undefined) {
      for (const [key, entry] of Array.from(states)) {
        if (entry.updatedAt >= timeoutThreshold) continue;
        mapped.push(this.spec.mappingFunction(key, undefined, state.wrap(entry, true)));
        states.delete(key);
      }
    }
    return { states, mapped };
  }
}

/**
 * The stream of what the mapping function returned in each batch. `stateSnapshots()` gives
 * the whole state after each batch.
 */
export class MapWithStateDStream<K, V, S, M> extends DStream<M> {
  readonly name = 'mapWithState';
  private readonly internal: InternalMapWithStateDStream<K, V, S, M>;

  constructor(parent: DStream<Pair<K, V>>, spec: StateSpec<K, V, S, M>) {
    super(parent.ssc);
    this.internal = new InternalMapWithStateDStream(parent, spec);
  }

  override get stateSize(): number {
    return this.internal.stateSize;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.internal];
  }

  get slideDuration(): Duration {
    return this.internal.slideDuration;
  }

  protected async compute(time: Time): Promise<Batch<M> | undefined> {
    const state = await this.internal.getOrCompute(time);
    return state?.mapPartitions((parts) => parts[0]!.mapped);
  }

  /** The `[key, state]` of every key after each batch. */
  stateSnapshots(): DStream<Pair<K, S>> {
    return this.internal.mapPartitions(function* (parts): Iterable<Pair<K, S>> {
      for (const [k, e] of parts[0]!.states) yield [k, e.state];
    });
  }
}
