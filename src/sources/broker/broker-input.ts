/**
 * The input stream every message-broker source is built on (Kafka, NATS JetStream, Redis
 * Streams, MQTT, ZeroMQ). A source only connects, hands received messages to {@link offer} and
 * acknowledges; this class does the rest the same way for all of them:
 *
 * - each batch takes the messages received since the last, up to the rate limit in force
 *   (a maximum rate and, with backpressure, the PID estimate; at most `perPartition` from one
 *   partition), and decodes them into columns at once;
 * - malformed records are counted, dead-lettered or fail the stream, per the policy;
 * - messages are acknowledged only once every output of their batch succeeded
 *   (at-least-once), and their memory is held until then: received-but-unprocessed data never
 *   exceeds `maxBufferBytes`;
 * - errors and connection changes go to the listener bus as receiver events.
 */
import type { Batch } from '../../batch/batch.js';
import type { StreamingContext } from '../../context.js';
import { InputDStream } from '../../dstream/internal.js';
import { describe } from '../../errors.js';
import type { ReceiverInfo } from '../../scheduler/listener.js';
import type { Time } from '../../time.js';
import { createDecoder, type DecodeOptions, type Decoder, type MalformedPolicy } from '../decode/decoder.js';
import type { DeadLetterSink } from '../decode/dead-letter.js';
import { IngestBuffer, type ReceivedMessage } from '../flow/ingest-buffer.js';
import { RateController } from '../flow/rate-controller.js';
import type { PidOptions } from '../flow/pid-rate-estimator.js';

/** The default memory budget of a source: 64 MiB of received-but-unprocessed payloads. */
export const DEFAULT_MAX_BUFFER_BYTES = 64 * 1024 * 1024;

/** Options every broker source takes: decoding, memory budget and backpressure. */
export interface SourceOptions extends DecodeOptions {
  /** A name for the UI and errors (default: the source kind and its address). */
  name?: string;
  /**
   * Bytes of received payloads the source may hold until their batch's outputs succeed
   * (default 64 MiB). When full, pull sources stop pulling and push sources apply flow control
   * or drop and count.
   */
  maxBufferBytes?: number;
  /** Adapt the ingestion rate to what the pipeline processes (PID estimator, as Spark). */
  backpressure?: boolean;
  /** With backpressure, the rate (records/s) until the first estimate; caps the first batches. */
  initialRate?: number;
  /** Tuning of the backpressure estimator (Spark's defaults otherwise). */
  pid?: PidOptions;
}

/** Options of push sources (MQTT, ZeroMQ): they cannot be asked to slow down, only limited. */
export interface PushSourceOptions extends SourceOptions {
  /** At most this many records per second enter batches (Spark's `spark.streaming.receiver.maxRate`). */
  receiverMaxRate?: number;
}

/** Options of pull sources (Kafka, NATS JetStream, Redis Streams). */
export interface PullSourceOptions extends SourceOptions {
  /** At most this many records per second from each partition (Spark's `maxRatePerPartition`). */
  maxRatePerPartition?: number;
}

export abstract class BrokerInputDStream<T, M extends ReceivedMessage> extends InputDStream<T> {
  readonly name: string;
  protected readonly buffer: IngestBuffer<M>;
  protected readonly rateController: RateController;
  private readonly decoder: Decoder<T>;
  private readonly policy: MalformedPolicy;
  private readonly deadLetter: DeadLetterSink | undefined;
  private droppedSinceCut = 0;
  /** Running average payload size, to size pulls to the free memory (1 KiB until one is seen). */
  private averageSize = 1024;
  private receiving = false;
  private lastError: Pick<ReceiverInfo, 'lastError' | 'lastErrorMessage' | 'lastErrorTime'> = {};
  private totals = { malformed: 0, deadLettered: 0, dropped: 0 };
  /** Ends the waits of {@link untilSpace} and {@link pauseFor} under way (see {@link wakeLoop}). */
  private readonly wakers = new Set<() => void>();

  protected constructor(
    ssc: StreamingContext,
    defaultName: string,
    options: SourceOptions,
    /** Records per second the whole source may take (e.g. receiverMaxRate), if limited. */
    maxRate?: number,
    /** Records per second from one partition, if limited. */
    private readonly maxRatePerPartition?: number,
  ) {
    super(ssc);
    this.name = options.name ?? defaultName;
    this.decoder = createDecoder<T>(options);
    this.deadLetter = options.deadLetter;
    // createDecoder has validated the policy (e.g. 'dead-letter' without a sink is refused).
    this.policy = options.onMalformed ?? (options.deadLetter ? 'dead-letter' : 'skip');
    if (maxRatePerPartition !== undefined && !(Number.isFinite(maxRatePerPartition) && maxRatePerPartition > 0)) {
      throw new RangeError(`${this.name}: maxRatePerPartition must be a positive number of records per second, got ${maxRatePerPartition}`);
    }
    this.buffer = new IngestBuffer<M>(options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES);
    this.rateController = new RateController(ssc, this.id, {
      ...(maxRate === undefined ? {} : { maxRate }),
      ...(options.backpressure === undefined ? {} : { backpressure: options.backpressure }),
      ...(options.initialRate === undefined ? {} : { initialRate: options.initialRate }),
      ...(options.pid === undefined ? {} : { pid: options.pid }),
    });
  }

  // ------------------------------------------------------------ what a source implements

  /** Connects and starts receiving, handing messages to {@link offer}. Resolves once connected. */
  protected abstract connect(): Promise<void>;
  /** Stops taking in new messages but keeps the connection, for the last batches' acks. */
  protected abstract pause(): Promise<void> | void;
  /** Closes the connection. */
  protected abstract disconnect(): Promise<void> | void;
  /** Acknowledges (commits) the messages of a batch whose outputs all succeeded. */
  protected abstract acknowledge(messages: readonly M[], time: Time): Promise<void>;

  /** Source-specific details of a batch, e.g. its offset ranges. */
  protected describeBatch(messages: readonly M[]): Record<string, unknown> {
    void messages;
    return {};
  }

  /** Partitions the source reads now (for `maxRatePerPartition`); 1 unless the source has partitions. */
  protected partitionCount(): number {
    return 1;
  }

  // ------------------------------------------------------------ what a source calls

  /**
   * Hands a received message to the engine. `false` when the memory budget is full: a pull
   * source waits for room ({@link offerWhenSpace}, {@link untilSpace}) before pulling more; a
   * push source applies its protocol's flow control, or drops the message and calls
   * {@link countDropped}.
   */
  protected offer(message: M): boolean {
    return this.buffer.offer(message);
  }

  /** Counts messages dropped for lack of memory (reported with the next batch, never silent). */
  protected countDropped(n = 1): void {
    this.droppedSinceCut += n;
    this.totals.dropped += n;
  }

  // A pull source reads in a loop of its own (fetch, read, receive...) that waits when the memory
  // budget is full or between retries. These waits end early on wakeLoop(), which the source
  // calls when the loop must look again at once: it is stopping, or it has reconnected.

  /**
   * Resolves once the buffer has room again (below half its budget: {@link IngestBuffer.whenSpace}),
   * or sooner on {@link wakeLoop}. The caller checks again why it waited.
   */
  protected untilSpace(): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.wakers.delete(wake);
        resolve();
      };
      this.wakers.add(wake);
      void this.buffer.whenSpace().then(wake);
    });
  }

  /** Sleeps `ms` (a retry's backoff, or for memory to drain), or less on {@link wakeLoop}. */
  protected pauseFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  /** The wait before a pull loop's next try after `failures` failures in a row: 100 ms doubling to 3 s. */
  protected retryDelay(failures: number): number {
    return Math.min(100 * 2 ** Math.min(failures - 1, 5), 3000);
  }

  /** Counts a received payload into the running average size that {@link messagesThatFit} uses. */
  protected noteMessageSize(bytes: number): void {
    this.averageSize = this.averageSize * 0.9 + bytes * 0.1;
  }

  /**
   * How many messages the next pull may ask for: what the free memory holds at the average size
   * seen (1 KiB assumed before any), at most `cap`, at least one.
   */
  protected messagesThatFit(cap: number): number {
    const free = Math.max(0, this.buffer.maxBytes - this.buffer.bytes);
    return Math.max(1, Math.min(cap, Math.floor(free / Math.max(1, this.averageSize))));
  }

  /** Ends every wait of {@link untilSpace} and {@link pauseFor} under way: on a stop or a reconnection. */
  protected wakeLoop(): void {
    for (const wake of [...this.wakers]) wake();
  }

  /**
   * Offers `message` as {@link offer} does, waiting while the memory budget refuses it: for the
   * buffer to drop below half its budget, and below that (a message bigger than the room left)
   * `retryMs` at a time for more to drain. Resolves true once it is offered; false, without
   * offering it, when `receiving()` turned false meanwhile: the source then hands the message
   * back, or leaves it to be delivered again. (A source that takes many messages tries
   * {@link offer} first: `offer(m) || (await offerWhenSpace(m, ...))` costs no await while there is room.)
   */
  protected async offerWhenSpace(message: M, receiving: () => boolean, retryMs = 20): Promise<boolean> {
    while (!this.offer(message)) {
      if (this.buffer.bytes >= this.buffer.maxBytes / 2) await this.untilSpace();
      else await this.pauseFor(retryMs);
      if (!receiving()) return false;
    }
    return true;
  }

  /** True while the source should take in messages (false after a stop began). */
  protected get isReceiving(): boolean {
    return this.receiving;
  }

  /** Reports an error to the listener bus (onReceiverError); receiving goes on. */
  protected reportError(message: string, error?: unknown): void {
    this.lastError = { lastErrorMessage: message, lastError: error === undefined ? message : describe(error), lastErrorTime: Date.now() };
    this.ssc.listenerBus.post('onReceiverError', { receiverInfo: this.info(this.receiving) });
  }

  /** Reports that the source is connected and receiving (again). */
  protected reportConnected(): void {
    this.ssc.listenerBus.post('onReceiverStarted', { receiverInfo: this.info(true) });
  }

  // ------------------------------------------------------------ the engine's side

  override async start(): Promise<void> {
    this.receiving = true;
    await this.connect();
    this.reportConnected();
  }

  override async stopReceiving(): Promise<void> {
    if (!this.receiving) return;
    this.receiving = false;
    await this.pause();
  }

  override async stop(): Promise<void> {
    this.receiving = false;
    try {
      await this.disconnect();
    } finally {
      await this.deadLetter?.close?.();
      this.ssc.listenerBus.post('onReceiverStopped', { receiverInfo: this.info(false) });
    }
  }

  override hasPendingData(): boolean {
    return this.buffer.length > 0;
  }

  /** Malformed, dead-lettered and dropped records since the start. */
  get counters(): Readonly<{ malformed: number; deadLettered: number; dropped: number }> {
    return { ...this.totals };
  }

  protected async receive(time: Time): Promise<Batch<T>> {
    const perPartition =
      this.maxRatePerPartition === undefined ? Infinity : Math.max(1, Math.floor((this.maxRatePerPartition * this.ssc.batchInterval) / 1000));
    const partitionCap = perPartition === Infinity ? Infinity : perPartition * Math.max(1, this.partitionCount());
    const messages = this.buffer.take(time, Math.min(this.rateController.maxRecordsPerBatch(), partitionCap), perPartition);
    const decoded = this.decoder.decode(messages.map((m) => m.payload));
    let deadLettered = 0;
    if (decoded.malformed.length > 0) {
      this.totals.malformed += decoded.malformed.length;
      if (this.policy === 'dead-letter' && this.deadLetter) {
        try {
          await this.deadLetter.write(decoded.malformed.map((m) => ({ source: this.name, time, reason: m.reason, raw: m.raw })));
          deadLettered = decoded.malformed.length;
          this.totals.deadLettered += deadLettered;
        } catch (error) {
          this.reportError(`${this.name}: writing ${decoded.malformed.length} malformed record(s) to the dead-letter sink ${this.deadLetter.name} failed; they are counted as malformed only`, error);
        }
      }
    }
    const dropped = this.droppedSinceCut;
    this.droppedSinceCut = 0;
    // The rate in force: the controller's (maximum, backpressure) or the per-partition cap's.
    const partitionRate = this.maxRatePerPartition === undefined ? undefined : this.maxRatePerPartition * Math.max(1, this.partitionCount());
    const rate = minDefined(this.rateController.rate, partitionRate);
    this.reportMetadata(time, this.describeBatch(messages), {
      malformedRecords: decoded.malformed.length,
      deadLetteredRecords: deadLettered,
      droppedRecords: dropped,
      bufferedBytes: this.buffer.bytes,
      ...(rate === undefined ? {} : { rateLimit: rate }),
    });
    return decoded.batch;
  }

  override async commit(time: Time): Promise<void> {
    const messages = this.buffer.messagesOf(time);
    try {
      if (messages.length > 0) await this.acknowledge(messages, time);
    } catch (error) {
      // Not acknowledged: the broker delivers them again (at-least-once). The memory is freed
      // either way, or a broker that refuses acks would wedge the source.
      this.reportError(`${this.name}: acknowledging the ${messages.length} record(s) of batch ${time} failed; the broker will deliver them again`, error);
    } finally {
      this.buffer.release(time);
    }
  }

  private info(active: boolean): ReceiverInfo {
    return { streamId: this.id, name: this.name, active, ...this.lastError };
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

// ------------------------------------------------------------ helpers of the sources

/** `value`, or `fallback` when it is not given; a RangeError naming `source` and `name` unless it is a positive integer. */
export function positiveInteger(value: number | undefined, fallback: number, name: string, source: string): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`${source}: ${name} must be a positive integer, got ${value}`);
  return value;
}

/** `p`, or a rejection once `ms` passed first. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
