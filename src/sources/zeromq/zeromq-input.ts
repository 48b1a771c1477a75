/**
 * zeromqStream: messages read from a ZeroMQ PULL or SUB socket (zeromq.js 6, libzmq inside).
 *
 * Framing: the payload of a record is the **last frame** of each message. On a SUB socket a
 * message of two frames or more is `[topic, ..., payload]`: the first frame is the topic (the
 * subscription prefixes match against it; it is reported per batch by topic); a single-frame
 * message is its own payload (its start is then what the prefixes match). On PULL, frames before
 * the last are ignored.
 *
 * Delivery: at-most-once. ZeroMQ has no acknowledgement and cannot replay, so what was read and
 * not yet processed is lost if the job dies (a write-ahead log, added with fault tolerance, is
 * the remedy: see `acknowledge`).
 *
 * Flow control:
 * - PULL: when the memory budget is full the source stops reading the socket. Messages then queue
 *   in libzmq up to its receive high-water mark (and the TCP buffers), after which the PUSH
 *   senders block in `send()`: a slow pipeline slows the senders down and nothing is lost.
 * - SUB: PUB never waits for subscribers. The source keeps reading and drops and counts what does
 *   not fit the budget (`droppedRecords`). libzmq itself drops at its high-water marks (on the
 *   publisher's side, or the subscriber's when the event loop does not read fast enough); those
 *   drops cannot be seen, let alone counted.
 */
import type { Pull, Subscriber } from 'zeromq';
import type { StreamingContext } from '../../context.js';
import { loadClient } from '../../load-client.js';
import { BrokerInputDStream, type PushSourceOptions } from '../broker/broker-input.js';
import type { ReceivedMessage } from '../flow/ingest-buffer.js';

/** Options of `ssc.zeromqStream`. */
export interface ZeroMqStreamOptions extends PushSourceOptions {
  /** Where to connect (or bind), e.g. `'tcp://127.0.0.1:5555'`, `'ipc:///tmp/feed'`; several are read together. */
  endpoint: string | readonly string[];
  /** `'pull'` (from PUSH sockets: load-balanced, back-pressured) or `'sub'` (from PUB sockets: fan-out, lossy). */
  pattern: 'pull' | 'sub';
  /** SUB only: topic prefixes to subscribe to (default: everything). */
  topics?: string | readonly string[];
  /** Bind the endpoint(s) and let the senders connect, instead of connecting (default false). */
  bind?: boolean;
  /** Messages libzmq queues on the receiving side before back-pressure (PULL) or drops (SUB) (libzmq default 1000). */
  receiveHighWaterMark?: number;
  /** The kernel's receive buffer (SO_RCVBUF) in bytes (default: the OS's). Smaller makes back-pressure reach the senders sooner. */
  receiveBufferSize?: number;
  /** Milliseconds between reconnection attempts to an endpoint that went away (default 100; libzmq retries forever). */
  reconnectIntervalMs?: number;
}

/** One received ZeroMQ message. */
export interface ZeroMqReceivedMessage extends ReceivedMessage {
  /** SUB: the topic frame of a multi-frame message. */
  readonly partition?: string;
}

type ZmqSocket = Pull | Subscriber;

export class ZeroMqInputDStream<T> extends BrokerInputDStream<T, ZeroMqReceivedMessage> {
  private readonly options: ZeroMqStreamOptions;
  private readonly endpoints: readonly string[];
  private readonly topics: readonly string[];
  private socket: ZmqSocket | undefined;
  private reading = false;
  private loop: Promise<void> | undefined;
  private peersLost = 0;

  constructor(ssc: StreamingContext, options: ZeroMqStreamOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`zeromqStream: options are required, e.g. { endpoint: 'tcp://127.0.0.1:5555', pattern: 'pull' }`);
    const endpoints = typeof options.endpoint === 'string' ? [options.endpoint] : Array.isArray(options.endpoint) ? [...options.endpoint] : [];
    super(ssc, `zeromq:${String(options.pattern)}@${endpoints.join(',')}`, options, options.receiverMaxRate);
    if (endpoints.length === 0 || endpoints.some((e) => typeof e !== 'string' || !/^[a-z]+:\/\/./.test(e))) {
      throw new TypeError(`zeromqStream: 'endpoint' must be a ZeroMQ endpoint such as 'tcp://127.0.0.1:5555' (or an array of them)`);
    }
    if (options.pattern !== 'pull' && options.pattern !== 'sub') throw new TypeError(`zeromqStream: 'pattern' must be 'pull' or 'sub', got ${String(options.pattern)}`);
    const topics = options.topics === undefined ? [] : typeof options.topics === 'string' ? [options.topics] : [...options.topics];
    if (topics.length > 0 && options.pattern !== 'sub') throw new TypeError(`zeromqStream: 'topics' apply to pattern 'sub' only`);
    if (topics.some((t) => typeof t !== 'string')) throw new TypeError(`zeromqStream: 'topics' must be strings (prefixes)`);
    for (const key of ['receiveHighWaterMark', 'receiveBufferSize', 'reconnectIntervalMs'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new RangeError(`zeromqStream: '${key}' must be a non-negative integer, got ${String(v)}`);
    }
    this.options = options;
    this.endpoints = endpoints;
    this.topics = topics;
  }

  protected async connect(): Promise<void> {
    // Loaded now rather than with sluice: a job without ZeroMQ never loads its native addon.
    const { Pull, Subscriber } = await loadClient('zeromq', this.name, () => import('zeromq'));
    if (!this.isReceiving) return; // a stop came first
    const o = this.options;
    const common = {
      linger: 0,
      ...(o.receiveHighWaterMark === undefined ? {} : { receiveHighWaterMark: o.receiveHighWaterMark }),
      ...(o.receiveBufferSize === undefined ? {} : { receiveBufferSize: o.receiveBufferSize }),
      ...(o.reconnectIntervalMs === undefined ? {} : { reconnectInterval: o.reconnectIntervalMs }),
    };
    const socket: ZmqSocket = o.pattern === 'pull' ? new Pull(common) : new Subscriber(common);
    this.socket = socket;
    this.watch(socket);
    try {
      if (socket instanceof Subscriber) {
        if (this.topics.length === 0) socket.subscribe();
        else socket.subscribe(...this.topics);
      }
      for (const endpoint of this.endpoints) {
        if (o.bind) await socket.bind(endpoint);
        else socket.connect(endpoint);
      }
    } catch (error) {
      this.socket = undefined;
      socket.close();
      throw new Error(`${this.name}: cannot ${o.bind ? 'bind' : 'connect to'} ${this.endpoints.join(', ')}: ${(error as Error).message}`, { cause: error });
    }
    this.reading = true;
    this.loop = this.readLoop(socket);
  }

  /** Reports peers going away and coming back (libzmq reconnects by itself). */
  private watch(socket: ZmqSocket): void {
    const events = socket.events;
    events.on('disconnect', (e) => {
      if (!this.reading) return;
      this.peersLost++;
      this.reportError(
        this.options.bind
          ? `${this.name}: a peer disconnected from ${e.address}`
          : `${this.name}: the peer at ${e.address} went away; reconnecting every ${this.options.reconnectIntervalMs ?? 100} ms`,
      );
    });
    const back = (): void => {
      if (!this.reading || this.peersLost === 0) return;
      this.peersLost--;
      this.reportConnected();
    };
    events.on('connect', back);
    events.on('accept', back);
    events.on('bind:error', (e) => this.reportError(`${this.name}: binding ${e.address} failed`, e.error));
    events.on('handshake:error:protocol', (e) => this.reportError(`${this.name}: ZMTP handshake with ${e.address} failed`, e.error));
  }

  private async readLoop(socket: ZmqSocket): Promise<void> {
    const pull = this.options.pattern === 'pull';
    const retryMs = Math.max(5, Math.floor(this.ssc.batchInterval / 4));
    while (this.reading) {
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch (error) {
        if (!this.reading || socket.closed) break;
        this.reportError(`${this.name}: receiving failed`, error);
        await this.pauseFor(100);
        continue;
      }
      if (frames.length === 0) continue;
      const payload = frames[frames.length - 1]!;
      const message: ZeroMqReceivedMessage =
        !pull && frames.length > 1 ? { payload, partition: frames[0]!.toString('utf8') } : { payload };
      if (!pull) {
        if (!this.offer(message)) this.countDropped();
        continue;
      }
      // PULL: hold this one message and read nothing more until it fits, so that libzmq's
      // high-water mark pushes back on the senders. (Stopped meanwhile: it is dropped, as what
      // libzmq still queues is: at-most-once.)
      if (!this.offer(message)) await this.offerWhenSpace(message, () => this.reading, retryMs);
    }
  }

  /**
   * Nothing to acknowledge: ZeroMQ cannot deliver again. This is the hook where a write-ahead log
   * (the fault-tolerance issue) would mark the batch's records as processed; with the log
   * enabled, records would be written to it in `offer` before a batch takes them, and replayed
   * after a crash, giving at-least-once.
   */
  protected async acknowledge(): Promise<void> {}

  protected override describeBatch(messages: readonly ZeroMqReceivedMessage[]): Record<string, unknown> {
    if (this.options.pattern !== 'sub') return {};
    const topics: Record<string, number> = {};
    for (const m of messages) if (m.partition !== undefined) topics[m.partition] = (topics[m.partition] ?? 0) + 1;
    return { topics };
  }

  /** Stops reading: the socket closes, and what libzmq still queues is not taken (at-most-once). */
  protected async pause(): Promise<void> {
    await this.close();
  }

  protected async disconnect(): Promise<void> {
    await this.close();
  }

  private async close(): Promise<void> {
    this.reading = false;
    this.wakeLoop();
    const socket = this.socket;
    this.socket = undefined;
    if (socket && !socket.closed) socket.close(); // rejects a pending receive()
    const loop = this.loop;
    this.loop = undefined;
    await loop;
  }
}
