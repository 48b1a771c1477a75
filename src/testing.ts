/**
 * `sluice/testing`: run a DStream operation on given batches, deterministically and with no real
 * sleeping, the way Spark's `TestSuiteBase.testOperation` does. Use it to test your own pipelines.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamingContext } from './context.js';
import type { DStream } from './dstream/internal.js';
import { ManualClock } from './scheduler/clock.js';
import { IllegalStateError } from './errors.js';
import type { Duration } from './time.js';
import type { Pair } from './batch/batch.js';
import type { ArrowBatch } from './batch/columns.js';

export { ManualClock };

/**
 * One input batch: an array of records, or an Arrow Table / RecordBatch (a table with columns
 * `key` and `value` is a batch of `[key, value]` pairs, kept columnar for the kernels).
 */
export type TestBatch<T> = readonly T[] | ArrowBatch;

/** Options of {@link testOperation}. */
export interface TestOperationOptions {
  /** The batch interval in milliseconds (default 1000). */
  batchInterval?: Duration;
  /** How many batches to run (default: the number of input batches, of the longest input). */
  numBatches?: number;
  /** Kernel worker threads, as `StreamingContext({ workers })` (default: one per core). */
  workers?: number;
}

/**
 * Runs `operation` on a stream whose i-th batch is `input[i]` (empty after the last), for
 * `numBatches` batches on a manual clock, and returns the output: one array for each batch time
 * at which the output stream produced a batch. Windowed streams produce only at slide times.
 * Checkpointing is enabled in a temporary directory, so stateful operations run.
 *
 * @example
 * ```ts
 * const out = await testOperation([['a', 'b'], ['a']], (s) => s.countByValue());
 * // [[['a', 1], ['b', 1]], [['a', 1]]]
 * ```
 */
export function testOperation<T = Pair<any, any>, U = unknown>(
  input: readonly TestBatch<T>[],
  operation: (stream: DStream<T>) => DStream<U>,
  options?: TestOperationOptions,
): Promise<U[][]>;
/** Two-input form: `operation(a, b)` combines two streams (joins, cogroup, transformWith, ...). */
export function testOperation<T1 = Pair<any, any>, T2 = Pair<any, any>, U = unknown>(
  input1: readonly TestBatch<T1>[],
  input2: readonly TestBatch<T2>[],
  operation: (a: DStream<T1>, b: DStream<T2>) => DStream<U>,
  options?: TestOperationOptions,
): Promise<U[][]>;
export async function testOperation(...args: unknown[]): Promise<unknown[][]> {
  const inputs: (readonly TestBatch<unknown>[])[] = [];
  while (Array.isArray(args[0])) inputs.push(args.shift() as readonly TestBatch<unknown>[]);
  const operation = args.shift() as (...streams: DStream<unknown>[]) => DStream<unknown>;
  const options = (args.shift() ?? {}) as TestOperationOptions;
  if (inputs.length === 0 || typeof operation !== 'function') {
    throw new TypeError('testOperation(input, [input2,] operation, options?): give the input batches, then the operation function');
  }

  const batchInterval = options.batchInterval ?? 1000;
  const numBatches = options.numBatches ?? Math.max(...inputs.map((i) => i.length));
  const ssc = new StreamingContext({
    batchInterval,
    clock: 'manual',
    appName: 'testOperation',
    ...(options.workers === undefined ? {} : { workers: options.workers }),
  });
  const checkpointDir = await mkdtemp(join(tmpdir(), 'sluice-test-'));
  try {
    ssc.checkpoint(checkpointDir);
    const streams = inputs.map((batches) => ssc.queueStream(batches.map((b) => (Array.isArray(b) ? b.slice() : b))));
    const output: unknown[][] = [];
    operation(...streams).foreachRDD((batch) => {
      output.push(batch.collect());
    });
    await ssc.start();
    await advanceBatches(ssc, numBatches);
    await ssc.stop();
    await ssc.awaitTermination();
    return output;
  } finally {
    if (ssc.state === 'active') await ssc.stop();
    await rm(checkpointDir, { recursive: true, force: true });
  }
}

/**
 * Advances a started manual-clock context by `n` batch intervals, waiting for each batch to be
 * processed. Rejects with the context's error if a batch fails for good.
 */
export async function advanceBatches(ssc: StreamingContext, n: number): Promise<void> {
  const clock = ssc.clock;
  if (!(clock instanceof ManualClock)) throw new IllegalStateError("advanceBatches needs a context created with clock: 'manual'");
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`advanceBatches: n must be a non-negative integer, got ${n}`);
  if (ssc.failureCause !== undefined) throw ssc.failureCause;
  if (ssc.state !== 'active') {
    const hint = ssc.state === 'initialized' ? 'call (and await) ssc.start() first' : 'a stopped context runs no more batches';
    throw new IllegalStateError(`advanceBatches needs a running context, but it is ${ssc.state}: ${hint}`);
  }
  for (let i = 0; i < n; i++) {
    clock.advance(ssc.batchInterval);
    const time = Math.floor(clock.now() / ssc.batchInterval) * ssc.batchInterval;
    await ssc.whenBatchesDone(time);
    if (ssc.failureCause !== undefined) throw ssc.failureCause;
  }
}
