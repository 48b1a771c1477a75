/**
 * reduceByKey / countByValue with a built-in reducer: on the kernels when the batch is columnar
 * (Arrow, or a previous kernel's output) or its keys and values are of kernel types; otherwise
 * the reducer's JS implementation, with the same results.
 */
import { Batch, type Pair } from '../batch/batch.js';
import { keyOnlyColumnsOf, pairColumnsOfRows, withF64Keys, type PairColumns } from '../batch/columns.js';
import { KeyedAggregation } from '../kernels/keyed-aggregation.js';
import { accumulate, mergeAccumulators, type Accumulator, type Reducer } from '../reducers.js';
import type { Duration, Time } from '../time.js';
import { DStream } from './internal.js';

/** Row batches smaller than this stay on the JS path: converting them to columns would cost more than it saves. */
const MIN_ROWS_FOR_KERNELS = 4096;

export class AggregatedDStream<K, R> extends DStream<Pair<K, R>> {
  private aggregation: KeyedAggregation | undefined;

  constructor(
    private readonly parent: DStream<unknown>,
    readonly name: string,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any value type the reducer takes
    private readonly reducer: Reducer<any, R>,
    /** 'pairs': records are [key, value]; 'values': each record is a key to count (countByValue). */
    private readonly mode: 'pairs' | 'values',
    private readonly numPartitions: number | undefined,
  ) {
    super(parent.ssc);
    if (numPartitions !== undefined && !(Number.isSafeInteger(numPartitions) && numPartitions >= 1)) {
      throw new RangeError(`${name}: numPartitions must be a positive integer, got ${numPartitions}`);
    }
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  protected async compute(time: Time): Promise<Batch<Pair<K, R>> | undefined> {
    const batch = await this.parent.getOrCompute(time);
    if (!batch) return undefined;
    const numPartitions = this.numPartitions ?? batch.numPartitions;
    const columns = this.columnsOf(batch);
    if (!columns) return jsAggregate(this.recordsAsPairs(batch), this.reducer, numPartitions);
    if (columns.length === 0) return Batch.empty(numPartitions);
    const engine = await this.ssc.kernelEngine();
    this.aggregation ??= new KeyedAggregation(engine, this.reducer as Reducer<unknown, unknown>);
    const result = await this.aggregation.run(columns);
    const out = Batch.fromColumns<K, R>([result]);
    return numPartitions === 1 ? out : out.partitionBy(numPartitions);
  }

  /**
   * The batch's non-empty partitions as kernel columns, or `undefined` to take the JS path. In
   * 'values' mode each record is a key: a columnar batch's records are `[key, value]` tuples and
   * a decoded Arrow batch's are objects, structured keys for the JS path, so only row batches of
   * numbers, bigints or strings become (key-only) columns.
   */
  private columnsOf(batch: Batch<unknown>): readonly PairColumns[] | undefined {
    if (this.mode === 'pairs' && batch.columns) return batch.columns.filter((c) => c.length > 0);
    if (batch.count() < MIN_ROWS_FOR_KERNELS) return undefined;
    const parts: PairColumns[] = [];
    for (const p of batch.partitions) {
      if (p.length === 0) continue;
      const c = this.mode === 'pairs' ? pairColumnsOfRows(p as readonly [unknown, unknown][]) : keyOnlyColumnsOf(p);
      if (!c) return undefined;
      parts.push(c);
    }
    // Partitions of one batch go into one table, so their number keys need one kind.
    const kinds = new Set(parts.map((c) => c.keys.kind));
    return kinds.size > 1 && !kinds.has('utf8') && !kinds.has('dict') && !kinds.has('i64') ? parts.map(withF64Keys) : parts;
  }

  private recordsAsPairs(batch: Batch<unknown>): Batch<Pair<K, unknown>> {
    return this.mode === 'pairs' ? (batch as Batch<Pair<K, unknown>>) : batch.map((r): Pair<K, unknown> => [r as K, 1]);
  }
}

/** The JS path of a built-in reducer: a combineByKey over accumulators, then the reducer's finish. */
export function jsAggregate<K, R>(batch: Batch<Pair<K, unknown>>, reducer: Reducer<unknown, R>, numPartitions: number): Batch<Pair<K, R>> {
  const mask = reducer.aggMask;
  return batch
    .combineByKey<K, unknown, Accumulator>(
      (v) => accumulate(undefined, v as number, mask),
      (acc, v) => accumulate(acc, v as number, mask),
      (a, b) => mergeAccumulators(a, b, mask),
      numPartitions,
    )
    .mapValues((acc) => reducer.finish(acc));
}
