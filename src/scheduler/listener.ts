/**
 * What the engine reports as it runs: the same events and batch information as Spark's
 * `StreamingListener`. The UI, metrics and checkpoints are built only on these.
 */
import type { Duration, Time } from '../time.js';

/** What one input stream contributed to a batch. */
export interface StreamInputInfo {
  readonly inputStreamId: number;
  readonly name: string;
  readonly numRecords: number;
  /** Source-specific details, e.g. offset ranges or the files read. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Records that could not be decoded (malformed or oversize) in this batch, if the source decodes. */
  readonly malformedRecords?: number;
  /** Of those, records written to the dead-letter sink. */
  readonly deadLetteredRecords?: number;
  /** Records received but dropped because the source's memory budget was full. */
  readonly droppedRecords?: number;
  /**
   * The rate limit this batch was cut under (records/s): the smaller of the configured maximum
   * and the backpressure estimate, if either applies.
   */
  readonly rateLimit?: number;
  /** Bytes received and not yet processed when the batch was cut (the source's memory in use). */
  readonly bufferedBytes?: number;
}

/** The counters an input stream reports with a batch; see {@link StreamInputInfo}. */
export type InputCounters = Partial<
  Pick<StreamInputInfo, 'malformedRecords' | 'deadLetteredRecords' | 'droppedRecords' | 'rateLimit' | 'bufferedBytes'>
>;

/** The status of one output operation of one batch. */
export interface OutputOperationInfo {
  readonly batchTime: Time;
  /** Index of the output operation, in the order they were defined. */
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly startTime?: Time;
  readonly endTime?: Time;
  /** Attempts made so far (1 when it succeeded first time). */
  readonly attempts: number;
  /** Set when the operation failed on its last attempt. */
  readonly failureReason?: string;
  /** Milliseconds it ran, once ended. */
  readonly duration?: Duration;
}

/** A batch's information, as Spark's `BatchInfo`. */
export interface BatchInfo {
  readonly batchTime: Time;
  readonly streamIdToInputInfo: ReadonlyMap<number, StreamInputInfo>;
  /**
   * When the batch's jobs were submitted: the batch time plus the time taken to cut its inputs.
   * A batch generated late because the event loop was busy is thus still counted from its time.
   */
  readonly submissionTime: Time;
  readonly processingStartTime?: Time;
  readonly processingEndTime?: Time;
  readonly outputOperationInfos: ReadonlyMap<number, OutputOperationInfo>;
  /** Records that entered this batch, summed over its input streams. */
  readonly numRecords: number;
  /** Time from submission until processing started. */
  readonly schedulingDelay?: Duration;
  /** Time from the start to the end of processing. */
  readonly processingDelay?: Duration;
  /** Scheduling delay plus processing delay. */
  readonly totalDelay?: Duration;
}

/** A receiver's status, as Spark's `ReceiverInfo`. */
export interface ReceiverInfo {
  readonly streamId: number;
  readonly name: string;
  readonly active: boolean;
  readonly lastErrorMessage?: string;
  readonly lastError?: string;
  readonly lastErrorTime?: Time;
}

/** Listens to a streaming context. Implement only the callbacks you need. */
export interface StreamingListener {
  onStreamingStarted?(event: { time: Time }): void;
  onBatchSubmitted?(event: { batchInfo: BatchInfo }): void;
  onBatchStarted?(event: { batchInfo: BatchInfo }): void;
  onBatchCompleted?(event: { batchInfo: BatchInfo }): void;
  onOutputOperationStarted?(event: { outputOperationInfo: OutputOperationInfo }): void;
  onOutputOperationCompleted?(event: { outputOperationInfo: OutputOperationInfo }): void;
  onReceiverStarted?(event: { receiverInfo: ReceiverInfo }): void;
  onReceiverError?(event: { receiverInfo: ReceiverInfo }): void;
  onReceiverStopped?(event: { receiverInfo: ReceiverInfo }): void;
}

export type StreamingEventName = keyof StreamingListener;
