/**
 * The web UI of one StreamingContext: its status store (subscribed to the listener bus from the
 * context's construction, so that it sees every event), its HTTP server (started by
 * `ssc.start()` before the inputs, closed by `ssc.stop()` after the last batch) and its event
 * stream. The context only creates it, starts it and stops it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamingContext } from '../context.js';
import type { DStream } from '../dstream/internal.js';
import type { BatchInfo, OutputOperationInfo, ReceiverInfo, StreamingListener } from '../scheduler/listener.js';
import type { Time } from '../time.js';
import { snapshot, update, type UpdateType } from './live.js';
import { renderMetrics } from './metrics.js';
import { resolveUiOptions, type ResolvedUiOptions, type UiOptions } from './options.js';
import { handleRest, type RestResult, type UiSource } from './rest.js';
import { UiServer } from './server.js';
import { EventStreamHub, type EventStreamOptions } from './sse.js';
import { StreamingStatusStore } from './status-store.js';

/** The UI of one context; `ssc.start()` starts it and `ssc.stop()` stops it. */
export class StreamingUi {
  readonly store: StreamingStatusStore;
  private readonly source: UiSource;
  private readonly hub: EventStreamHub;
  private server: UiServer | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;

  /** The UI for `ssc` as `option` asks (the default honours `SLUICE_UI`), or `undefined` when off. */
  static create(ssc: StreamingContext, option: false | UiOptions | undefined): StreamingUi | undefined {
    const resolved = resolveUiOptions(option);
    return resolved === undefined ? undefined : new StreamingUi(ssc, resolved);
  }

  constructor(
    private readonly ssc: StreamingContext,
    readonly options: ResolvedUiOptions,
    events: EventStreamOptions = {},
  ) {
    this.store = new StreamingStatusStore({
      batchDuration: ssc.batchInterval,
      retainedBatches: options.retainedBatches,
      inputStreams: () => ssc.graph.inputStreams,
      isRunning: () => ssc.state === 'active',
      expectedOutputOps: (time) => expectedOutputOps(ssc, time),
    });
    this.source = {
      store: this.store,
      appName: ssc.appName,
      now: () => ssc.clock.now(),
      startTime: () => ssc.startTime,
      runtimeStatus: () => ssc.runtimeStatus(),
    };
    this.hub = new EventStreamHub(events);
    ssc.addStreamingListener(this.listener());
  }

  /** The UI's address once started, e.g. `http://127.0.0.1:4040`. */
  get url(): string | undefined {
    return this.server?.url;
  }

  /** Starts serving (idempotent). Rejects with a clear error if no port could be bound. */
  start(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.starting ??= UiServer.start({
      host: this.options.host,
      port: this.options.port,
      token: this.options.token,
      handlers: {
        rest: (segments, query) => handleRest(this.source, segments, query),
        metrics: () => renderMetrics(this.source),
        events: (req, res) => this.openEvents(req, res),
        stop: () => this.requestStop(),
      },
    }).then((server) => {
      this.server = server;
    });
    return this.starting;
  }

  /** Tells open pages the job stopped, with the final numbers, and closes the server. Never throws. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (!this.starting) return;
    try {
      await this.starting;
    } catch {
      return; // never listened
    }
    this.hub.closeAll({ event: 'stopped', data: update(this.source, false, 'stopped', {}) });
    const server = this.server;
    this.server = undefined; // uiUrl is undefined once stopped
    await server?.close();
  }

  private openEvents(req: IncomingMessage, res: ServerResponse): void {
    this.hub.open(req, res, { event: 'snapshot', data: snapshot(this.source, this.running) });
  }

  private get running(): boolean {
    return this.ssc.state === 'active' && !this.stopped;
  }

  private requestStop(): { result: RestResult; afterResponse?: () => void } {
    if (this.ssc.state !== 'active') {
      return { result: { status: 409, body: { error: 'Conflict', message: `the streaming context is ${this.ssc.state}` } } };
    }
    return {
      result: { status: 202, body: { message: 'stopping gracefully: the data already received is processed first', graceful: true } },
      // After the answer is sent: the stop closes this server.
      afterResponse: () => void this.ssc.stop({ graceful: true }).catch(() => undefined),
    };
  }

  /** Feeds the store, then (only if a page is watching) the event stream. */
  private listener(): StreamingListener {
    const store = this.store;
    const publish = (type: UpdateType, about: { batchInfo?: BatchInfo; receiverInfo?: ReceiverInfo }): void => {
      if (this.hub.size > 0) this.hub.send('update', update(this.source, this.running, type, about));
    };
    const opBatch = (op: OutputOperationInfo): { batchInfo?: BatchInfo } => {
      const b = store.batch(op.batchTime);
      return b ? { batchInfo: b.info } : {};
    };
    return {
      onStreamingStarted: (e) => store.onStreamingStarted(e),
      onBatchSubmitted: (e) => (store.onBatchSubmitted(e), publish('batchSubmitted', e)),
      onBatchStarted: (e) => (store.onBatchStarted(e), publish('batchStarted', e)),
      onBatchCompleted: (e) => (store.onBatchCompleted(e), publish('batchCompleted', e)),
      onOutputOperationStarted: (e) => store.onOutputOperationStarted(e),
      onOutputOperationCompleted: (e) => (store.onOutputOperationCompleted(e), publish('outputOperationCompleted', opBatch(e.outputOperationInfo))),
      onReceiverStarted: (e) => (store.onReceiverStarted(e), publish('receiverStarted', e)),
      onReceiverError: (e) => (store.onReceiverError(e), publish('receiverError', e)),
      onReceiverStopped: (e) => (store.onReceiverStopped(e), publish('receiverStopped', e)),
    };
  }
}

/** The output operations that run at `time`: those whose slide divides the time since zero. */
function expectedOutputOps(ssc: StreamingContext, time: Time): number {
  const zero = ssc.graph.zeroTime;
  if (zero === undefined || time <= zero) return 0;
  const outputs = ssc.graph.outputStreams as unknown as readonly DStream<unknown>[];
  // An output that is not a DStream (no slide) is counted at every batch.
  return outputs.filter((o) => typeof o.slideDuration !== 'number' || (time - zero) % o.slideDuration === 0).length;
}

export { resolveUiOptions };
export type { UiOptions };
