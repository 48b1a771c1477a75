/**
 * natsStream: records of a NATS JetStream stream, read through a durable pull consumer.
 *
 * The source pulls (`fetch`) only as many messages as the memory budget can take, and waits for
 * space when it is full. A message is acknowledged (explicit ack) only once every output of its
 * batch succeeded: at-least-once delivery. Until then the source tells the server it is still
 * working on it (`+WPI`), so a message waiting in a long backlog is not redelivered while the
 * source is alive; after a crash the server redelivers it once `ackWaitMs` has passed. On a clean
 * stop, messages received but not acknowledged are handed back at once (`nak`).
 *
 * NATS has no partitions: the whole consumer is one partition for `maxRatePerPartition`.
 */
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import type { Consumer, ConsumerConfig, ConsumerMessages, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { StreamingContext } from '../../context.js';
import { describe } from '../../errors.js';
import { loadClient } from '../../load-client.js';
import type { Time } from '../../time.js';
import { BrokerInputDStream, positiveInteger, withTimeout, type PullSourceOptions } from '../broker/broker-input.js';
import type { ReceivedMessage } from '../flow/ingest-buffer.js';

/** Options of `ssc.natsStream`. */
export interface NatsStreamOptions extends PullSourceOptions {
  /** NATS server URL(s), e.g. `'nats://127.0.0.1:4222'` or `['host1:4222', 'host2:4222']`. */
  servers: string | string[];
  /** The JetStream stream to read. */
  stream: string;
  /** The durable pull consumer's name: created if missing, its pending state survives restarts. */
  consumer: string;
  /**
   * Subjects of the stream, to create it (file storage) if it does not exist. Without them the
   * stream must exist. An existing stream is never changed.
   */
  subjects?: string | string[];
  /** Only messages of this subject (wildcards allowed), set on the consumer. Default: all of the stream. */
  filterSubject?: string;
  /**
   * Where a consumer created now starts: `'all'` (default: the whole stream) or `'new'` (only
   * messages published from now on). An existing consumer resumes where it left off.
   */
  deliverPolicy?: 'all' | 'new';
  /**
   * How long the server waits for an ack before redelivering (default 30 s). While the source runs
   * it keeps its unacknowledged messages alive, so this is how soon a crashed job's messages come back.
   */
  ackWaitMs?: number;
  /**
   * Unacknowledged messages the server lets the consumer have (default: 100,000, or twice what a
   * batch may take under `maxRatePerPartition` if more). Memory is bounded by `maxBufferBytes` anyway.
   */
  maxAckPending?: number;
  /** Most messages one pull request asks for (default 1,000); fewer when the memory budget is nearly full. */
  fetchMaxMessages?: number;
  /** How long one pull request waits for messages on the server, ≥ 1000 ms (default 1000). */
  fetchExpiresMs?: number;
  /** Milliseconds between reconnection attempts (default 1000). Reconnection is retried forever. */
  reconnectTimeWaitMs?: number;
  /** More options for the NATS connection (credentials, TLS, name...). `servers` and reconnection are set by the source. */
  connectionOptions?: Omit<NodeConnectionOptions, 'servers' | 'reconnect' | 'maxReconnectAttempts'>;
}

/** One received JetStream message. */
export interface NatsReceivedMessage extends ReceivedMessage {
  /** Its stream sequence. */
  readonly seq: number;
  readonly subject: string;
  readonly redelivered: boolean;
}

/** What `natsStream` reports for each batch in its input metadata. */
export interface NatsBatchMetadata {
  stream: string;
  consumer: string;
  /** Lowest and highest stream sequence in the batch (absent when it is empty). */
  firstSequence?: number;
  lastSequence?: number;
  count: number;
  /** Messages of the batch delivered before (not acknowledged in an earlier run). */
  redelivered: number;
}

const DEFAULT_ACK_WAIT_MS = 30_000;
const DEFAULT_MAX_ACK_PENDING = 100_000;
const DEFAULT_FETCH_MAX_MESSAGES = 1_000;

export class NatsJetStreamInputDStream<T> extends BrokerInputDStream<T, NatsReceivedMessage> {
  private readonly options: NatsStreamOptions;
  private readonly ackWaitMs: number;
  private readonly fetchMaxMessages: number;
  private readonly fetchExpiresMs: number;
  private readonly maxAckPending: number;
  private nc: NatsConnection | undefined;
  /** The JetStream client library, once loaded (by connect). */
  private js: typeof import('@nats-io/jetstream') | undefined;
  private consumerHandle: Consumer | undefined;
  /**
   * Messages offered and not acknowledged yet: their reply (ack) subjects by stream sequence, of
   * the latest delivery. Only the subject is kept, not the client's message, whose payload is a
   * view into the socket's read buffer: the payload is copied, so the buffer is freed.
   */
  private readonly unacked = new Map<number, string>();
  private pulling = false;
  private connected = false;
  private fetch: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  /** Messages that arrived after pulling stopped, to hand back. */
  private readonly late: string[] = [];

  constructor(ssc: StreamingContext, options: NatsStreamOptions) {
    const servers = ([] as string[]).concat(options.servers ?? []).map(redactUrl).join(',');
    super(ssc, `nats:${options.stream}/${options.consumer}@${servers}`, options, options.maxRatePerPartition, options.maxRatePerPartition);
    for (const key of ['stream', 'consumer'] as const) {
      if (typeof options[key] !== 'string' || options[key].length === 0) throw new TypeError(`natsStream: '${key}' must be a non-empty string`);
    }
    if (options.servers === undefined || (Array.isArray(options.servers) && options.servers.length === 0)) {
      throw new TypeError(`natsStream: 'servers' is required, e.g. 'nats://127.0.0.1:4222'`);
    }
    this.options = options;
    this.ackWaitMs = positiveInteger(options.ackWaitMs, DEFAULT_ACK_WAIT_MS, 'ackWaitMs', this.name);
    this.fetchMaxMessages = positiveInteger(options.fetchMaxMessages, DEFAULT_FETCH_MAX_MESSAGES, 'fetchMaxMessages', this.name);
    this.fetchExpiresMs = positiveInteger(options.fetchExpiresMs, 1000, 'fetchExpiresMs', this.name);
    if (this.fetchExpiresMs < 1000) throw new RangeError(`${this.name}: fetchExpiresMs must be at least 1000 ms, got ${this.fetchExpiresMs}`);
    const perBatch = options.maxRatePerPartition === undefined ? 0 : Math.ceil((options.maxRatePerPartition * ssc.batchInterval) / 1000);
    this.maxAckPending = positiveInteger(options.maxAckPending, Math.max(DEFAULT_MAX_ACK_PENDING, 2 * perBatch), 'maxAckPending', this.name);
  }

  // ------------------------------------------------------------ connection and setup

  protected async connect(): Promise<void> {
    // Loaded now rather than with sluice: a job without NATS never loads the NATS client.
    const [{ connect }, js] = await Promise.all([
      loadClient('@nats-io/transport-node', this.name, () => import('@nats-io/transport-node')),
      loadClient('@nats-io/jetstream', this.name, () => import('@nats-io/jetstream')),
    ]);
    if (!this.isReceiving) return; // a stop came first
    this.js = js;
    const nc = await connect({
      name: `sluice ${this.ssc.appName} ${this.name}`,
      ...this.options.connectionOptions,
      servers: this.options.servers,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.options.reconnectTimeWaitMs ?? 1000,
    }).catch((error: unknown) => {
      throw new Error(`${this.name}: cannot connect to NATS: ${describe(error)}`, { cause: error });
    });
    this.nc = nc;
    this.connected = true;
    void this.watchStatus(nc);
    await this.setUp();
    this.pulling = true;
    this.loop = this.pullLoop();
    const period = Math.max(100, Math.floor(this.ackWaitMs / 3));
    this.keepAlive = setInterval(() => this.touchUnacked(), period);
    this.keepAlive.unref();
  }

  /** Makes sure the stream and the durable consumer exist, and gets the consumer to pull from. */
  private async setUp(): Promise<void> {
    const nc = this.nc!;
    const { jetstream, jetstreamManager } = this.js!;
    const jsm = await jetstreamManager(nc);
    await this.ensureStream(jsm);
    await this.ensureConsumer(jsm);
    this.consumerHandle = await jetstream(nc).consumers.get(this.options.stream, this.options.consumer);
  }

  private async ensureStream(jsm: JetStreamManager): Promise<void> {
    const { stream } = this.options;
    try {
      await jsm.streams.info(stream);
      return;
    } catch (error) {
      if (!isNotFound(error)) throw new Error(`${this.name}: cannot look up JetStream stream "${stream}": ${describe(error)}`, { cause: error });
    }
    const subjects = this.options.subjects === undefined ? [] : ([] as string[]).concat(this.options.subjects);
    if (subjects.length === 0) {
      throw new Error(
        `${this.name}: JetStream stream "${stream}" does not exist; create it (e.g. \`nats stream add ${stream}\`) or pass subjects: ['...'] to natsStream to create it`,
      );
    }
    try {
      await jsm.streams.add({ name: stream, subjects });
    } catch (error) {
      // Another job may have created it meanwhile.
      if (!/already in use|already exists/i.test(describe(error))) {
        throw new Error(`${this.name}: cannot create JetStream stream "${stream}" on ${subjects.join(', ')}: ${describe(error)}`, { cause: error });
      }
    }
  }

  private async ensureConsumer(jsm: JetStreamManager): Promise<void> {
    const { stream, consumer } = this.options;
    const { AckPolicy, DeliverPolicy } = this.js!;
    const settings: Partial<ConsumerConfig> = {
      ack_wait: this.ackWaitMs * 1_000_000,
      max_ack_pending: this.maxAckPending,
      ...(this.options.filterSubject === undefined ? {} : { filter_subject: this.options.filterSubject }),
    };
    let existing;
    try {
      existing = await jsm.consumers.info(stream, consumer);
    } catch (error) {
      if (!isNotFound(error)) throw new Error(`${this.name}: cannot look up consumer "${consumer}" of stream "${stream}": ${describe(error)}`, { cause: error });
    }
    try {
      if (existing) {
        if (existing.config.ack_policy !== AckPolicy.Explicit) {
          throw new Error(`consumer "${consumer}" exists with ack policy "${existing.config.ack_policy}"; natsStream needs "explicit": delete it or use another consumer name`);
        }
        if (existing.config.deliver_subject) {
          throw new Error(`consumer "${consumer}" is a push consumer; natsStream needs a pull consumer: delete it or use another consumer name`);
        }
        const c = existing.config;
        const unchanged =
          c.ack_wait === settings.ack_wait && c.max_ack_pending === settings.max_ack_pending && (settings.filter_subject ?? c.filter_subject) === c.filter_subject;
        if (!unchanged) await jsm.consumers.update(stream, consumer, settings);
      } else {
        await jsm.consumers.add(stream, {
          ...settings,
          durable_name: consumer,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: this.options.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
          max_deliver: -1,
        });
      }
    } catch (error) {
      throw new Error(`${this.name}: cannot set up durable consumer "${consumer}" on stream "${stream}": ${describe(error)}`, { cause: error });
    }
  }

  /** Reports connection changes; the client reconnects by itself, forever. */
  private async watchStatus(nc: NatsConnection): Promise<void> {
    try {
      for await (const s of nc.status()) {
        switch (s.type) {
          case 'disconnect':
            this.connected = false;
            if (this.pulling) this.reportError(`${this.name}: disconnected from NATS server ${s.server}; reconnecting`);
            break;
          case 'reconnect':
            this.connected = true;
            this.wakeLoop();
            if (this.pulling) this.reportConnected();
            break;
          case 'error':
            this.reportError(`${this.name}: NATS server error`, s.error);
            break;
          case 'staleConnection':
            this.reportError(`${this.name}: the NATS connection is stale (no PONG); reconnecting`);
            break;
          default:
        }
      }
    } catch {
      // The status iterator ends with the connection.
    }
  }

  // ------------------------------------------------------------ pulling

  private async pullLoop(): Promise<void> {
    let failures = 0;
    while (this.pulling) {
      while (this.pulling && this.buffer.bytes >= this.buffer.maxBytes / 2) await this.untilSpace();
      if (!this.pulling) break;
      try {
        const fetch = await this.consumerHandle!.fetch({ max_messages: this.pullSize(), expires: this.fetchExpiresMs });
        this.fetch = fetch;
        for await (const m of fetch) await this.take(m);
        failures = 0;
      } catch (error) {
        if (!this.pulling || this.nc?.isClosed()) break;
        failures++;
        if (/not found|deleted/i.test(describe(error))) {
          // Deleted under us (or lost by a server without file storage): set it up again.
          this.reportError(`${this.name}: ${describe(error)}; setting up the stream and consumer again`, error);
          await this.setUp().catch((e: unknown) => this.reportError(`${this.name}: setting up again failed; retrying`, e));
        } else if (this.connected) {
          // While disconnected the status watcher has reported it; a pull failing then is expected.
          this.reportError(`${this.name}: pulling from consumer "${this.options.consumer}" failed; retrying`, error);
        }
        await this.pauseFor(this.retryDelay(failures));
      } finally {
        this.fetch = undefined;
      }
    }
  }

  /** How many messages the next pull may ask for: what the free memory holds, at the average size seen. */
  private pullSize(): number {
    return this.messagesThatFit(Math.min(this.fetchMaxMessages, this.maxAckPending - this.unacked.size));
  }

  /** Offers one fetched message, waiting for memory if the budget is full (the pull request is bounded). */
  private async take(m: JsMsg): Promise<void> {
    const seq = m.info.streamSequence;
    const reply = replyOf(m);
    if (this.unacked.has(seq)) {
      // Redelivered while we hold it (ack wait passed, e.g. after a reconnect): ack through the
      // newest delivery, keep one copy.
      this.unacked.set(seq, reply);
      return;
    }
    if (!this.pulling) {
      // Stopping: handed back once the pull request is over (see stopPulling).
      this.late.push(reply);
      return;
    }
    const message: NatsReceivedMessage = { payload: m.data.slice(), seq, subject: m.subject, redelivered: m.redelivered };
    this.noteMessageSize(m.data.byteLength);
    this.unacked.set(seq, reply);
    if (this.offer(message) || (await this.offerWhenSpace(message, () => this.pulling))) return;
    // Stopped while waiting for memory: handed back once the pull request is over.
    this.unacked.delete(seq);
    this.late.push(reply);
  }

  /** Tells the server the source still works on the messages it holds (resets their ack wait). */
  private touchUnacked(): void {
    const nc = this.nc;
    if (!this.connected || !nc) return;
    for (const reply of this.unacked.values()) nc.publish(reply, WORKING);
  }

  // ------------------------------------------------------------ acks and stopping

  protected async acknowledge(messages: readonly NatsReceivedMessage[]): Promise<void> {
    const nc = this.nc;
    if (!nc) throw new Error('the connection is closed');
    let last: string | undefined;
    for (const message of messages) {
      const reply = this.unacked.get(message.seq);
      this.unacked.delete(message.seq);
      if (reply === undefined) continue;
      if (last !== undefined) nc.publish(last, ACK);
      last = reply;
    }
    // Acks of one connection are processed in order: the confirmed last one confirms them all.
    if (last !== undefined) await nc.request(last, ACK, { timeout: 5000 });
  }

  protected override describeBatch(messages: readonly NatsReceivedMessage[]): NatsBatchMetadata & Record<string, unknown> {
    const meta: NatsBatchMetadata & Record<string, unknown> = { stream: this.options.stream, consumer: this.options.consumer, count: messages.length, redelivered: 0 };
    if (messages.length === 0) return meta;
    let first = Infinity;
    let last = -Infinity;
    for (const m of messages) {
      if (m.seq < first) first = m.seq;
      if (m.seq > last) last = m.seq;
      if (m.redelivered) meta.redelivered++;
    }
    meta.firstSequence = first;
    meta.lastSequence = last;
    return meta;
  }

  protected async pause(): Promise<void> {
    await this.stopPulling();
  }

  protected async disconnect(): Promise<void> {
    await this.stopPulling();
    clearInterval(this.keepAlive);
    const nc = this.nc;
    this.nc = undefined;
    // Whatever was received and not acknowledged goes back to the server for redelivery now,
    // rather than after the ack wait.
    const open = nc && !nc.isClosed() ? nc : undefined;
    for (const reply of this.unacked.values()) open?.publish(reply, NAK);
    this.unacked.clear();
    this.nakLate(open);
    if (!open) return;
    try {
      await withTimeout(open.drain(), 5000);
    } catch {
      await open.close().catch(() => undefined);
    }
  }

  /**
   * Stops pulling, and waits for the pull request under way to end on the server (at most
   * `fetchExpiresMs`). A message handed back (nak) while a request is still open on the server
   * is redelivered into that request, even one whose client is gone, and then only comes back
   * after the ack wait: so nothing is handed back before it ended.
   */
  private async stopPulling(): Promise<void> {
    if (!this.pulling && !this.loop) return;
    this.pulling = false;
    this.wakeLoop();
    const loop = this.loop;
    this.loop = undefined;
    if (!loop) return;
    try {
      await withTimeout(loop, this.fetchExpiresMs + 2000);
    } catch {
      // Disconnected: the request will not end by itself. Stop it; the server forgets it on restart.
      this.fetch?.stop();
      await loop;
    }
    if (this.nc && !this.nc.isClosed()) this.nakLate(this.nc);
  }

  /** Hands back the messages that arrived after pulling stopped. */
  private nakLate(nc: NatsConnection | undefined): void {
    for (const reply of this.late.splice(0)) nc?.publish(reply, NAK);
  }
}

/** JetStream's acknowledgement payloads. */
const ACK = new TextEncoder().encode('+ACK');
const NAK = new TextEncoder().encode('-NAK');
const WORKING = new TextEncoder().encode('+WPI');

/** The subject a JetStream message is acknowledged on. */
function replyOf(m: JsMsg): string {
  const reply = (m as JsMsg & { reply?: unknown }).reply;
  if (typeof reply !== 'string' || reply === '') throw new Error(`JetStream message ${m.seq} has no reply subject to acknowledge it on`);
  return reply;
}

/** A server URL without its password or token, for names and errors. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_m, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`);
}

function isNotFound(error: unknown): boolean {
  return /not found/i.test(describe(error));
}
