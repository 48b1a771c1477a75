/**
 * Input streams: the roots of the graph. At each batch time the job generator asks every input
 * stream for its batch, which takes the data that arrived since the previous batch.
 */
import type { Batch } from '../batch/batch.js';
import type { Duration, Time } from '../time.js';
import type { InputCounters } from '../scheduler/listener.js';
import { DStream } from './internal.js';
import type { StreamingContext } from '../context.js';

export abstract class InputDStream<T> extends DStream<T> {
  private readonly metadata = new Map<Time, { metadata: Record<string, unknown>; counters: InputCounters }>();
  /** The batch time being cut right now, if any. */
  private cuttingTime: Time | undefined;
  private lastCutTime: Time = -Infinity;

  constructor(ssc: StreamingContext) {
    super(ssc);
    ssc.graph.addInputStream(this);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [];
  }

  get slideDuration(): Duration {
    return this.ssc.batchInterval;
  }

  /** Starts receiving or watching. Called by `ssc.start()`. */
  start(): Promise<void> | void {}

  /** Stops receiving. Called by `ssc.stop()`. */
  stop(): Promise<void> | void {}

  /** Stops taking in new data, keeping what was received for the next batch (graceful stop). */
  stopReceiving(): Promise<void> | void {
    return this.stop();
  }

  /** True when data was received that no batch has taken yet. */
  hasPendingData(): boolean {
    return false;
  }

  /**
   * Records source-specific details of the batch at `time` (offsets, files, drop counts), and
   * the counters every decoding source reports (malformed, dropped, rate limit).
   */
  protected reportMetadata(time: Time, metadata: Record<string, unknown>, counters: InputCounters = {}): void {
    this.metadata.set(time, { metadata, counters });
  }

  /** @internal The metadata reported for `time`, forgotten once read. */
  takeMetadata(time: Time): { metadata: Record<string, unknown>; counters: InputCounters } {
    const m = this.metadata.get(time) ?? { metadata: {}, counters: {} };
    this.metadata.delete(time);
    return m;
  }

  /**
   * Called once every output operation of the batch at `time` has succeeded, in batch order:
   * the moment a source commits offsets or acknowledges messages (at-least-once delivery). A
   * batch that fails for good is never committed, so its records are delivered again.
   */
  commit(time: Time): Promise<void> | void {
    void time;
  }

  /**
   * @internal Cuts the batch at `time` from the source: the only way data leaves a source.
   * The job generator calls it once per batch time, in order.
   */
  cutBatch(time: Time): Promise<Batch<T> | undefined> {
    this.cuttingTime = time;
    this.lastCutTime = Math.max(this.lastCutTime, time);
    try {
      return super.getOrCompute(time);
    } finally {
      this.cuttingTime = undefined;
    }
  }

  /**
   * A batch not cut yet is not there: a `slice` or window reaching ahead must not take a later
   * batch's data early.
   */
  override getOrCompute(time: Time): Promise<Batch<T> | undefined> {
    if (time > this.lastCutTime) return Promise.resolve(undefined);
    return super.getOrCompute(time);
  }

  protected compute(time: Time): Promise<Batch<T> | undefined> {
    // Sources cannot replay: a batch forgotten after it was cut (older than every remember
    // duration) is gone, and reading the source now would take the next batch's data.
    return time === this.cuttingTime ? this.receive(time) : Promise.resolve(undefined);
  }

  /** Takes the data that arrived for the batch at `time` (since the previous batch). */
  protected abstract receive(time: Time): Promise<Batch<T>>;
}
