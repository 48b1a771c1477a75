/**
 * mqttStream: messages of MQTT topics (mqtt.js, MQTT 5 by default, 3.1.1 on request).
 *
 * Delivery:
 * - QoS 0: at-most-once. No flow control exists at QoS 0: when the memory budget is full a
 *   message is dropped and counted (`droppedRecords` of the batch, never silent).
 * - QoS 1: at-least-once. The PUBACK of a message is sent only once every output of the batch
 *   holding it succeeded (the base class's `acknowledge`). mqtt.js acknowledges as soon as a
 *   message is handed over and has no manual-ack API (`customHandleAcks` only picks the reason
 *   code, and delaying its callback stalls the client's whole packet pipeline), so the source
 *   takes the PUBACKs mqtt.js would send out of its send path and sends each itself at commit
 *   time. With a persistent session (a fixed `clientId`, `cleanSession: false`) the broker keeps
 *   unacknowledged messages across a crash or a lost connection and delivers them again.
 *
 * Flow control at QoS 1 is the broker's in-flight window: it sends at most `receiveMaximum`
 * (MQTT 5) unacknowledged messages, and messages are unacknowledged until their batch is done,
 * so a slow pipeline slows the broker down. If the memory budget fills up first, further QoS 1
 * messages are refused (not acknowledged, not kept) and, once the buffer has drained to half,
 * the source reconnects so that the broker delivers them again from the session (counted as
 * `refused` in the batch metadata). Without a persistent session they cannot come back: they are
 * acknowledged, dropped and counted as at QoS 0.
 */
import type { IClientOptions, IConnackPacket, IPublishPacket, ISubscriptionGrant, MqttClient } from 'mqtt';
import type { StreamingContext } from '../../context.js';
import { describe } from '../../errors.js';
import { loadClient } from '../../load-client.js';
import { BrokerInputDStream, positiveInteger, type PushSourceOptions } from '../broker/broker-input.js';
import type { ReceivedMessage } from '../flow/ingest-buffer.js';

/** Options of `ssc.mqttStream`. */
export interface MqttStreamOptions extends PushSourceOptions {
  /** The broker, e.g. `'mqtt://127.0.0.1:1883'` (`mqtts://`, `ws://`, `wss://` work too). */
  url: string;
  /**
   * Topic filters to subscribe to (`+` and `#` wildcards allowed). A shared subscription,
   * `'$share/<group>/<filter>'`, splits the messages among every client of the group: run
   * several jobs with the same group to share a fleet's load.
   */
  topics: string | readonly string[];
  /** 0: at-most-once; 1: at-least-once, acknowledged after the batch's outputs succeeded. */
  qos: 0 | 1;
  /**
   * The client identifier. Give a fixed one for a persistent session: the broker keeps the
   * subscriptions and the unacknowledged QoS 1 messages while the job is down and delivers them
   * when a job with the same `clientId` connects. Default: a random `sluice-…` id (clean session).
   * Two clients connected with the same id push each other off the broker: one id per job.
   */
  clientId?: string;
  /**
   * Start without session state, and let the broker drop it on disconnect. Default: `false` when
   * a `clientId` is given (persistent session), `true` otherwise.
   */
  cleanSession?: boolean;
  /**
   * MQTT 5: how long the broker keeps a persistent session after the connection ends, in
   * seconds (default 86,400: a day). MQTT 3.1.1 sessions last until the broker expires them.
   */
  sessionExpirySeconds?: number;
  /**
   * MQTT 5: the most QoS 1 messages the broker may have sent and not had acknowledged (1 to
   * 65,535; default 65,535). Messages are acknowledged when their batch is done, so this caps the
   * records of about one batch interval plus its processing. Set it to about `maxBufferBytes`
   * divided by the usual message size so that a full buffer is rare: a refusal costs a reconnect.
   */
  receiveMaximum?: number;
  /** 5 (default) or 4 (MQTT 3.1.1: the broker's own in-flight limit applies, 20 in Mosquitto). */
  protocolVersion?: 4 | 5;
  /** Milliseconds between reconnection attempts (default 1000). Reconnection is retried forever. */
  reconnectPeriodMs?: number;
  /** How long `start()` waits for the first connection and subscription (default 30,000 ms). */
  connectTimeoutMs?: number;
  /** Seconds between keep-alive pings (default 30). */
  keepaliveSeconds?: number;
  username?: string;
  password?: string;
  /** More mqtt.js client options (TLS certificates, WebSocket options...). The options above win. */
  clientOptions?: IClientOptions;
}

/** One received MQTT message. */
export interface MqttReceivedMessage extends ReceivedMessage {
  /** The topic it was published to (the `partition` for per-topic counts). */
  readonly partition: string;
  readonly qos: 0 | 1;
  /** The packet identifier (QoS 1), valid within `session`. */
  readonly messageId?: number;
  /** Which broker session it came in: a PUBACK is only sent within the same session. */
  readonly session: number;
}

/** What `mqttStream` reports for each batch in its input metadata. */
export interface MqttBatchMetadata {
  /** Records of the batch by topic. */
  topics: Record<string, number>;
  /** QoS 1 messages turned away since the previous batch because the memory budget was full (delivered again). */
  refused: number;
}

const DEFAULT_SESSION_EXPIRY_SECONDS = 86_400;
const MAX_RECEIVE_MAXIMUM = 65_535;

/** The part of mqtt.js's client the source reaches into (see {@link installManualPubacks}). */
interface ClientInternals {
  _sendPacket(packet: { cmd: string; messageId?: number }, cb?: (error?: Error) => void, ...rest: unknown[]): void;
  stream?: { end(): void; destroy(): void };
}

export class MqttInputDStream<T> extends BrokerInputDStream<T, MqttReceivedMessage> {
  private readonly options: MqttStreamOptions;
  private readonly topics: readonly string[];
  private readonly qos: 0 | 1;
  private readonly clientId: string;
  private readonly clean: boolean;
  private readonly reconnectPeriodMs: number;
  private readonly connectTimeoutMs: number;
  private client: MqttClient | undefined;
  private sendPuback: ((messageId: number) => Promise<void>) | undefined;
  /** Increases each time the broker starts a new session: packet ids of older sessions are meaningless. */
  private session = 0;
  /** QoS 1 messages offered and not acknowledged, by packet id (of the current session). */
  private readonly held = new Map<number, MqttReceivedMessage>();
  /** Packet ids whose batch succeeded while the connection was down: acknowledged when the broker redelivers them. */
  private readonly ackLater = new Set<number>();
  /**
   * PUBACKs sent in this session, by packet id, with a fingerprint of the message: a PUBACK
   * written just before the connection broke may never have reached the broker, which then
   * delivers the message again (DUP) on the resumed session. At most one entry per packet id.
   */
  private readonly acked = new Map<number, number>();
  /** True once the budget refused a QoS 1 message: the rest are refused too until the reconnect. */
  private refusing = false;
  private refusedSinceCut = 0;
  private refusedTotal = 0;
  private connected = false;
  private closing = false;
  private reconnectingOnPurpose = false;
  private firstConnect: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(ssc: StreamingContext, options: MqttStreamOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('mqttStream: options are required, e.g. { url, topics, qos: 1 }');
    const topics = typeof options.topics === 'string' ? [options.topics] : Array.isArray(options.topics) ? [...options.topics] : [];
    super(ssc, `mqtt:${topics.join(',')}@${String(options.url)}`, options, options.receiverMaxRate);
    if (typeof options.url !== 'string' || options.url === '') throw new TypeError(`mqttStream: 'url' must be a broker URL such as 'mqtt://127.0.0.1:1883'`);
    if (topics.length === 0 || topics.some((t) => typeof t !== 'string' || t === '')) {
      throw new TypeError(`mqttStream: 'topics' must be a topic filter or a non-empty array of them, e.g. 'sensors/+/temperature'`);
    }
    if (options.qos !== 0 && options.qos !== 1) throw new TypeError(`mqttStream: 'qos' must be 0 or 1, got ${String(options.qos)}`);
    if (options.clientId !== undefined && (typeof options.clientId !== 'string' || options.clientId === '')) {
      throw new TypeError(`mqttStream: 'clientId' must be a non-empty string`);
    }
    if (options.cleanSession === false && options.clientId === undefined) {
      throw new TypeError(`mqttStream: a persistent session (cleanSession: false) needs a fixed 'clientId' to resume it by`);
    }
    if (options.protocolVersion !== undefined && options.protocolVersion !== 4 && options.protocolVersion !== 5) {
      throw new TypeError(`mqttStream: 'protocolVersion' must be 4 (MQTT 3.1.1) or 5, got ${String(options.protocolVersion)}`);
    }
    const receiveMaximum = options.receiveMaximum ?? MAX_RECEIVE_MAXIMUM;
    if (!(Number.isInteger(receiveMaximum) && receiveMaximum >= 1 && receiveMaximum <= MAX_RECEIVE_MAXIMUM)) {
      throw new RangeError(`mqttStream: 'receiveMaximum' must be an integer from 1 to ${MAX_RECEIVE_MAXIMUM}, got ${String(options.receiveMaximum)}`);
    }
    const expiry = options.sessionExpirySeconds ?? DEFAULT_SESSION_EXPIRY_SECONDS;
    if (!(Number.isInteger(expiry) && expiry >= 0 && expiry <= 0xffffffff)) {
      throw new RangeError(`mqttStream: 'sessionExpirySeconds' must be an integer number of seconds from 0 to 4294967295, got ${String(options.sessionExpirySeconds)}`);
    }
    this.options = options;
    this.topics = topics;
    this.qos = options.qos;
    this.clientId = options.clientId ?? `sluice-${Math.random().toString(16).slice(2, 14)}`;
    this.clean = options.cleanSession ?? options.clientId === undefined;
    this.reconnectPeriodMs = positiveInteger(options.reconnectPeriodMs, 1000, "'reconnectPeriodMs'", 'mqttStream');
    this.connectTimeoutMs = positiveInteger(options.connectTimeoutMs, 30_000, "'connectTimeoutMs'", 'mqttStream');
    positiveInteger(options.keepaliveSeconds, 30, "'keepaliveSeconds'", 'mqttStream');
  }

  /** QoS 1 messages refused for lack of memory since the start (each delivered again by the broker). */
  get refused(): number {
    return this.refusedTotal;
  }

  /** True when unacknowledged QoS 1 messages survive a disconnect (fixed clientId, no clean session). */
  get persistentSession(): boolean {
    return !this.clean;
  }

  // ------------------------------------------------------------ connection

  protected async connect(): Promise<void> {
    // Loaded now rather than with sluice: a job without MQTT never loads mqtt.js.
    const { connect: mqttConnect } = await loadClient('mqtt', this.name, () => import('mqtt'));
    if (!this.isReceiving) return; // a stop came first
    const o = this.options;
    const v5 = (o.protocolVersion ?? 5) === 5;
    const client = mqttConnect(o.url, {
      ...o.clientOptions,
      clientId: this.clientId,
      clean: this.clean,
      protocolVersion: o.protocolVersion ?? 5,
      reconnectPeriod: this.reconnectPeriodMs,
      connectTimeout: Math.min(this.connectTimeoutMs, 30_000),
      keepalive: o.keepaliveSeconds ?? 30,
      // The source subscribes itself whenever the broker has no session for it.
      resubscribe: false,
      manualConnect: true,
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      ...(v5
        ? {
            properties: {
              ...o.clientOptions?.properties,
              receiveMaximum: o.receiveMaximum ?? MAX_RECEIVE_MAXIMUM,
              sessionExpiryInterval: this.clean ? 0 : (o.sessionExpirySeconds ?? DEFAULT_SESSION_EXPIRY_SECONDS),
            },
          }
        : {}),
    });
    this.client = client;
    this.closing = false;
    this.sendPuback = installManualPubacks(client);
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet));
    client.on('connect', (connack) => void this.onConnack(client, connack));
    client.on('close', () => this.onClose(client));
    client.on('error', (error) => this.onClientError(error));
    const connected = new Promise<void>((resolve, reject) => (this.firstConnect = { resolve, reject }));
    const timer = setTimeout(
      () => this.firstConnect?.reject(new Error(`${this.name}: no connection to the MQTT broker at ${o.url} within ${this.connectTimeoutMs} ms`)),
      this.connectTimeoutMs,
    );
    client.connect();
    try {
      await connected;
    } catch (error) {
      this.client = undefined;
      this.closing = true;
      client.end(true);
      throw error;
    } finally {
      clearTimeout(timer);
      this.firstConnect = undefined;
    }
  }

  private async onConnack(client: MqttClient, connack: IConnackPacket): Promise<void> {
    if (client !== this.client) return;
    const resumed = !this.clean && connack.sessionPresent === true;
    if (!resumed) {
      // A new session: the broker forgot what it had sent us, and reuses packet ids freely.
      this.session++;
      this.held.clear();
      this.ackLater.clear();
      this.acked.clear();
    }
    // A reconnect makes the broker deliver again whatever is unacknowledged: the refusals are over.
    this.refusing = false;
    this.connected = true;
    const first = this.firstConnect !== undefined;
    // The first connection always subscribes (the topics may have changed since the session
    // began); later ones only when the broker lost the session, and its subscriptions with it.
    if (first || !resumed) {
      try {
        await this.subscribe(client);
      } catch (error) {
        if (first) {
          this.firstConnect?.reject(error as Error);
          return;
        }
        this.reportError(`${this.name}: subscribing again after reconnecting failed`, error);
        return;
      }
    }
    if (first) this.firstConnect?.resolve();
    else this.reportConnected();
  }

  private subscribe(client: MqttClient): Promise<void> {
    const v5 = (this.options.protocolVersion ?? 5) === 5;
    const map: Record<string, { qos: 0 | 1; rh?: number }> = {};
    // MQTT 5 `rh: 1`: retained messages only for a subscription that did not exist (not again on every resumed start).
    for (const t of this.topics) map[t] = v5 ? { qos: this.qos, rh: 1 } : { qos: this.qos };
    return new Promise((resolve, reject) => {
      client.subscribe(map, (error: Error | null, granted?: ISubscriptionGrant[]) => {
        if (error) return reject(new Error(`${this.name}: subscribing to ${this.topics.join(', ')} failed: ${describe(error)}`, { cause: error }));
        const refused = (granted ?? []).filter((g) => g.qos === 128 || g.qos > 2);
        if (refused.length > 0) {
          return reject(new Error(`${this.name}: the broker refused the subscription to ${refused.map((g) => g.topic).join(', ')} (not authorized or invalid filter)`));
        }
        resolve();
      });
    });
  }

  private onClose(client: MqttClient): void {
    if (client !== this.client) return;
    const wasConnected = this.connected;
    this.connected = false;
    if (this.closing) return;
    if (this.reconnectingOnPurpose) {
      this.reconnectingOnPurpose = false;
      // Straight back, rather than after reconnectPeriod: the broker redelivers the refused messages.
      setImmediate(() => {
        if (client === this.client && !this.closing && !client.connected) client.reconnect();
      });
      return;
    }
    if (wasConnected && this.firstConnect === undefined) {
      this.reportError(`${this.name}: connection to ${this.options.url} lost; reconnecting every ${this.reconnectPeriodMs} ms`);
    }
  }

  private onClientError(error: Error & { code?: unknown }): void {
    if (this.closing) return;
    // A broker refusing the connection outright (bad credentials, bad client id) fails the start.
    if (this.firstConnect && typeof error.code === 'number') {
      this.firstConnect.reject(new Error(`${this.name}: the MQTT broker at ${this.options.url} refused the connection: ${error.message}`, { cause: error }));
      return;
    }
    this.reportError(`${this.name}: ${error.message}`, error);
  }

  // ------------------------------------------------------------ receiving

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    // After a stop began nothing is taken: unacknowledged QoS 1 messages go to the next session.
    if (!this.isReceiving) return;
    if (packet.qos === 0 || packet.messageId === undefined) {
      if (!this.offer({ payload, partition: topic, qos: 0, session: this.session })) this.countDropped();
      return;
    }
    const id = packet.messageId;
    if (packet.dup) {
      // Delivered again after a reconnect. The broker cannot reuse the id of a message it has no
      // PUBACK for, so this is a message the source holds, or one whose batch is done and whose
      // PUBACK is yet to be sent or was lost with the connection (same id and same bytes).
      if (this.held.has(id)) return;
      if (this.ackLater.delete(id)) {
        this.ack(id, topic, payload);
        return;
      }
      const sent = this.acked.get(id);
      if (sent !== undefined && sent === fingerprint(topic, payload)) {
        this.ack(id, topic, payload);
        return;
      }
    }
    // A first delivery under this id: the broker waits for nothing earlier under it.
    this.held.delete(id);
    this.ackLater.delete(id);
    this.acked.delete(id);
    if (this.refusing) {
      this.countRefused();
      return;
    }
    const message: MqttReceivedMessage = { payload, partition: topic, qos: 1, messageId: id, session: this.session };
    if (this.offer(message)) {
      this.held.set(id, message);
      return;
    }
    if (this.clean) {
      // Without a session the broker cannot deliver it again: dropped, counted, and acknowledged
      // so that it does not hold a place in the in-flight window.
      this.countDropped();
      void this.sendPuback?.(id);
      return;
    }
    this.refusing = true;
    this.countRefused();
    void this.buffer.whenSpace().then(() => this.reconnectForRedelivery());
  }

  private countRefused(): void {
    this.refusedSinceCut++;
    this.refusedTotal++;
  }

  /** Reconnects so that the broker delivers the refused (unacknowledged) messages again. */
  private reconnectForRedelivery(): void {
    const client = this.client;
    if (!this.refusing || !client || this.closing) return;
    if (!client.connected) return; // the reconnect under way does it
    this.reconnectingOnPurpose = true;
    // end(), not destroy(): the PUBACKs just written must reach the broker first, or it would
    // deliver those messages again too. A broker that does not close its side is cut off.
    const stream = (client as unknown as ClientInternals).stream;
    stream?.end();
    setTimeout(() => {
      if (client.stream === stream && this.reconnectingOnPurpose) stream?.destroy();
    }, 2000).unref();
  }

  // ------------------------------------------------------------ the base class's hooks

  protected async acknowledge(messages: readonly MqttReceivedMessage[]): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const m of messages) {
      if (m.messageId === undefined || m.session !== this.session || this.held.get(m.messageId) !== m) continue;
      this.held.delete(m.messageId);
      if (this.client?.connected) writes.push(this.ack(m.messageId, m.partition, m.payload));
      // Acknowledged when the broker delivers it again on the resumed session.
      else this.ackLater.add(m.messageId);
    }
    await Promise.all(writes);
  }

  /** Sends the PUBACK of a message, remembering it in case the connection drops it. */
  private ack(id: number, topic: string, payload: Uint8Array): Promise<void> {
    this.acked.set(id, fingerprint(topic, payload));
    return this.sendPuback?.(id) ?? Promise.resolve();
  }

  protected override describeBatch(messages: readonly MqttReceivedMessage[]): Record<string, unknown> {
    const topics: Record<string, number> = {};
    for (const m of messages) topics[m.partition] = (topics[m.partition] ?? 0) + 1;
    const refused = this.refusedSinceCut;
    this.refusedSinceCut = 0;
    return { topics, refused } satisfies MqttBatchMetadata;
  }

  protected pause(): void {
    // Messages still arriving are ignored (see onMessage). The subscription stays: with a
    // persistent session the broker keeps what is published while the job is down.
  }

  protected async disconnect(): Promise<void> {
    const client = this.client;
    this.closing = true;
    this.connected = false;
    if (!client) return;
    await new Promise<void>((resolve) => {
      // A clean DISCONNECT if connected; a broker that does not answer gets the socket closed.
      const force = setTimeout(() => client.end(true, () => resolve()), 3000);
      client.end(!client.connected, () => {
        clearTimeout(force);
        resolve();
      });
    });
    this.client = undefined;
  }
}

/**
 * Makes the PUBACKs of `client` manual: mqtt.js acknowledges a QoS 1 message as soon as it has
 * emitted it; this drops those PUBACKs from its send path (telling mqtt.js they were sent, so that
 * it reads on) and returns the function that sends one for real. Relies on mqtt.js 5's internal
 * `_sendPacket`, the single path of every outgoing packet; checked here so that a change shows.
 */
function installManualPubacks(client: MqttClient): (messageId: number) => Promise<void> {
  const internals = client as unknown as ClientInternals;
  const send = internals._sendPacket;
  if (typeof send !== 'function') {
    throw new Error('mqttStream: this mqtt.js version has no internal _sendPacket; QoS 1 acknowledgements cannot be deferred (mqtt 5.x is required)');
  }
  const ours = new WeakSet<object>();
  internals._sendPacket = function (packet, cb, ...rest) {
    if (packet.cmd === 'puback' && !ours.has(packet)) {
      cb?.();
      return;
    }
    send.call(this, packet, cb, ...rest);
  };
  return (messageId) =>
    new Promise((resolve) => {
      const packet = { cmd: 'puback', messageId, reasonCode: 0 };
      ours.add(packet);
      send.call(internals, packet, () => resolve());
    });
}

/** FNV-1a over a message's topic and bytes: tells a redelivery from a new message reusing its packet id. */
function fingerprint(topic: string, payload: Uint8Array): number {
  let h = 0x811c9dc5 ^ payload.length;
  for (let i = 0; i < topic.length; i++) h = Math.imul(h ^ topic.charCodeAt(i), 0x01000193);
  for (let i = 0; i < payload.length; i++) h = Math.imul(h ^ payload[i]!, 0x01000193);
  return h >>> 0;
}
