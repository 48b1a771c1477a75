/**
 * StreamingContext: the entry point. Define input streams and the DStream graph on it, then
 * `start()` it; batches are generated every batch interval until `stop()`.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Batch, Pair } from './batch/batch.js';
import { IllegalStateError, describe } from './errors.js';
import { DStreamGraph } from './graph.js';
import { ManualClock, SystemClock, type Clock } from './scheduler/clock.js';
import { JobGenerator } from './scheduler/job-generator.js';
import { JobScheduler } from './scheduler/job-scheduler.js';
import { ListenerBus } from './scheduler/listener-bus.js';
import type { StreamingListener } from './scheduler/listener.js';
import { requirePositiveDuration, type Duration, type Time } from './time.js';
import { KernelEngine } from './kernels/engine.js';
import { describeOperators, type RuntimeStatus } from './runtime-status.js';
import { DStream, TransformedDStream, UnionDStream, type InputDStream } from './dstream/internal.js';
import { QueueInputDStream, type QueueItem, type QueueStreamOptions } from './sources/queue.js';
import { SocketInputDStream, type SocketStreamOptions } from './sources/socket.js';
import { FileInputDStream, type TextFileStreamOptions } from './sources/text-file.js';
import { ColumnarGeneratorInputDStream, GeneratorInputDStream, type ColumnarGenerator, type GeneratorStreamOptions } from './sources/generator.js';
import { ReceiverInputDStream, type Receiver, type ReceiverStreamOptions } from './sources/receiver.js';
import { MqttInputDStream, type MqttStreamOptions } from './sources/mqtt/mqtt-input.js';
import { ZeroMqInputDStream, type ZeroMqStreamOptions } from './sources/zeromq/zeromq-input.js';
import { NatsJetStreamInputDStream, type NatsStreamOptions } from './sources/nats/nats-input.js';
import { RedisStreamInputDStream, type RedisStreamOptions } from './sources/redis/redis-input.js';
import { KafkaInputDStream, type KafkaStreamOptions } from './sources/kafka/kafka-input.js';
import { StreamingUi, type UiOptions } from './ui/streaming-ui.js';

/** Options of a {@link StreamingContext}. */
export interface StreamingContextOptions {
  /** The interval at which data is cut into batches, e.g. `Seconds(1)`. */
  batchInterval: Duration;
  /** A name shown in logs and the UI. */
  appName?: string;
  /** `'system'` (default) for real time, `'manual'` for tests that advance time themselves. */
  clock?: 'system' | 'manual';
  /** How many times a batch's output operation is attempted before the context fails (default 4). */
  maxTaskFailures?: number;
  /**
   * Threads the WebAssembly kernels split a big batch over, the calling thread included
   * (default: one per core, `os.availableParallelism()`): `workers: 2` adds one worker thread.
   * Batches below ~128K rows run inline on the calling thread; 0 or 1 runs everything inline.
   */
  workers?: number;
  /**
   * The web UI, REST API and Prometheus metrics served while the context runs (docs/ui.md).
   * On by default, on 127.0.0.1:4040 (or the next free port), unless the environment variable
   * `SLUICE_UI` is `false`; `false` turns it off. A host other than loopback needs a `token`.
   */
  ui?: false | UiOptions;
}

/** The lifecycle of a context: defined, then running, then stopped for good. */
export type StreamingContextState = 'initialized' | 'active' | 'stopped';

/** Options of {@link StreamingContext.stop}. */
export interface StopOptions {
  /** Finish processing the data already received before stopping (default false). */
  graceful?: boolean;
}

/**
 * The entry point of a streaming job.
 *
 * @example
 * ```ts
 * const ssc = new StreamingContext({ batchInterval: Seconds(1), appName: 'NetworkWordCount' });
 * const lines = ssc.socketTextStream('127.0.0.1', 9999);
 * lines.flatMap((l) => l.split(' ')).map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b).print();
 * await ssc.start();
 * await ssc.awaitTermination();
 * ```
 */
export class StreamingContext {
  readonly batchInterval: Duration;
  readonly appName: string;
  /** The clock batches are timed by; a {@link ManualClock} when created with `clock: 'manual'`. */
  readonly clock: Clock;
  /** @internal */
  readonly graph = new DStreamGraph();
  /** @internal */
  readonly listenerBus = new ListenerBus();
  private readonly maxTaskFailures: number;
  private readonly workers: number | undefined;
  private engine: Promise<KernelEngine> | undefined;
  private engineLoaded: KernelEngine | undefined;
  private readonly stopHooks: (() => Promise<void> | void)[] = [];
  private currentState: StreamingContextState = 'initialized';
  private checkpointDir: string | undefined;
  private scheduler: JobScheduler | undefined;
  private generator: JobGenerator | undefined;
  private stopping: Promise<void> | undefined;
  private failure: unknown;
  private readonly terminated: Promise<void>;
  private resolveTerminated!: () => void;
  private startTimeMs: Time | undefined;
  private commits: Promise<void> = Promise.resolve();
  private readonly ui: StreamingUi | undefined;

  constructor(options: StreamingContextOptions) {
    this.batchInterval = requirePositiveDuration(options.batchInterval, 'batchInterval');
    this.appName = options.appName ?? 'sluice';
    this.clock = options.clock === 'manual' ? new ManualClock() : new SystemClock();
    this.maxTaskFailures = options.maxTaskFailures ?? 4;
    this.workers = options.workers;
    if (this.workers !== undefined && !(Number.isSafeInteger(this.workers) && this.workers >= 0)) {
      throw new RangeError(`workers must be a non-negative integer, got ${options.workers}`);
    }
    if (!Number.isSafeInteger(this.maxTaskFailures) || this.maxTaskFailures < 1) {
      throw new RangeError(`maxTaskFailures must be a positive integer, got ${options.maxTaskFailures}`);
    }
    this.terminated = new Promise((resolve) => (this.resolveTerminated = resolve));
    // Subscribed to the listener bus from here on, so that the UI misses no event.
    this.ui = StreamingUi.create(this, options.ui);
  }

  /**
   * The web UI's address (e.g. `http://127.0.0.1:4040`) while it is served: from `start()` until
   * `stop()` finishes; `undefined` before, after, and when the UI is off. It never includes the
   * token: add `?token=<token>` to open a UI that has one.
   */
  get uiUrl(): string | undefined {
    return this.ui?.url;
  }

  /** `'initialized'` until `start()`, `'active'` while running, `'stopped'` after `stop()` or a failure. */
  get state(): StreamingContextState {
    return this.currentState;
  }

  /** The directory set with {@link checkpoint}, if any. */
  get checkpointDirectory(): string | undefined {
    return this.checkpointDir;
  }

  /** When the context started (clock time), once started. */
  get startTime(): Time | undefined {
    return this.startTimeMs;
  }

  /**
   * Enables checkpointing into `directory` (created if missing). Stateful operations
   * (updateStateByKey, mapWithState, the incremental window reductions) require it.
   */
  checkpoint(directory: string): void {
    this.requireState('initialized', 'checkpoint()');
    this.checkpointDir = resolve(directory);
    mkdirSync(this.checkpointDir, { recursive: true });
  }

  /** Keeps every stream's batches for at least `duration`, e.g. to `slice` them later. */
  remember(duration: Duration): void {
    this.requireState('initialized', 'remember()');
    this.graph.remember(requirePositiveDuration(duration, 'remember duration'));
  }

  /** Registers a listener for batch, output-operation and receiver events. */
  addStreamingListener(listener: StreamingListener): void {
    this.listenerBus.add(listener);
  }

  removeStreamingListener(listener: StreamingListener): void {
    this.listenerBus.remove(listener);
  }

  // ---------------------------------------------------------------- sources

  /**
   * A stream fed from `queue`: each batch takes the next item (or, with `oneAtATime: false`,
   * all queued items). Push to the array at any time. For tests and demos.
   */
  queueStream<T>(queue: Array<QueueItem<T>>, options: QueueStreamOptions<T> = {}): DStream<T> {
    return new QueueInputDStream(this, queue, options);
  }

  /**
   * Lines of UTF-8 text read from a TCP server. The connection is retried with backoff; lines
   * longer than `maxLineBytes` or not valid UTF-8 are counted and dropped.
   */
  socketTextStream(host: string, port: number, options: SocketStreamOptions = {}): DStream<string> {
    return new SocketInputDStream(this, host, port, options);
  }

  /**
   * Lines of new files appearing in `directory`. Files present at start are ignored, each file is
   * read once, and names starting with `.` or `_` are skipped, so write files elsewhere (or under
   * a hidden name) and rename them into the directory to make them appear atomically.
   */
  textFileStream(directory: string, options: TextFileStreamOptions = {}): DStream<string> {
    return new FileInputDStream(this, directory, options);
  }

  /** Generated records, `ratePerSec` of them per second of batch time: `fn(index, time)` makes each. */
  generatorStream<T>(fn: (index: number, time: Time) => T, options: GeneratorStreamOptions): DStream<T> {
    return new GeneratorInputDStream(this, fn, options);
  }

  /**
   * Generated Arrow batches at `ratePerSec` rows per second of batch time: `make(first, count,
   * time)` returns the table of rows first..first + count − 1. A table with columns `key` and
   * `value` is a pair stream on the kernels, with no JS object per record.
   */
  columnarGeneratorStream<T = Pair<unknown, number>>(make: ColumnarGenerator, options: { ratePerSec: number }): DStream<T> {
    return new ColumnarGeneratorInputDStream<T>(this, make, options.ratePerSec);
  }

  /**
   * A stream fed by a custom {@link Receiver}, optionally rate-limited (`receiverMaxRate`) and
   * memory-bounded (`maxBufferRecords`, `maxBufferBytes`: beyond them `store()` drops and counts).
   * See docs/sources/receivers.md.
   */
  receiverStream<T>(receiver: Receiver<T>, options: ReceiverStreamOptions = {}): DStream<T> {
    return new ReceiverInputDStream(this, receiver, options);
  }

  /**
   * Records of a NATS JetStream stream, read by a durable pull consumer (created if missing) and
   * acknowledged once their batch's outputs succeeded (at-least-once). Records are decoded per
   * `format` (text by default).
   */
  natsStream<T = string>(options: NatsStreamOptions): DStream<T> {
    return new NatsJetStreamInputDStream<T>(this, options);
  }

  /**
   * Entries of a Redis stream, read as `consumer` of consumer group `group` (created if missing)
   * and acknowledged (XACK) once their batch's outputs succeeded (at-least-once); pending entries
   * of dead consumers are taken over with XAUTOCLAIM. Records are decoded per `format`.
   */
  redisStream<T = string>(options: RedisStreamOptions): DStream<T> {
    return new RedisStreamInputDStream<T>(this, options);
  }

  /**
   * Records of Kafka topics, read by a consumer of group `groupId` (Spark's direct approach):
   * each batch takes a contiguous offset range per partition, reported as `offsetRanges` in its
   * input metadata, and commits it once the batch's outputs succeeded (at-least-once). Records
   * are the decoded message values, per `format` (text by default). See docs/sources/kafka.md.
   */
  kafkaStream<T = string>(options: KafkaStreamOptions): DStream<T> {
    return new KafkaInputDStream<T>(this, options);
  }

  /**
   * Messages of MQTT topics (shared subscriptions `$share/group/filter` included). QoS 1 messages
   * are acknowledged once their batch's outputs succeeded (at-least-once; with a fixed `clientId`
   * the broker keeps them across restarts); QoS 0 is at-most-once. Records are decoded per
   * `format` (text by default). See docs/sources/mqtt.md.
   */
  mqttStream<T = string>(options: MqttStreamOptions): DStream<T> {
    return new MqttInputDStream<T>(this, options);
  }

  /**
   * Messages read from a ZeroMQ PULL socket (back-pressured: a slow job blocks the PUSH senders)
   * or SUB socket (topic prefixes; drops counted when memory is full). The payload is a message's
   * last frame. At-most-once: ZeroMQ cannot deliver again. See docs/sources/zeromq.md.
   */
  zeromqStream<T = string>(options: ZeroMqStreamOptions): DStream<T> {
    return new ZeroMqInputDStream<T>(this, options);
  }

  /** The union of several streams with the same slide duration. */
  union<T>(streams: readonly DStream<T>[]): DStream<T> {
    return new UnionDStream(streams);
  }

  /** Combines the batches of several streams at each time with `fn(batches, time)`. */
  transform<U>(streams: readonly DStream<unknown>[], fn: (batches: Batch<unknown>[], time: Time) => Batch<U>): DStream<U> {
    return new TransformedDStream<U>('transform', streams, (batches, time) => fn(batches.slice(), time));
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Validates the graph, starts the inputs and begins generating batches. Throws if there is
   * no output operation, or a stateful operation has no checkpoint directory.
   */
  async start(): Promise<void> {
    this.requireState('initialized', 'start()');
    const scheduler = new JobScheduler({
      clock: this.clock,
      bus: this.listenerBus,
      maxTaskFailures: this.maxTaskFailures,
      onBatchDone: (time) => {
        this.graph.clearMetadata(time);
        this.commitInputs(time);
      },
      onFatalError: (error) => void this.fail(error),
    });
    const generator = new JobGenerator(this.clock, this.batchInterval, this.graph, scheduler, (error) => void this.fail(error));
    generator.initialize(); // validates the graph before anything is started
    this.scheduler = scheduler;
    this.generator = generator;
    this.currentState = 'active';
    this.startTimeMs = this.clock.now();
    try {
      // Before the inputs, so that the UI sees their first events (receivers starting).
      await this.ui?.start();
      await Promise.all(this.graph.inputStreams.map((s: InputDStream<unknown>) => s.start()));
    } catch (error) {
      await this.fail(error);
      throw error;
    }
    // Started only now, so that no batch is cut from an input still starting (a file stream
    // would read the files that were there before start), and listeners hear of the start
    // before the first batch. A stop() that came meanwhile wins.
    if (this.stopping) return;
    this.listenerBus.post('onStreamingStarted', { time: this.startTimeMs });
    generator.start();
  }

  /**
   * Stops the context for good, and resolves once it is stopped.
   *
   * A graceful stop first stops the inputs receiving, then processes every batch already due
   * or queued, plus one more batch for data received but not yet in a batch. A non-graceful
   * stop finishes only the batch running now (JavaScript cannot interrupt it) and drops the
   * others with a `SluiceStopWarning`. Either way no batch starts afterwards.
   *
   * An output operation may call `stop()` but must not await it: the stop waits for that
   * output's batch to finish.
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.currentState === 'initialized' || !this.generator) {
      // Never started: there is nothing to finish (and a second stop() must not try to).
      this.currentState = 'stopped';
      this.resolveTerminated();
      this.stopping = Promise.resolve();
      return this.stopping;
    }
    this.stopping = this.shutdown(options.graceful ?? false);
    return this.stopping;
  }

  private async shutdown(graceful: boolean): Promise<void> {
    try {
      await this.stopProcessing(graceful);
    } finally {
      // After the last batch and the stop hooks, so that the UI shows the final state until then.
      await this.ui?.stop();
      // Whatever went wrong while stopping, the context is stopped: awaitTermination() must not hang.
      this.currentState = 'stopped';
      this.resolveTerminated();
    }
  }

  private async stopProcessing(graceful: boolean): Promise<void> {
    const generator = this.generator!;
    const scheduler = this.scheduler!;
    const inputs = this.graph.inputStreams;
    if (graceful) {
      await Promise.all(inputs.map((s) => this.stopInput(s, () => s.stopReceiving())));
      await generator.stopGracefully(this.graph.hasPendingInput());
      await scheduler.stop(true);
    } else {
      const skipped = await generator.stop();
      const dropped = [...(await scheduler.stop(false)), ...skipped];
      if (dropped.length > 0 && this.failure === undefined) {
        process.emitWarning(
          `StreamingContext "${this.appName}" stopped without processing ${dropped.length} pending batch(es) (${dropped.join(', ')} ms); use stop({ graceful: true }) to process them`,
          'SluiceStopWarning',
        );
      }
    }
    // The last batches' offsets are committed before the connections that commit them close.
    await this.commits;
    for (const hook of this.stopHooks) {
      try {
        await hook();
      } catch (error) {
        process.emitWarning(`A stop hook of "${this.appName}" failed: ${describe(error)}`, 'SluiceStopWarning');
      }
    }
    await Promise.all(inputs.map((s) => this.stopInput(s, () => s.stop())));
    await this.closeKernels();
  }

  /**
   * Commits the inputs for a batch whose outputs all succeeded. Commits run one after another,
   * in batch order, without holding up the next batch; a failed commit is the source's to report
   * (its records are delivered again: at-least-once), never the job's failure.
   */
  private commitInputs(time: Time): void {
    this.commits = this.commits.then(() =>
      this.graph.commitInputs(time).catch((error) => {
        process.emitWarning(`Committing the inputs of batch ${time} failed: ${describe(error)}`, 'SluiceCommitWarning');
      }),
    );
  }

  /** Frees the operators' kernel memory and stops the workers. */
  private async closeKernels(): Promise<void> {
    if (!this.engine) return;
    try {
      await (await this.engine).close();
    } catch (error) {
      process.emitWarning(`The kernel engine failed to close: ${describe(error)}`, 'SluiceStopWarning');
    }
  }

  /** Runs one input's stop step; a failure is reported but must not keep the others running. */
  private async stopInput(input: InputDStream<unknown>, step: () => Promise<void> | void): Promise<void> {
    try {
      await step();
    } catch (error) {
      process.emitWarning(`${input} failed to stop: ${describe(error)}`, 'SluiceStopWarning');
    }
  }

  /** Stops the context because of `error`; `awaitTermination()` then rejects with it. */
  private async fail(error: unknown): Promise<void> {
    this.failure ??= error;
    await this.stop();
  }

  /**
   * Resolves `true` when the context stops, or `false` if `timeoutMs` passes first. Rejects with
   * the error that stopped the context, if one did.
   */
  async awaitTermination(timeoutMs?: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout =
      timeoutMs === undefined ? undefined : new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const stopped = await (timeout ? Promise.race([this.terminated.then(() => true as const), timeout]) : this.terminated.then(() => true as const));
    clearTimeout(timer);
    if (stopped && this.failure !== undefined) throw this.failure;
    return stopped;
  }

  /** @internal Resolves once every batch up to `time` has been processed (for the testing API). */
  whenBatchesDone(time: Time): Promise<void> {
    if (!this.scheduler) throw new IllegalStateError('The context has not been started');
    return this.scheduler.whenDone(time);
  }

  /** @internal The kernel engine, loaded on first use and closed when the context stops. */
  kernelEngine(): Promise<KernelEngine> {
    this.engine ??= KernelEngine.create(this.workers === undefined ? {} : { workers: this.workers }).then((e) => (this.engineLoaded = e));
    return this.engine;
  }

  /**
   * @internal Runs `hook` when the context stops, after the last batch and before the inputs
   * and kernels close (sinks close their connections here). Hooks run in registration order.
   */
  addStopHook(hook: () => Promise<void> | void): void {
    this.stopHooks.push(hook);
  }

  /** The graph with per-operator records and state sizes, worker utilisation and checkpoint age. */
  runtimeStatus(): RuntimeStatus {
    const inputIds = new Set(this.graph.inputStreams.map((s) => s.id));
    const outputs = this.graph.outputStreams as unknown as DStream<unknown>[];
    return {
      operators: describeOperators(outputs, inputIds),
      workers: { threads: this.workers ?? availableParallelism(), utilization: this.engineLoaded?.workerUtilization },
      checkpoint: { directory: this.checkpointDir, lastCheckpointTime: undefined },
    };
  }

  /** @internal The error that stopped the context, if any. */
  get failureCause(): unknown {
    return this.failure;
  }

  private requireState(expected: StreamingContextState, what: string): void {
    if (this.currentState !== expected) {
      const hint =
        this.currentState === 'stopped' ? 'a stopped context cannot be restarted; create a new StreamingContext' : `it must be ${expected}`;
      throw new IllegalStateError(`Cannot call ${what} on a StreamingContext that is ${this.currentState}: ${hint}`);
    }
  }
}

