/**
 * generatorStream: synthetic records at a fixed rate of batch time, for demos and benchmarks.
 * Records are made when their batch is cut, `ratePerSec × interval` of them, so the rate is
 * exact and no timer runs per record.
 */
import { Batch } from '../batch/batch.js';
import type { ArrowBatch } from '../batch/columns.js';
import type { StreamingContext } from '../context.js';
import type { Time } from '../time.js';
import { InputDStream } from '../dstream/internal.js';

/** Options of `generatorStream`. */
export interface GeneratorStreamOptions {
  /** Records per second of batch time. */
  ratePerSec: number;
  /** Partitions of each batch (default 1). */
  numPartitions?: number;
}

export class GeneratorInputDStream<T> extends InputDStream<T> {
  readonly name = 'generatorStream';
  private nextIndex = 0;

  constructor(
    ssc: StreamingContext,
    private readonly make: (index: number, time: Time) => T,
    private readonly options: GeneratorStreamOptions,
  ) {
    super(ssc);
    // Checked here rather than at the first batch, where an error would stop the running context.
    if (typeof make !== 'function') {
      throw new TypeError(`generatorStream: the first argument must be a function (index, time) => record, got ${typeof make}`);
    }
    const rate = options?.ratePerSec;
    if (!(typeof rate === 'number' && Number.isFinite(rate) && rate >= 0)) {
      throw new RangeError(`generatorStream: ratePerSec must be a non-negative number, e.g. { ratePerSec: 100 }, got ${rate}`);
    }
    const partitions = options.numPartitions ?? 1;
    if (!Number.isSafeInteger(partitions) || partitions < 1) {
      throw new RangeError(`generatorStream: numPartitions must be a positive integer, got ${options.numPartitions}`);
    }
  }

  protected async receive(time: Time): Promise<Batch<T>> {
    const due = recordsDue(this.options.ratePerSec, time - this.zeroTime!);
    const records: T[] = [];
    for (; this.nextIndex < due; this.nextIndex++) records.push(this.make(this.nextIndex, time));
    return Batch.of(records, this.options.numPartitions ?? 1);
  }
}

/**
 * Records due after `elapsed` ms at `ratePerSec`, counted from the zero time so fractional rates
 * add up exactly. The product is off by a few ulps for rates such as 0.29 (0.29 × 100 s gives
 * 28.999999999999996), which would deliver a record one batch late; a relative nudge of 4 ε puts
 * it back on the integer.
 */
function recordsDue(ratePerSec: number, elapsed: number): number {
  return Math.floor(((ratePerSec * elapsed) / 1000) * (1 + 4 * Number.EPSILON));
}

/** Makes the Arrow rows `first .. first + count − 1` of a columnar generator. */
export type ColumnarGenerator = (first: number, count: number, time: Time) => ArrowBatch;

/**
 * columnarGeneratorStream: like generatorStream, but each batch is made at once as an Arrow
 * table (a `key`/`value` table is a columnar pair batch for the kernels): no JS object per record.
 */
export class ColumnarGeneratorInputDStream<T> extends InputDStream<T> {
  readonly name = 'columnarGeneratorStream';
  private nextIndex = 0;

  constructor(
    ssc: StreamingContext,
    private readonly make: ColumnarGenerator,
    private readonly ratePerSec: number,
  ) {
    super(ssc);
    if (typeof make !== 'function') {
      throw new TypeError(`columnarGeneratorStream: the first argument must be a function (first, count, time) => Arrow table, got ${typeof make}`);
    }
    if (!(typeof ratePerSec === 'number' && Number.isFinite(ratePerSec) && ratePerSec >= 0)) {
      throw new RangeError(`columnarGeneratorStream: ratePerSec must be a non-negative number, got ${ratePerSec}`);
    }
  }

  protected async receive(time: Time): Promise<Batch<T>> {
    const due = recordsDue(this.ratePerSec, time - this.zeroTime!);
    const count = due - this.nextIndex;
    if (count <= 0) return Batch.empty<T>();
    const table = this.make(this.nextIndex, count, time);
    if (!Batch.isArrow(table) || table.numRows !== count) {
      throw new TypeError(`columnarGeneratorStream: the generator must return an Arrow Table or RecordBatch of exactly ${count} rows`);
    }
    this.nextIndex = due;
    return Batch.fromArrow<T>(table);
  }
}
