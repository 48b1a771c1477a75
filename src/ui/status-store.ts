/**
 * The UI's memory of a running context, built only from listener-bus events (Spark's
 * `StreamingJobProgressListener`): queued and running batches, the last `retainedBatches`
 * completed ones in a ring, running totals, and each input stream's receiver status and
 * counters. Everything the REST API, the metrics and the page show is computed from here.
 */
import type { BatchInfo, OutputOperationInfo, ReceiverInfo, StreamInputInfo, StreamingListener } from '../scheduler/listener.js';
import type { Duration, Time } from '../time.js';
import { Ring } from './ring.js';

/** Spark's batch status names, as the REST API reports them. */
export type BatchStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED';

/** One batch as the UI knows it. */
export interface BatchUiData {
  readonly batchTime: Time;
  status: BatchStatus;
  /** The latest `BatchInfo` posted for the batch (the completed one once it completed). */
  info: BatchInfo;
  /** Its output operations so far, by id; the completed batch's own map once it completed. */
  outputOps: ReadonlyMap<number, OutputOperationInfo>;
  /** How many output operations the batch runs (known from the graph before they start). */
  expectedOutputOps: number;
}

/** One input stream as the UI knows it: every input stream is a row, with or without a receiver. */
export interface StreamUiData {
  readonly streamId: number;
  name: string;
  /** The latest receiver event, for streams run by a receiver. */
  receiver: ReceiverInfo | undefined;
  /** Totals since start, summed over every batch cut from the stream. */
  numRecords: number;
  malformedRecords: number;
  deadLetteredRecords: number;
  droppedRecords: number;
  /** From the latest batch that reported them. */
  rateLimit: number | undefined;
  bufferedBytes: number | undefined;
  /** The latest batch's records and time. */
  lastBatchRecords: number | undefined;
  lastBatchTime: Time | undefined;
}

/** What the store needs to know about the context beyond its events. */
export interface StatusStoreOptions {
  readonly batchDuration: Duration;
  readonly retainedBatches: number;
  /** The context's input streams (ids and names), so that streams with no batch yet have a row. */
  readonly inputStreams: () => readonly { readonly id: number; readonly name: string }[];
  /** True while the context runs: a stream without a receiver is active exactly then. */
  readonly isRunning: () => boolean;
  /** The number of output operations of the batch at `time` (default: unknown until they start). */
  readonly expectedOutputOps?: (time: Time) => number;
}

/**
 * A listener that keeps what the UI shows. Memory is bounded: queued and running batches (as
 * many as the scheduler holds), `retainedBatches` completed ones, and a few counters per stream.
 */
export class StreamingStatusStore implements StreamingListener {
  readonly batchDuration: Duration;
  readonly retainedBatches: number;
  private started: Time | undefined;
  private readonly waiting = new Map<Time, BatchUiData>();
  private readonly running = new Map<Time, BatchUiData>();
  private readonly completed: Ring<BatchUiData>;
  private readonly streamData = new Map<number, StreamUiData>();
  private totalCompletedBatches = 0;
  private totalFailedBatches = 0;
  private totalReceivedRecords = 0;
  private totalProcessedRecords = 0;

  constructor(private readonly options: StatusStoreOptions) {
    this.batchDuration = options.batchDuration;
    this.retainedBatches = options.retainedBatches;
    this.completed = new Ring(options.retainedBatches);
  }

  // ---------------------------------------------------------------- events

  onStreamingStarted(event: { time: Time }): void {
    this.started = event.time;
  }

  onBatchSubmitted({ batchInfo }: { batchInfo: BatchInfo }): void {
    const time = batchInfo.batchTime;
    this.waiting.set(time, this.newBatch(batchInfo));
    // The records left their sources when the batch was cut: count them per stream now.
    for (const input of batchInfo.streamIdToInputInfo.values()) this.countInput(time, input);
  }

  onBatchStarted({ batchInfo }: { batchInfo: BatchInfo }): void {
    const time = batchInfo.batchTime;
    const batch = this.waiting.get(time) ?? this.newBatch(batchInfo);
    this.waiting.delete(time);
    batch.status = 'PROCESSING';
    batch.info = batchInfo;
    this.running.set(time, batch);
    this.totalReceivedRecords += batchInfo.numRecords; // as Spark: received = batches started
  }

  onOutputOperationStarted({ outputOperationInfo: op }: { outputOperationInfo: OutputOperationInfo }): void {
    this.recordOutputOp(op);
  }

  onOutputOperationCompleted({ outputOperationInfo: op }: { outputOperationInfo: OutputOperationInfo }): void {
    this.recordOutputOp(op);
  }

  onBatchCompleted({ batchInfo }: { batchInfo: BatchInfo }): void {
    const time = batchInfo.batchTime;
    const batch = this.running.get(time) ?? this.waiting.get(time) ?? this.newBatch(batchInfo);
    this.running.delete(time);
    this.waiting.delete(time);
    batch.status = 'COMPLETED';
    batch.info = batchInfo;
    batch.outputOps = batchInfo.outputOperationInfos;
    batch.expectedOutputOps = batchInfo.outputOperationInfos.size;
    this.completed.push(batch);
    this.totalCompletedBatches++;
    this.totalProcessedRecords += batchInfo.numRecords;
    if ([...batchInfo.outputOperationInfos.values()].some((op) => op.failureReason !== undefined)) this.totalFailedBatches++;
  }

  onReceiverStarted({ receiverInfo }: { receiverInfo: ReceiverInfo }): void {
    this.recordReceiver(receiverInfo);
  }

  onReceiverError({ receiverInfo }: { receiverInfo: ReceiverInfo }): void {
    this.recordReceiver(receiverInfo);
  }

  onReceiverStopped({ receiverInfo }: { receiverInfo: ReceiverInfo }): void {
    this.recordReceiver(receiverInfo);
  }

  private newBatch(info: BatchInfo): BatchUiData {
    return { batchTime: info.batchTime, status: 'QUEUED', info, outputOps: new Map(), expectedOutputOps: this.options.expectedOutputOps?.(info.batchTime) ?? 0 };
  }

  private recordOutputOp(op: OutputOperationInfo): void {
    const batch = this.running.get(op.batchTime) ?? this.waiting.get(op.batchTime);
    if (!batch) return; // a batch the store never heard of (or already completed): nothing to update
    const ops = new Map(batch.outputOps);
    ops.set(op.id, op);
    batch.outputOps = ops;
  }

  private recordReceiver(info: ReceiverInfo): void {
    const stream = this.stream(info.streamId, info.name);
    stream.receiver = info;
  }

  private countInput(time: Time, input: StreamInputInfo): void {
    const stream = this.stream(input.inputStreamId, input.name);
    stream.numRecords += input.numRecords;
    stream.malformedRecords += input.malformedRecords ?? 0;
    stream.deadLetteredRecords += input.deadLetteredRecords ?? 0;
    stream.droppedRecords += input.droppedRecords ?? 0;
    if (input.rateLimit !== undefined) stream.rateLimit = input.rateLimit;
    if (input.bufferedBytes !== undefined) stream.bufferedBytes = input.bufferedBytes;
    if (stream.lastBatchTime === undefined || time >= stream.lastBatchTime) {
      stream.lastBatchTime = time;
      stream.lastBatchRecords = input.numRecords;
    }
  }

  private stream(id: number, name: string): StreamUiData {
    let s = this.streamData.get(id);
    if (!s) {
      s = {
        streamId: id,
        name,
        receiver: undefined,
        numRecords: 0,
        malformedRecords: 0,
        deadLetteredRecords: 0,
        droppedRecords: 0,
        rateLimit: undefined,
        bufferedBytes: undefined,
        lastBatchRecords: undefined,
        lastBatchTime: undefined,
      };
      this.streamData.set(id, s);
    }
    return s;
  }

  // ---------------------------------------------------------------- queries

  /** When the context started (its clock), once `onStreamingStarted` was posted. */
  get startTime(): Time | undefined {
    return this.started;
  }

  get numTotalCompletedBatches(): number {
    return this.totalCompletedBatches;
  }

  /** Completed batches with a failed output operation (the context stops after one). */
  get numTotalFailedBatches(): number {
    return this.totalFailedBatches;
  }

  /** Records of every batch that started processing (Spark's `numTotalReceivedRecords`). */
  get numTotalReceivedRecords(): number {
    return this.totalReceivedRecords;
  }

  /** Records of every batch that completed (Spark's `numTotalProcessedRecords`). */
  get numTotalProcessedRecords(): number {
    return this.totalProcessedRecords;
  }

  /** Batches submitted and not started yet, oldest first. */
  waitingBatches(): BatchUiData[] {
    return [...this.waiting.values()].sort(byTime);
  }

  /** Batches processing now, oldest first. */
  runningBatches(): BatchUiData[] {
    return [...this.running.values()].sort(byTime);
  }

  /** The last `retainedBatches` completed batches, oldest first. */
  completedBatches(): BatchUiData[] {
    return this.completed.toArray();
  }

  get numRetainedCompletedBatches(): number {
    return this.completed.size;
  }

  /** Queued plus processing batches. */
  get numActiveBatches(): number {
    return this.waiting.size + this.running.size;
  }

  /** Queued, processing and retained completed batches, oldest first (Spark's `retainedBatches`). */
  retainedBatchList(): BatchUiData[] {
    return [...this.waiting.values(), ...this.running.values(), ...this.completed.toArray()].sort(byTime);
  }

  lastCompletedBatch(): BatchUiData | undefined {
    return this.completed.last();
  }

  /** The batch at `time`, if it is active or still retained. */
  batch(time: Time): BatchUiData | undefined {
    return this.waiting.get(time) ?? this.running.get(time) ?? this.completed.findLast((b) => b.batchTime === time);
  }

  /** Every input stream, by id, with those that only posted events (if any) after them. */
  streams(): StreamUiData[] {
    for (const s of this.options.inputStreams()) this.stream(s.id, s.name);
    return [...this.streamData.values()].sort((a, b) => a.streamId - b.streamId);
  }

  /** A stream is active while its receiver says so; a stream without a receiver, while the context runs. */
  isActive(stream: StreamUiData): boolean {
    return stream.receiver ? stream.receiver.active : this.options.isRunning();
  }

  /** True while the context runs. */
  isRunning(): boolean {
    return this.options.isRunning();
  }
}

function byTime(a: BatchUiData, b: BatchUiData): number {
  return a.batchTime - b.batchTime;
}
