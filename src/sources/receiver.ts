/**
 * Custom receivers (Spark's Receiver API) and the input stream that runs them. A receiver pushes
 * records with `store()` from its own callbacks; each batch takes what was stored since the last.
 * A receiver that fails, or asks to `restart()`, is restarted with exponential backoff, and the
 * error is posted to the listener bus as `onReceiverError`.
 */
import { Batch } from '../batch/batch.js';
import type { StreamingContext } from '../context.js';
import { IllegalStateError, describe } from '../errors.js';
import type { InputCounters, ReceiverInfo } from '../scheduler/listener.js';
import type { Time } from '../time.js';
import { InputDStream } from '../dstream/internal.js';
import { RateController } from './flow/rate-controller.js';

/** Options of `ssc.receiverStream(receiver, options)`. */
export interface ReceiverStreamOptions {
  /** At most this many records per second enter batches (Spark's `spark.streaming.receiver.maxRate`); the rest wait. */
  receiverMaxRate?: number;
  /**
   * Records the stream may hold, stored and not yet processed (until the outputs of their batch
   * succeeded). Beyond it `store()` drops records, counts them (`droppedRecords` of the next batch)
   * and returns `false`. Default: no limit.
   */
  maxBufferRecords?: number;
  /**
   * Bytes the stream may hold, counting the sizes given to `store(records, bytes)`; beyond it
   * `store()` drops and counts as above. Default: no limit.
   */
  maxBufferBytes?: number;
  /** Delays between restarts of a failed receiver (default 100 ms doubling up to 5 s). */
  backoff?: RestartBackoff;
}

/** Backoff between restarts: doubles from `initialDelayMs` up to `maxDelayMs`. */
export interface RestartBackoff {
  initialDelayMs: number;
  maxDelayMs: number;
}

const defaultBackoff: RestartBackoff = { initialDelayMs: 100, maxDelayMs: 5_000 };

/**
 * Base class of custom sources. Implement `onStart` (set up connections and start pushing with
 * `store`) and `onStop` (release them). Neither may block: do the receiving in callbacks.
 *
 * @example
 * ```ts
 * class TickReceiver extends Receiver<number> {
 *   private timer?: NodeJS.Timeout;
 *   onStart() { let i = 0; this.timer = setInterval(() => this.store(i++), 10); }
 *   onStop() { clearInterval(this.timer); }
 * }
 * const ticks = ssc.receiverStream(new TickReceiver('ticks'));
 * ```
 */
export abstract class Receiver<T> {
  /** @internal */
  supervisor: ReceiverSupervisor<T> | undefined;

  constructor(readonly name: string = new.target.name) {}

  /** Starts receiving. Called on `ssc.start()` and after each restart. */
  abstract onStart(): void | Promise<void>;
  /** Stops receiving and releases resources. Called on stop and before each restart. */
  abstract onStop(): void | Promise<void>;

  /**
   * Hands one record, or many, to the engine; they go into the next batch (or a later one under
   * `receiverMaxRate`). `bytes` is their size, for a `maxBufferBytes` budget. Returns `false` when
   * records were dropped (and counted) because the stream's memory budget is full, or the
   * receiver is stopped: a receiver that can slow its source down checks {@link hasSpace} first
   * and waits for {@link whenSpace}.
   */
  store(records: T | readonly T[], bytes = 0): boolean {
    return this.requireSupervisor().store(records, bytes);
  }

  /** True when `records` records of `bytes` bytes fit the memory budget now (always, without a budget). */
  hasSpace(records = 1, bytes = 0): boolean {
    return this.requireSupervisor().hasSpace(records, bytes);
  }

  /**
   * Resolves once the stream holds less than half of its budget (at once when it does, or has no
   * budget): a receiver that paused its source resumes then.
   */
  whenSpace(): Promise<void> {
    return this.requireSupervisor().whenSpace();
  }

  /** Reports a non-fatal error: it is posted to listeners, and receiving goes on. */
  reportError(message: string, error?: unknown): void {
    this.requireSupervisor().reportError(message, error);
  }

  /** Stops and restarts the receiver after a backoff delay, e.g. after a lost connection. */
  restart(reason: string, error?: unknown): void {
    this.requireSupervisor().restart(reason, error);
  }

  /** True once the receiver has been stopped for good (check it in long-running callbacks). */
  isStopped(): boolean {
    return this.supervisor?.isStopped() ?? true;
  }

  private requireSupervisor(): ReceiverSupervisor<T> {
    if (!this.supervisor) throw new Error(`Receiver ${this.name} is not attached to a started StreamingContext`);
    return this.supervisor;
  }
}

/** Runs one receiver: buffers what it stores, restarts it with backoff, reports to the listener bus. */
export class ReceiverSupervisor<T> {
  private buffer: T[] = [];
  /** The size in bytes of each buffered record (as given to store), parallel to `buffer`. */
  private sizes: number[] = [];
  private queuedBytes = 0;
  /** Records cut into batches whose outputs have not succeeded yet, by batch time. */
  private readonly inFlight = new Map<Time, { records: number; bytes: number }>();
  private inFlightRecords = 0;
  private inFlightBytes = 0;
  private droppedSinceCut = 0;
  private droppedTotal = 0;
  private spaceWaiters: (() => void)[] = [];
  private readonly maxRecords: number;
  private readonly maxBytes: number;
  private stopped = true;
  private accepting = false;
  private restarting: NodeJS.Timeout | undefined;
  private nextDelay: number;
  private lastError: Pick<ReceiverInfo, 'lastError' | 'lastErrorMessage' | 'lastErrorTime'> = {};
  /**
   * The receiver's onStart/onStop calls, chained: an async onStart still running when a restart
   * or a stop comes must finish before onStop is called, or the stop would release nothing and
   * the late start would leave the receiver running.
   */
  private lifecycle: Promise<void> = Promise.resolve();

  constructor(
    private readonly receiver: Receiver<T>,
    private readonly ssc: StreamingContext,
    private readonly streamId: number,
    private readonly backoff: RestartBackoff = defaultBackoff,
    budget: { maxBufferRecords?: number; maxBufferBytes?: number } = {},
  ) {
    if (!(receiver instanceof Receiver)) {
      throw new TypeError(`receiverStream: expected an instance of a Receiver subclass, got ${describe(receiver)}`);
    }
    const { initialDelayMs, maxDelayMs } = backoff;
    if (!(Number.isFinite(initialDelayMs) && initialDelayMs > 0 && Number.isFinite(maxDelayMs) && maxDelayMs >= initialDelayMs)) {
      throw new RangeError(
        `Restart backoff of ${receiver.name} needs 0 < initialDelayMs <= maxDelayMs (finite milliseconds), got ${initialDelayMs} and ${maxDelayMs}`,
      );
    }
    // One supervisor per receiver: a second stream would steal the first one's store() calls.
    if (receiver.supervisor) {
      throw new IllegalStateError(`Receiver ${receiver.name} is already used by an input stream; create a new instance for each receiverStream()`);
    }
    for (const key of ['maxBufferRecords', 'maxBufferBytes'] as const) {
      const v = budget[key];
      if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new RangeError(`receiverStream: ${key} must be a positive integer, got ${String(v)}`);
    }
    this.maxRecords = budget.maxBufferRecords ?? Infinity;
    this.maxBytes = budget.maxBufferBytes ?? Infinity;
    this.nextDelay = initialDelayMs;
    receiver.supervisor = this;
  }

  start(): Promise<void> {
    this.stopped = false;
    this.accepting = true;
    return this.inLifecycle(() => this.startReceiver());
  }

  /** Runs `step` after every onStart/onStop call queued before it. */
  private inLifecycle(step: () => Promise<void>): Promise<void> {
    const done = this.lifecycle.then(step);
    this.lifecycle = done.catch(() => undefined);
    return done;
  }

  private async startReceiver(): Promise<void> {
    try {
      await this.receiver.onStart();
      this.ssc.listenerBus.post('onReceiverStarted', { receiverInfo: this.info(true) });
    } catch (error) {
      this.restart(`Receiver ${this.receiver.name} failed to start`, error);
    }
  }

  store(records: T | readonly T[], bytes = 0): boolean {
    if (!this.accepting) return false;
    if (!(Number.isFinite(bytes) && bytes >= 0)) throw new RangeError(`${this.receiver.name}: store() needs a size in bytes >= 0, got ${bytes}`);
    // Data is flowing again: the next failure starts over from the shortest delay.
    this.nextDelay = this.backoff.initialDelayMs;
    if (!Array.isArray(records)) return this.storeOne(records as T, bytes);
    const list = records as readonly T[];
    const each = list.length === 0 ? 0 : bytes / list.length;
    let all = true;
    for (const r of list) all = this.storeOne(r, each) && all;
    return all;
  }

  private storeOne(record: T, bytes: number): boolean {
    if (!this.hasSpace(1, bytes)) {
      this.droppedSinceCut++;
      this.droppedTotal++;
      return false;
    }
    this.buffer.push(record);
    this.sizes.push(bytes);
    this.queuedBytes += bytes;
    return true;
  }

  /** Records and bytes held: buffered, plus cut into batches not done yet. */
  get held(): { records: number; bytes: number } {
    return { records: this.buffer.length + this.inFlightRecords, bytes: this.queuedBytes + this.inFlightBytes };
  }

  /** Whether `records` more records of `bytes` bytes fit; anything fits when nothing is held. */
  hasSpace(records = 1, bytes = 0): boolean {
    const held = this.held;
    if (held.records === 0) return true;
    return held.records + records <= this.maxRecords && held.bytes + bytes <= this.maxBytes;
  }

  whenSpace(): Promise<void> {
    if (this.belowHalf()) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  private belowHalf(): boolean {
    const held = this.held;
    return held.records < this.maxRecords / 2 && held.bytes < this.maxBytes / 2;
  }

  /** Records dropped for lack of memory since the start. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** The records dropped since the previous call (one batch's worth). */
  takeDropped(): number {
    const n = this.droppedSinceCut;
    this.droppedSinceCut = 0;
    return n;
  }

  reportError(message: string, error?: unknown): void {
    this.lastError = { lastErrorMessage: message, lastError: error === undefined ? message : describe(error), lastErrorTime: Date.now() };
    this.ssc.listenerBus.post('onReceiverError', { receiverInfo: this.info(!this.stopped) });
  }

  restart(reason: string, error?: unknown): void {
    if (this.stopped || this.restarting) return;
    this.reportError(reason, error);
    const delay = this.nextDelay;
    this.nextDelay = Math.min(this.nextDelay * 2, this.backoff.maxDelayMs);
    this.restarting = setTimeout(() => {
      this.restarting = undefined;
      if (this.stopped) return;
      void this.inLifecycle(async () => {
        if (this.stopped) return; // stopReceiving() has queued its own onStop
        try {
          await this.receiver.onStop();
        } catch (e) {
          this.reportError(`Receiver ${this.receiver.name} failed to stop before restart`, e);
        }
        if (!this.stopped) await this.startReceiver();
      });
    }, delay);
    this.restarting.unref?.();
  }

  isStopped(): boolean {
    return this.stopped;
  }

  /** Takes everything stored since the last call. */
  drain(): T[] {
    return this.take(undefined, Infinity);
  }

  /**
   * Takes up to `max` of the records stored, oldest first, for the batch at `time`; they count
   * against the budget until {@link release}(time).
   */
  take(time: Time | undefined, max: number): T[] {
    let taken: T[];
    let bytes = 0;
    if (max >= this.buffer.length) {
      taken = this.buffer;
      for (const b of this.sizes) bytes += b;
      this.buffer = [];
      this.sizes = [];
      this.queuedBytes = 0;
    } else {
      taken = this.buffer.splice(0, max);
      for (const b of this.sizes.splice(0, max)) bytes += b;
      this.queuedBytes -= bytes;
    }
    if (time !== undefined && taken.length > 0) {
      const held = this.inFlight.get(time) ?? { records: 0, bytes: 0 };
      held.records += taken.length;
      held.bytes += bytes;
      this.inFlight.set(time, held);
      this.inFlightRecords += taken.length;
      this.inFlightBytes += bytes;
    } else this.wake();
    return taken;
  }

  /** Frees the records of the batch at `time` (its outputs succeeded) and wakes receivers waiting for space. */
  release(time: Time): void {
    const held = this.inFlight.get(time);
    if (!held) return;
    this.inFlight.delete(time);
    this.inFlightRecords -= held.records;
    this.inFlightBytes -= held.bytes;
    this.wake();
  }

  private wake(): void {
    if (this.spaceWaiters.length === 0 || !this.belowHalf()) return;
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Stops receiving new records; what is buffered stays for the next batch. */
  async stopReceiving(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.accepting = false;
    clearTimeout(this.restarting);
    this.restarting = undefined;
    await this.inLifecycle(async () => {
      try {
        await this.receiver.onStop();
      } catch (error) {
        this.reportError(`Receiver ${this.receiver.name} failed to stop`, error);
      }
      this.ssc.listenerBus.post('onReceiverStopped', { receiverInfo: this.info(false) });
    });
  }

  private info(active: boolean): ReceiverInfo {
    return { streamId: this.streamId, name: this.receiver.name, active, ...this.lastError };
  }
}

/** The input stream of a receiver: each batch is what the receiver stored since the previous one. */
export class ReceiverInputDStream<T> extends InputDStream<T> {
  readonly name: string;
  protected readonly supervisor: ReceiverSupervisor<T>;
  private readonly rateController: RateController;
  private readonly reportsBytes: boolean;

  constructor(ssc: StreamingContext, readonly receiver: Receiver<T>, options: ReceiverStreamOptions | RestartBackoff = {}) {
    super(ssc);
    // The backoff alone, as the second argument, is the older form of the options.
    const o: ReceiverStreamOptions = 'initialDelayMs' in options ? { backoff: options } : options;
    this.name = receiver.name;
    this.supervisor = new ReceiverSupervisor(receiver, ssc, this.id, o.backoff, o);
    this.rateController = new RateController(ssc, this.id, o.receiverMaxRate === undefined ? {} : { maxRate: o.receiverMaxRate });
    this.reportsBytes = o.maxBufferBytes !== undefined;
  }

  override start(): Promise<void> {
    return this.supervisor.start();
  }

  override stop(): Promise<void> {
    return this.supervisor.stopReceiving();
  }

  override hasPendingData(): boolean {
    return this.supervisor.pending > 0;
  }

  /** Records the receiver has stored that no batch has taken yet. */
  get pendingRecords(): number {
    return this.supervisor.pending;
  }

  /** Records dropped since the start because the memory budget was full. */
  get droppedRecords(): number {
    return this.supervisor.dropped;
  }

  protected async receive(time: Time): Promise<Batch<T>> {
    const records = this.supervisor.take(time, this.rateController.maxRecordsPerBatch());
    const rate = this.rateController.rate;
    this.reportMetadata(time, this.batchMetadata(), {
      droppedRecords: this.supervisor.takeDropped(),
      ...(this.reportsBytes ? { bufferedBytes: this.supervisor.held.bytes } : {}),
      ...(rate === undefined ? {} : { rateLimit: rate }),
      ...this.batchCounters(),
    });
    return Batch.of(records);
  }

  /** The batch's records are processed: their memory is free for more. */
  override commit(time: Time): void {
    this.supervisor.release(time);
  }

  /** Source-specific details of the batch being cut; override to add counters. */
  protected batchMetadata(): Record<string, unknown> {
    return {};
  }

  /** More counters of the batch being cut (e.g. malformed records); called after {@link batchMetadata}. */
  protected batchCounters(): InputCounters {
    return {};
  }
}
