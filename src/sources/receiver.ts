/**
 * Custom receivers (Spark's Receiver API) and the input stream that runs them. A receiver pushes
 * records with `store()` from its own callbacks; each batch takes what was stored since the last.
 * A receiver that fails, or asks to `restart()`, is restarted with exponential backoff, and the
 * error is posted to the listener bus as `onReceiverError`.
 */
import { Batch } from '../batch/batch.js';
import type { StreamingContext } from '../context.js';
import { IllegalStateError, describe } from '../errors.js';
import type { ReceiverInfo } from '../scheduler/listener.js';
import type { Time } from '../time.js';
import { InputDStream } from '../dstream/internal.js';

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

  /** Hands one record, or many, to the engine; they go into the next batch. */
  store(records: T | readonly T[]): void {
    this.requireSupervisor().store(records);
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

  store(records: T | readonly T[]): void {
    if (!this.accepting) return;
    // Data is flowing again: the next failure starts over from the shortest delay.
    this.nextDelay = this.backoff.initialDelayMs;
    if (Array.isArray(records)) for (const r of records) this.buffer.push(r);
    else this.buffer.push(records as T);
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
    const taken = this.buffer;
    this.buffer = [];
    return taken;
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

  constructor(ssc: StreamingContext, readonly receiver: Receiver<T>, backoff?: RestartBackoff) {
    super(ssc);
    this.name = receiver.name;
    this.supervisor = new ReceiverSupervisor(receiver, ssc, this.id, backoff);
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

  protected async receive(time: Time): Promise<Batch<T>> {
    const records = this.supervisor.drain();
    this.reportMetadata(time, this.batchMetadata());
    return Batch.of(records);
  }

  /** Source-specific details of the batch being cut; override to add counters. */
  protected batchMetadata(): Record<string, unknown> {
    return {};
  }
}
