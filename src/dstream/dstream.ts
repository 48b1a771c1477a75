/**
 * `DStream<T>`: a discretized stream, a sequence of batches, one per slide interval. As in
 * Spark's DStream, each kind defines only its `dependencies`, its `slideDuration` and how to
 * `compute` its batch at a valid time; this base class caches generated batches, forgets them
 * once nothing needs them, and offers every transformation and output operation.
 */
import { Batch, type Pair } from '../batch/batch.js';
import { IllegalStateError, InvalidDurationError, GraphValidationError } from '../errors.js';
import { floorTime, formatDuration, isMultipleOf, requirePositiveDuration, type Duration, type Time } from '../time.js';
import type { StreamingContext } from '../context.js';
import {
  ForEachDStream,
  MapWithStateDStream,
  ReducedWindowedDStream,
  StateDStream,
  TransformedDStream,
  UnionDStream,
  WindowedDStream,
  AggregatedDStream,
  PaneWindowedDStream,
  type StateSpec,
  type UpdateStateOptions,
  type ReduceByKeyAndWindowOptions,
} from './internal.js';
import { formatRecord } from '../format-record.js';
import { count, isReducer, sum, type Reducer } from '../reducers.js';
import { writeTextFileAtomically } from '../sinks/text-files.js';
import type { Sink } from '../sinks/sink.js';

/** A sequence of batches, one per slide interval. Create one from a `StreamingContext` source. */
export abstract class DStream<T> {
  private static nextId = 0;
  /** Unique id of this stream within the process. */
  readonly id = DStream.nextId++;
  /** Short name of the operation that made this stream, e.g. `map` or `reduceByKeyAndWindow`. */
  abstract readonly name: string;

  /** Set when the graph starts: the time before the first batch. */
  protected zeroTime: Time | undefined;
  /** How long generated batches are kept for later windows, slices or state. */
  protected rememberDuration: Duration | undefined;
  /** Set on streams whose lineage must be checkpointed (stateful and inverse-window streams). */
  protected mustCheckpoint = false;
  protected checkpointDuration: Duration | undefined;

  private readonly generated = new Map<Time, Promise<Batch<T> | undefined>>();
  private lastComputedTime: Time = -Infinity;
  private lastComputedRecords = 0;

  /** @internal Records in the latest batch this stream computed, and its time (for the UI). */
  get lastBatchRecords(): { time: Time; records: number } | undefined {
    return this.lastComputedTime === -Infinity ? undefined : { time: this.lastComputedTime, records: this.lastComputedRecords };
  }

  /**
   * Set by stateful operators whose every output batch is their whole state, one record per key
   * (updateStateByKey, the window aggregations): their state size is their latest batch's size.
   */
  protected readonly outputIsState: boolean = false;

  /**
   * @internal Keys held as state by a stateful operator (updateStateByKey, mapWithState,
   * window aggregations), for the UI; `undefined` for stateless streams.
   */
  get stateSize(): number | undefined {
    return this.outputIsState ? (this.lastBatchRecords?.records ?? 0) : undefined;
  }

  constructor(readonly ssc: StreamingContext) {
    if (ssc.state !== 'initialized') {
      throw new IllegalStateError(
        'Adding new inputs, transformations, and output operations after starting a context is not supported; define the whole graph before start()',
      );
    }
  }

  /** The streams this one is computed from. */
  abstract get dependencies(): readonly DStream<unknown>[];
  /** The interval at which this stream produces a batch. */
  abstract get slideDuration(): Duration;
  /** Computes the batch for a valid `time` (a multiple of the slide after the zero time). */
  protected abstract compute(time: Time): Promise<Batch<T> | undefined>;

  // ---------------------------------------------------------------- lifecycle (used by the graph)

  /** @internal Sets the zero time on this stream and its ancestors. */
  initialize(zeroTime: Time): void {
    if (this.zeroTime !== undefined && this.zeroTime !== zeroTime) {
      throw new IllegalStateError(`${this} was already initialized with zero time ${this.zeroTime}`);
    }
    this.zeroTime = zeroTime;
    if (this.mustCheckpoint && this.checkpointDuration === undefined) {
      // Spark's default: the smallest multiple of the slide that is at least 10 seconds.
      this.checkpointDuration = this.slideDuration * Math.ceil(10_000 / this.slideDuration);
    }
    const minRemember = this.slideDuration;
    if (this.rememberDuration === undefined || this.rememberDuration < minRemember) this.rememberDuration = minRemember;
    for (const d of this.dependencies) {
      d.initialize(zeroTime);
      // What this stream needs from its parents depends on its remember duration, which may
      // have just grown to the slide (Spark's graph.start() calls remember() on every output for
      // this). Otherwise a window's parent forgets batches the window still needs.
      d.remember(this.parentRememberDuration());
    }
  }

  /** @internal Keeps generated batches at least `duration`, and what the ancestors need for it. */
  remember(duration: Duration): void {
    if (this.rememberDuration === undefined || duration > this.rememberDuration) this.rememberDuration = duration;
    for (const d of this.dependencies) d.remember(this.parentRememberDuration());
  }

  /** How long the parents must remember batches so that this stream can be computed. */
  protected parentRememberDuration(): Duration {
    return this.rememberDuration ?? this.slideDuration;
  }

  /** @internal Checks what can only be checked once the graph is complete. */
  validateAtStart(): void {
    if (this.mustCheckpoint && this.ssc.checkpointDirectory === undefined) {
      throw new GraphValidationError(
        `${this} needs checkpointing: the checkpoint directory has not been set. Call ssc.checkpoint(directory) before start()`,
      );
    }
    for (const d of this.dependencies) d.validateAtStart();
  }

  /** True when `time` is a batch time of this stream: after the zero time, on a slide boundary. */
  protected isTimeValid(time: Time): boolean {
    if (this.zeroTime === undefined) throw new IllegalStateError(`${this} has not been initialized; start the context first`);
    return time > this.zeroTime && isMultipleOf(time - this.zeroTime, this.slideDuration);
  }

  /**
   * @internal The batch at `time`: cached if already generated, computed if `time` is valid,
   * `undefined` otherwise. A failed computation is forgotten so that a retry recomputes it.
   */
  getOrCompute(time: Time): Promise<Batch<T> | undefined> {
    const cached = this.generated.get(time);
    if (cached) return cached;
    if (!this.isTimeValid(time)) return Promise.resolve(undefined);
    const batch = this.compute(time);
    this.generated.set(time, batch);
    batch.then((b) => {
      if (b && time >= this.lastComputedTime) {
        this.lastComputedTime = time;
        this.lastComputedRecords = b.count();
      }
    }, () => undefined);
    batch.catch(() => {
      if (this.generated.get(time) === batch) this.generated.delete(time);
    });
    return batch;
  }

  /** @internal Forgets batches older than the remember duration, here and upstream. */
  clearMetadata(time: Time): void {
    const horizon = time - (this.rememberDuration ?? this.slideDuration);
    for (const t of this.generated.keys()) if (t <= horizon) this.generated.delete(t);
    for (const d of this.dependencies) d.clearMetadata(time);
  }

  /** @internal Number of batches currently cached (for tests of the remember logic). */
  get cachedBatchCount(): number {
    return this.generated.size;
  }

  toString(): string {
    return `${this.name} stream #${this.id}`;
  }

  // ---------------------------------------------------------------- transformations

  /** A new stream made by applying `fn` to each record. */
  /**
   * Pairs `[record[keyField], record[valueField]]` of records with named fields, such as those
   * a source decodes from JSON, CSV or binary frames. On decoded (Arrow) batches the two
   * columns pass through as they are: `stream.toPairs('sensor', 'value').reduceByKey(stats)`
   * runs on the kernels without one JS object per record.
   */
  toPairs<K = unknown, V = unknown>(keyField: string, valueField: string): DStream<Pair<K, V>> {
    return this.transformNamed('toPairs', (b) => b.toPairs<K, V>(keyField, valueField));
  }

  map<U>(fn: (record: T) => U): DStream<U> {
    return this.transformNamed('map', (b) => b.map(fn));
  }

  /** A new stream made by applying `fn` to each record and flattening the results. */
  flatMap<U>(fn: (record: T) => Iterable<U>): DStream<U> {
    return this.transformNamed('flatMap', (b) => b.flatMap(fn));
  }

  /** The records for which `fn` returns true. */
  filter(fn: (record: T) => boolean): DStream<T> {
    return this.transformNamed('filter', (b) => b.filter(fn));
  }

  /** Applies `fn` to each partition of each batch as a whole. */
  mapPartitions<U>(fn: (records: readonly T[], partitionIndex: number) => Iterable<U>): DStream<U> {
    return this.transformNamed('mapPartitions', (b) => b.mapPartitions(fn));
  }

  /** Each partition of each batch becomes one record: the array of its records. */
  glom(): DStream<T[]> {
    return this.transformNamed('glom', (b) => b.glom());
  }

  /** Redistributes each batch over `numPartitions` partitions. */
  repartition(numPartitions: number): DStream<T> {
    return this.transformNamed('repartition', (b) => b.repartition(numPartitions));
  }

  /** The records of this stream and of `other` (both must have the same slide duration). */
  union(other: DStream<T>): DStream<T> {
    return new UnionDStream([this, other]);
  }

  /** Each batch becomes one record: its number of records (0 for an empty batch). */
  count(): DStream<number> {
    return this.transformNamed('count', (b) => Batch.of([b.count()]));
  }

  /** Each batch becomes at most one record: its records reduced with `fn` (nothing when empty). */
  reduce(fn: (a: T, b: T) => T): DStream<T> {
    return this.transformNamed('reduce', (b) => {
      const all = b.reduce(fn);
      return b.isEmpty() ? Batch.empty<T>() : Batch.of([all as T]);
    });
  }

  /**
   * Each distinct record of a batch with its number of occurrences. Numbers, bigints and strings
   * are counted on the kernels (for batches of a few thousand records or more).
   */
  countByValue(numPartitions?: number): DStream<Pair<T, number>> {
    return new AggregatedDStream<T, number>(this, 'countByValue', count, 'values', numPartitions);
  }

  /** Any batch-to-batch function: `fn(batch, time)` returns the new batch. */
  transform<U>(fn: (batch: Batch<T>, time: Time) => Batch<U>): DStream<U> {
    return this.transformNamed('transform', fn);
  }

  /** Combines each batch of this stream with the batch of `other` at the same time. */
  transformWith<U, V>(other: DStream<U>, fn: (mine: Batch<T>, theirs: Batch<U>, time: Time) => Batch<V>): DStream<V> {
    return new TransformedDStream<V>('transformWith', [this, other], (batches, time) =>
      fn(batches[0] as Batch<T>, batches[1] as Batch<U>, time),
    );
  }

  private transformNamed<U>(name: string, fn: (batch: Batch<T>, time: Time) => Batch<U>): DStream<U> {
    return new TransformedDStream<U>(name, [this], (batches, time) => fn(batches[0] as Batch<T>, time));
  }

  // ---------------------------------------------------------------- pair transformations

  /** Applies `fn` to the value of each `[key, value]` record. */
  mapValues<K, V, W>(this: DStream<Pair<K, V>>, fn: (value: V) => W): DStream<Pair<K, W>> {
    return this.transformNamed('mapValues', (b) => b.mapValues(fn));
  }

  /** Applies `fn` to each value and emits one record per result, with the same key. */
  flatMapValues<K, V, W>(this: DStream<Pair<K, V>>, fn: (value: V) => Iterable<W>): DStream<Pair<K, W>> {
    return this.transformNamed('flatMapValues', (b) => b.flatMapValues(fn));
  }

  /** Groups the values of each key in each batch. */
  groupByKey<K, V>(this: DStream<Pair<K, V>>, numPartitions?: number): DStream<Pair<K, V[]>> {
    return this.transformNamed('groupByKey', (b) => b.groupByKey(numPartitions ?? b.numPartitions));
  }

  /** Merges the values of each key in each batch with an associative, commutative `fn`. */
  reduceByKey<K, V>(this: DStream<Pair<K, V>>, fn: (a: V, b: V) => V, numPartitions?: number): DStream<Pair<K, V>>;
  /**
   * Aggregates the values of each key in each batch with a built-in reducer (`sum`, `count`,
   * `min`, `max`, `mean`, `stats`), on the WebAssembly kernels for columnar (Arrow) batches and
   * for keys and values of kernel types; `pairs.reduceByKey(sum)`.
   */
  reduceByKey<K, V, R>(this: DStream<Pair<K, V>>, reducer: Reducer<V, R>, numPartitions?: number): DStream<Pair<K, R>>;
  reduceByKey<K, V>(this: DStream<Pair<K, V>>, fn: ((a: V, b: V) => V) | Reducer<V, unknown>, numPartitions?: number): DStream<Pair<K, unknown>> {
    if (typeof fn !== 'function') return new AggregatedDStream<K, unknown>(this, 'reduceByKey', requireReducer(fn), 'pairs', numPartitions);
    return this.transformNamed('reduceByKey', (b) => b.reduceByKey(fn, numPartitions ?? b.numPartitions));
  }

  /** The generic keyed aggregation of each batch; see `Batch.combineByKey`. */
  combineByKey<K, V, C>(
    this: DStream<Pair<K, V>>,
    createCombiner: (value: V) => C,
    mergeValue: (combiner: C, value: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    numPartitions?: number,
  ): DStream<Pair<K, C>> {
    return this.transformNamed('combineByKey', (b) =>
      b.combineByKey(createCombiner, mergeValue, mergeCombiners, numPartitions ?? b.numPartitions),
    );
  }

  /** For each key in either stream's batch, the arrays of its values in each. */
  cogroup<K, V, W>(this: DStream<Pair<K, V>>, other: DStream<Pair<K, W>>, numPartitions?: number): DStream<Pair<K, [V[], W[]]>> {
    return this.pairWith('cogroup', other, (a, b) => a.cogroup(b, numPartitions));
  }

  /** Inner join of each batch with `other`'s batch at the same time. */
  join<K, V, W>(this: DStream<Pair<K, V>>, other: DStream<Pair<K, W>>, numPartitions?: number): DStream<Pair<K, [V, W]>> {
    return this.pairWith('join', other, (a, b) => a.join(b, numPartitions));
  }

  /** Left outer join: `[k, [v, undefined]]` where `other` has no value for `k`. */
  leftOuterJoin<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    numPartitions?: number,
  ): DStream<Pair<K, [V, W | undefined]>> {
    return this.pairWith('leftOuterJoin', other, (a, b) => a.leftOuterJoin(b, numPartitions));
  }

  /** Right outer join: `[k, [undefined, w]]` where this stream has no value for `k`. */
  rightOuterJoin<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    numPartitions?: number,
  ): DStream<Pair<K, [V | undefined, W]>> {
    return this.pairWith('rightOuterJoin', other, (a, b) => a.rightOuterJoin(b, numPartitions));
  }

  /** Full outer join: `undefined` on whichever side has no value for the key. */
  fullOuterJoin<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    numPartitions?: number,
  ): DStream<Pair<K, [V | undefined, W | undefined]>> {
    return this.pairWith('fullOuterJoin', other, (a, b) => a.fullOuterJoin(b, numPartitions));
  }

  private pairWith<K, V, W, R>(
    this: DStream<Pair<K, V>>,
    name: string,
    other: DStream<Pair<K, W>>,
    fn: (a: Batch<Pair<K, V>>, b: Batch<Pair<K, W>>) => Batch<R>,
  ): DStream<R> {
    return new TransformedDStream<R>(name, [this, other], (batches) =>
      fn(batches[0] as Batch<Pair<K, V>>, batches[1] as Batch<Pair<K, W>>),
    );
  }

  /**
   * Keeps a state per key across batches. `fn(values, state)` is called for every key that has
   * new values or a state, in every batch, and returns the new state; `undefined` removes the
   * key. The output is the whole state after each batch. Needs `ssc.checkpoint(dir)`.
   */
  updateStateByKey<K, V, S>(
    this: DStream<Pair<K, V>>,
    fn: (values: V[], state: S | undefined) => S | undefined,
    options: UpdateStateOptions<K, S> = {},
  ): DStream<Pair<K, S>> {
    return new StateDStream<K, V, S>(this, fn, options);
  }

  /**
   * Keeps a state per key and emits what the state function returns for each record (and for
   * each key that times out). See {@link StateSpec}. Needs `ssc.checkpoint(dir)`.
   */
  mapWithState<K, V, S, M>(this: DStream<Pair<K, V>>, spec: StateSpec<K, V, S, M>): MapWithStateDStream<K, V, S, M> {
    return new MapWithStateDStream<K, V, S, M>(this, spec);
  }

  // ---------------------------------------------------------------- windows

  /**
   * Each batch of the new stream holds the records of this stream's batches in `(t - window, t]`,
   * produced every `slideDuration` (by default this stream's own slide).
   */
  window(windowDuration: Duration, slideDuration: Duration = this.slideDuration): DStream<T> {
    return new WindowedDStream(this, windowDuration, slideDuration);
  }

  /**
   * The number of records in each sliding window, kept incrementally (per-pane counts on the
   * kernels). Needs `ssc.checkpoint(dir)`, as in Spark.
   */
  countByWindow(windowDuration: Duration, slideDuration: Duration = this.slideDuration): DStream<number> {
    return new PaneWindowedDStream<number, number>(this.count(), 'countByWindow', sum, 'single', windowDuration, slideDuration, {
      mustCheckpoint: true,
    }).map(([, n]) => n);
  }

  /** Reduces all records of each sliding window with `fn`. */
  reduceByWindow(fn: (a: T, b: T) => T, windowDuration: Duration, slideDuration?: Duration): DStream<T>;
  /** Aggregates all records of each sliding window with a built-in reducer, incrementally, on the kernels for numbers. */
  reduceByWindow<R>(reducer: Reducer<T, R>, windowDuration: Duration, slideDuration?: Duration): DStream<R>;
  /**
   * Incrementally: the new window's value is the previous one, plus the entering batches with
   * `fn`, minus the leaving batches with `invFn`. Needs `ssc.checkpoint(dir)`.
   */
  reduceByWindow(fn: (a: T, b: T) => T, invFn: (a: T, b: T) => T, windowDuration: Duration, slideDuration?: Duration): DStream<T>;
  reduceByWindow(
    fn: ((a: T, b: T) => T) | Reducer<T, unknown>,
    invOrWindow: ((a: T, b: T) => T) | Duration,
    windowOrSlide?: Duration,
    maybeSlide?: Duration,
  ): DStream<unknown> {
    if (typeof fn !== 'function') {
      const window = invOrWindow as Duration;
      return new PaneWindowedDStream<number, unknown>(this, 'reduceByWindow', requireReducer(fn), 'single', window, windowOrSlide ?? this.slideDuration).map(([, v]) => v);
    }
    if (typeof invOrWindow === 'function') {
      const window = requireDuration(windowOrSlide, 'windowDuration');
      return this.map((r): Pair<number, T> => [1, r])
        .reduceByKeyAndWindow(fn, invOrWindow, window, maybeSlide ?? this.slideDuration, { numPartitions: 1 })
        .map(([, v]) => v);
    }
    const slide = windowOrSlide ?? this.slideDuration;
    return this.reduce(fn).window(invOrWindow, slide).reduce(fn);
  }

  /**
   * Counts of each distinct record in each sliding window (records no longer in the window are
   * dropped), kept incrementally: per-pane counts, on the kernels for numbers, bigints and
   * strings. Needs `ssc.checkpoint(dir)`, as in Spark.
   */
  countByValueAndWindow(windowDuration: Duration, slideDuration: Duration = this.slideDuration, numPartitions?: number): DStream<Pair<T, number>> {
    return new PaneWindowedDStream<T, number>(this, 'countByValueAndWindow', count, 'values', windowDuration, slideDuration, {
      mustCheckpoint: true,
      numPartitions,
    });
  }

  /** Groups the values of each key over each sliding window. */
  groupByKeyAndWindow<K, V>(
    this: DStream<Pair<K, V>>,
    windowDuration: Duration,
    slideDuration: Duration = this.slideDuration,
    numPartitions?: number,
  ): DStream<Pair<K, V[]>> {
    return this.groupByKey(numPartitions)
      .window(windowDuration, slideDuration)
      .combineByKey<K, V[], V[]>(
        (vs) => vs.slice(),
        (acc, vs) => (acc.push(...vs), acc),
        (a, b) => a.concat(b),
        numPartitions,
      );
  }

  /** Merges the values of each key over each sliding window with `fn`. */
  reduceByKeyAndWindow<K, V>(
    this: DStream<Pair<K, V>>,
    fn: (a: V, b: V) => V,
    windowDuration: Duration,
    slideDuration?: Duration,
    numPartitions?: number,
  ): DStream<Pair<K, V>>;
  /**
   * Incrementally: each window's values are the previous window's, merged with the batches that
   * enter through `fn` and un-merged from those that leave through `invFn`. Keys whose value
   * returns to zero stay unless `filterFunc` drops them. Needs `ssc.checkpoint(dir)`.
   */
  reduceByKeyAndWindow<K, V>(
    this: DStream<Pair<K, V>>,
    fn: (a: V, b: V) => V,
    invFn: (a: V, b: V) => V,
    windowDuration: Duration,
    slideDuration?: Duration,
    options?: ReduceByKeyAndWindowOptions<K, V>,
  ): DStream<Pair<K, V>>;
  /**
   * Aggregates the values of each key over each sliding window with a built-in reducer,
   * incrementally: each batch is added to one pane of a per-key ring kept on the kernels, and a
   * slide drops the oldest pane, so the cost per record does not grow with the window;
   * `pairs.reduceByKeyAndWindow(sum, Seconds(60), Seconds(1))`.
   */
  reduceByKeyAndWindow<K, V, R>(
    this: DStream<Pair<K, V>>,
    reducer: Reducer<V, R>,
    windowDuration: Duration,
    slideDuration?: Duration,
    numPartitions?: number,
  ): DStream<Pair<K, R>>;
  reduceByKeyAndWindow<K, V>(
    this: DStream<Pair<K, V>>,
    fn: ((a: V, b: V) => V) | Reducer<V, unknown>,
    invOrWindow: ((a: V, b: V) => V) | Duration,
    windowOrSlide?: Duration,
    slideOrPartitions?: Duration | number,
    options?: ReduceByKeyAndWindowOptions<K, V>,
  ): DStream<Pair<K, unknown>> {
    if (typeof fn !== 'function') {
      return new PaneWindowedDStream<K, unknown>(this, 'reduceByKeyAndWindow', requireReducer(fn), 'pairs', invOrWindow as Duration, windowOrSlide ?? this.slideDuration, {
        numPartitions: slideOrPartitions,
      });
    }
    if (typeof invOrWindow === 'function') {
      const window = requireDuration(windowOrSlide, 'windowDuration');
      return new ReducedWindowedDStream<K, V>(this, fn, invOrWindow, window, slideOrPartitions ?? this.slideDuration, options ?? {});
    }
    const slide = windowOrSlide ?? this.slideDuration;
    const numPartitions = slideOrPartitions;
    return this.reduceByKey(fn, numPartitions).window(invOrWindow, slide).reduceByKey(fn, numPartitions);
  }

  /**
   * The batches generated between `fromTime` and `toTime` inclusive, both rounded down to this
   * stream's batch times. Only batches still remembered (see `ssc.remember`) or computable are
   * returned.
   */
  async slice(fromTime: Time, toTime: Time): Promise<Batch<T>[]> {
    if (this.zeroTime === undefined) throw new IllegalStateError(`${this} has not been initialized; start the context first`);
    const from = floorTime(fromTime, this.slideDuration, this.zeroTime);
    const to = floorTime(toTime, this.slideDuration, this.zeroTime);
    const batches: Batch<T>[] = [];
    for (let t = from; t <= to; t += this.slideDuration) {
      if (t <= this.zeroTime) continue;
      const b = await this.getOrCompute(t);
      if (b) batches.push(b);
    }
    return batches;
  }

  /**
   * Sets how often this stream's state is checkpointed. Only meaningful on stateful streams;
   * must be a multiple of the slide duration.
   */
  checkpoint(interval: Duration): this {
    requireMultiple(interval, 'checkpoint interval', this.slideDuration, `slide duration of ${this}`);
    this.checkpointDuration = interval;
    return this;
  }

  // ---------------------------------------------------------------- output operations

  /**
   * Prints the first `num` records of every batch, in Spark's format: a line of dashes,
   * `Time: <ms> ms`, a line of dashes, the records, and `...` when there are more.
   */
  print(num = 10): void {
    new ForEachDStream(this, 'print', (batch, time) => {
      const first = batch.take(num + 1);
      const lines = ['-------------------------------------------', `Time: ${time} ms`, '-------------------------------------------'];
      for (const r of first.slice(0, num)) lines.push(formatRecord(r));
      if (first.length > num) lines.push('...');
      lines.push('');
      process.stdout.write(lines.join('\n') + '\n');
    }).register();
  }

  /** Runs `fn` on every batch. A returned promise is awaited before the next batch starts. */
  foreachRDD(fn: (batch: Batch<T>, time: Time) => void | Promise<void>): void {
    new ForEachDStream(this, 'foreachRDD', fn).register();
  }

  /**
   * Writes every batch to a data-store sink, e.g. `stream.saveTo(sinks.duckdb({ path, table }))`.
   * The sink is opened before the first batch and closed when the context stops.
   */
  saveTo(sink: Sink<T>): void {
    let opened: Promise<void> | undefined;
    const open = () => (opened ??= Promise.resolve(sink.open?.()).catch((error: unknown) => {
      opened = undefined; // a failed open is tried again with the batch's retry
      throw error;
    }));
    this.ssc.addStopHook(async () => {
      if (opened) await opened.then(() => sink.close?.(), () => undefined);
    });
    new ForEachDStream(this, `saveTo ${sink.name}`, async (batch, time) => {
      await open();
      await sink.write(batch, time);
    }).register();
  }

  /**
   * Writes each batch to the file `<prefix>-<time in ms>[.<suffix>]`, one record per line,
   * atomically: the file appears complete or not at all.
   */
  saveAsTextFiles(prefix: string, suffix?: string): void {
    new ForEachDStream(this, 'saveAsTextFiles', async (batch, time) => {
      const path = `${prefix}-${time}${suffix ? `.${suffix}` : ''}`;
      await writeTextFileAtomically(path, batch.collect().map(formatRecord));
    }).register();
  }
}

/** A built-in reducer, or a clear error for anything else that is not a function. */
function requireReducer<R extends Reducer<never, unknown>>(x: R): R {
  if (!isReducer(x)) {
    throw new TypeError(`Expected a function or a built-in reducer (sum, count, min, max, mean, stats from 'sluice'), got ${String(x)}`);
  }
  return x;
}

function requireDuration(d: Duration | undefined, what: string): Duration {
  if (d === undefined) throw new InvalidDurationError(`${what} is required`);
  return d;
}

/** Throws unless `d` is a positive multiple of `unit`, naming both durations. */
export function requireMultiple(d: Duration, what: string, unit: Duration, unitWhat: string): Duration {
  requirePositiveDuration(d, what);
  if (!isMultipleOf(d, unit)) {
    throw new InvalidDurationError(
      `The ${what} (${formatDuration(d)}) must be a multiple of the ${unitWhat} (${formatDuration(unit)})`,
    );
  }
  return d;
}
