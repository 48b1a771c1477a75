/**
 * Test input streams that, like Spark's TestInputStream, can have no batch at all at some times
 * (Spark's `None`). No built-in source does this; custom streams may, and the operations must
 * cope with it.
 */
import { Batch, DStream, type StreamingContext, type Time } from '../../src/index.js';

/** Spark's TestSuiteBase makes every input batch `makeRDD(batch, numInputPartitions = 2)`. */
export const SPARK_INPUT_PARTITIONS = 2;

/**
 * One batch of scripted input: records (sliced into the stream's input partitions), a Batch
 * (used as it is, with its own partitions), or `null` for no batch at all.
 */
export type InputBatch<T> = readonly T[] | Batch<T> | null;

/**
 * Spark's TestInputStream: batch i (1-based) reads `input[i - 1]`; `null` means no batch at all
 * (Spark's `None`), and past the end batches are empty. Records are sliced into Spark's 2 input
 * partitions.
 */
export class ScriptedStream<T> extends DStream<T> {
  readonly name = 'scripted';

  constructor(
    ssc: StreamingContext,
    private readonly input: readonly InputBatch<T>[],
  ) {
    super(ssc);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [];
  }

  get slideDuration(): number {
    return this.ssc.batchInterval;
  }

  protected async compute(time: Time): Promise<Batch<T> | undefined> {
    const index = (time - this.zeroTime!) / this.slideDuration - 1;
    const item = index < this.input.length ? this.input[index] : [];
    if (item === null) return undefined;
    return item instanceof Batch ? item : Batch.of(item ?? [], SPARK_INPUT_PARTITIONS);
  }
}

/**
 * `parent` with no batch at the given times, and the parent's batch at every other time: the
 * same gaps as a ScriptedStream's `null`s, for a stream given by `testOperation`.
 */
export class WithGaps<T> extends DStream<T> {
  readonly name = 'withGaps';

  constructor(
    private readonly parent: DStream<T>,
    private readonly gaps: readonly Time[],
  ) {
    super(parent.ssc);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  get slideDuration(): number {
    return this.parent.slideDuration;
  }

  protected compute(time: Time): Promise<Batch<T> | undefined> {
    return this.gaps.includes(time) ? Promise.resolve(undefined) : this.parent.getOrCompute(time);
  }
}
