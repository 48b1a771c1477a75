/**
 * The contract of data-store sinks used with `stream.saveTo(sink)`: a sink is opened before its
 * first batch, written once per batch (again when a failed batch is retried) and closed when
 * the context stops.
 */
import type { Batch } from '../batch/batch.js';
import type { Time } from '../time.js';

export interface Sink<T> {
  /** Shown in the UI and in errors, e.g. `duckdb(sensors.duckdb:readings)`. */
  readonly name: string;
  /** Connects or creates what the sink writes to. Called once, before the first write. */
  open?(): Promise<void> | void;
  /**
   * Writes the batch of `time`. A failed write is retried with the same batch and time, so a
   * sink that must not duplicate rows makes writes idempotent per batch time.
   */
  write(batch: Batch<T>, time: Time): Promise<void> | void;
  /** Flushes and releases resources. Called once when the context stops, after the last write. */
  close?(): Promise<void> | void;
}
