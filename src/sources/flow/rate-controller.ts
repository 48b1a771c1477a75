/**
 * The rate limit of one input stream: the configured maximum and, with backpressure, the PID
 * estimate fed by every completed batch, whichever is lower. Until the first estimate the
 * stream is held to `initialRate`, so a first batch cannot swallow a whole backlog (a known
 * Spark defect: with backpressure on, its first batch is unbounded).
 */
import type { StreamingContext } from '../../context.js';
import type { Duration } from '../../time.js';
import { PidRateEstimator, type PidOptions } from './pid-rate-estimator.js';

/** The first batches' rate with backpressure and no `initialRate` or `maxRate`. */
export const DEFAULT_INITIAL_RATE = 10_000;

export interface RateOptions {
  /** Hard cap in records per second (receiverMaxRate, or maxRatePerPartition × partitions). */
  maxRate?: number;
  /** Adapt the rate to what the pipeline processes (Spark's `spark.streaming.backpressure.enabled`). */
  backpressure?: boolean;
  /**
   * Records per second until the first estimate, with backpressure. Default: `maxRate` when
   * set, else 10,000 records/s. The estimator needs two completed batches before it estimates.
   */
  initialRate?: number;
  /** Tuning of the PID estimator. */
  pid?: PidOptions;
}

export class RateController {
  private estimate: number | undefined;
  private readonly estimator: PidRateEstimator | undefined;
  readonly maxRate: number | undefined;
  readonly initialRate: number | undefined;

  constructor(
    ssc: StreamingContext,
    private readonly streamId: number,
    options: RateOptions,
    private readonly batchInterval: Duration = ssc.batchInterval,
  ) {
    this.maxRate = positiveOrUndefined(options.maxRate, 'maxRate');
    this.initialRate = positiveOrUndefined(options.initialRate, 'initialRate') ?? (options.backpressure ? (this.maxRate ?? DEFAULT_INITIAL_RATE) : undefined);
    if (!options.backpressure) return;
    this.estimator = new PidRateEstimator(batchInterval, options.pid);
    ssc.addStreamingListener({
      onBatchCompleted: ({ batchInfo }) => {
        const input = batchInfo.streamIdToInputInfo.get(this.streamId);
        if (!input || batchInfo.processingEndTime === undefined) return;
        const rate = this.estimator!.compute(
          batchInfo.processingEndTime,
          input.numRecords,
          batchInfo.processingDelay ?? 0,
          batchInfo.schedulingDelay ?? 0,
        );
        if (rate !== undefined) this.estimate = rate;
      },
    });
  }

  /** The rate in force (records/s), or `undefined` when nothing limits the stream. */
  get rate(): number | undefined {
    const adaptive = this.estimator ? (this.estimate ?? this.initialRate) : undefined;
    if (adaptive === undefined) return this.maxRate;
    return this.maxRate === undefined ? adaptive : Math.min(adaptive, this.maxRate);
  }

  /** The most records one batch may take at the rate in force, or `Infinity`. */
  maxRecordsPerBatch(): number {
    const rate = this.rate;
    // At least one record per batch, so a very low rate still makes progress.
    return rate === undefined ? Infinity : Math.max(1, Math.floor((rate * this.batchInterval) / 1000));
  }
}

function positiveOrUndefined(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number of records per second, got ${value}`);
  return value;
}
