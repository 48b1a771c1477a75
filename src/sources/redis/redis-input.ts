/**
 * redisStream: entries of a Redis stream, read as one consumer of a consumer group.
 *
 * - XGROUP CREATE (MKSTREAM) at start; an existing group is joined as it is.
 * - The consumer first re-reads its own pending entries (`XREADGROUP ... 0`): what a crashed run
 *   of the same consumer read and never acknowledged is processed again. Then it reads new
 *   entries with `XREADGROUP ... BLOCK ... >`, as many as the memory budget can take.
 * - Entries are acknowledged (XACK) only once every output of their batch succeeded.
 * - Pending entries of other consumers idle for `claimIdleMs` (a consumer that died) are taken
 *   over with XAUTOCLAIM, periodically. Entries this consumer holds are kept fresh (XCLAIM
 *   JUSTID), so a slow batch is not taken over by others while the source is alive.
 * - The blocking read has its own connection; acks and claims use a second one. Both reconnect
 *   with backoff; after a reconnection the consumer re-reads its pending entries, since a reply
 *   lost with the connection may have left entries delivered to it but never received.
 */
import type { createClient, RESP_TYPES } from 'redis';
import type { StreamingContext } from '../../context.js';
import { describe } from '../../errors.js';
import { loadClient } from '../../load-client.js';
import { BrokerInputDStream, positiveInteger, withTimeout, type PullSourceOptions } from '../broker/broker-input.js';
import type { ReceivedMessage } from '../flow/ingest-buffer.js';

/** Options of `ssc.redisStream`. */
export interface RedisStreamOptions extends PullSourceOptions {
  /** The server, e.g. `'redis://127.0.0.1:6379'` (`redis://user:password@host:port/db`, `rediss://` for TLS). */
  url: string;
  /** The stream's key. Created (empty) with the group if missing. */
  stream: string;
  /** The consumer group. Created if missing. */
  group: string;
  /**
   * This consumer's name within the group. Keep it stable across restarts: a restarted consumer
   * re-reads the entries it had not acknowledged.
   */
  consumer: string;
  /** Where a group created now starts: `'$'` (default: new entries only) or `'0'` (the whole stream), or an entry id. */
  startId?: string;
  /**
   * The entry field holding the record's payload (default `'data'`): `XADD key * data '{"a":1}'`.
   * `null`: the payload is all the entry's fields as a JSON object of strings (`{"a":"1","b":"x"}`),
   * for `format: 'json'`. An entry without the field has an empty payload.
   */
  field?: string | null;
  /** Most entries one read asks for (default 1,000); fewer when the memory budget is nearly full. */
  readCount?: number;
  /** How long one blocking read waits for new entries, in ms (default 1000). */
  blockMs?: number;
  /**
   * Pending entries idle this long (ms) belong to a consumer presumed dead and are taken over
   * with XAUTOCLAIM (default 30,000). Must be longer than the longest a live consumer takes
   * from reading an entry to acknowledging it, in other jobs of the group that do not keep
   * their entries fresh. `false`: never take over entries.
   */
  claimIdleMs?: number | false;
  /** Reconnection backoff: first delay and maximum, in ms (default 100 ms doubling up to 2 s). Retried forever once connected. */
  reconnectBackoff?: { initialMs?: number; maxMs?: number };
}

/** One received stream entry. */
export interface RedisReceivedMessage extends ReceivedMessage {
  /** Its entry id, e.g. `'1718000000000-0'`. */
  readonly id: string;
  /** True when it was taken over from another consumer (XAUTOCLAIM). */
  readonly claimed: boolean;
}

/** What `redisStream` reports for each batch in its input metadata. */
export interface RedisBatchMetadata {
  stream: string;
  group: string;
  consumer: string;
  /** Lowest and highest entry id in the batch (absent when it is empty). */
  firstId?: string;
  lastId?: string;
  count: number;
  /** Entries of the batch taken over from other consumers. */
  claimed: number;
}

type RawEntry = [id: Buffer, fields: Buffer[] | null];
type Client = ReturnType<typeof createClient<Record<string, never>, Record<string, never>, Record<string, never>, 2>>;

type RedisApi = typeof import('redis');

/** Command options that make replies' strings Buffers (the entries' fields may be binary). */
const buffersOption = (types: typeof RESP_TYPES) => ({ typeMapping: { [types.BLOB_STRING]: Buffer } }) as const;

const encoder = new TextEncoder();
const DEFAULT_READ_COUNT = 1_000;
const DEFAULT_CLAIM_IDLE_MS = 30_000;
/** Acks and claims give up after this long (the entries stay pending, and come back). */
const COMMAND_TIMEOUT_MS = 10_000;

export class RedisStreamInputDStream<T> extends BrokerInputDStream<T, RedisReceivedMessage> {
  private readonly options: RedisStreamOptions;
  private readonly readCount: number;
  private readonly blockMs: number;
  private readonly claimIdleMs: number | false;
  private readonly field: string | null;
  /** The client library, once loaded (by connect). */
  private redis: RedisApi | undefined;
  /** See {@link buffersOption}; set with {@link redis}. */
  private buffers: ReturnType<typeof buffersOption> | undefined;
  private reader: Client | undefined;
  private commander: Client | undefined;
  /** Ids offered and not acknowledged yet. */
  private readonly held = new Set<string>();
  private reading = false;
  private connected = false;
  /** Set when the next read must start with this consumer's pending entries. */
  private rereadPending = true;
  private loop: Promise<void> | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private tick: Promise<void> | undefined;

  constructor(ssc: StreamingContext, options: RedisStreamOptions) {
    super(ssc, `redis:${options.stream}/${options.group}/${options.consumer}@${redactUrl(options.url)}`, options, options.maxRatePerPartition, options.maxRatePerPartition);
    for (const key of ['url', 'stream', 'group', 'consumer'] as const) {
      if (typeof options[key] !== 'string' || options[key].length === 0) throw new TypeError(`redisStream: '${key}' must be a non-empty string`);
    }
    this.options = options;
    this.readCount = positiveInteger(options.readCount, DEFAULT_READ_COUNT, 'readCount', this.name);
    this.blockMs = positiveInteger(options.blockMs, 1000, 'blockMs', this.name);
    this.claimIdleMs = options.claimIdleMs === false ? false : positiveInteger(options.claimIdleMs, DEFAULT_CLAIM_IDLE_MS, 'claimIdleMs', this.name);
    this.field = options.field === undefined ? 'data' : options.field;
  }

  // ------------------------------------------------------------ connection and setup

  protected async connect(): Promise<void> {
    // Loaded now rather than with sluice: a job without Redis never loads the Redis client.
    const redis = await loadClient('redis', this.name, () => import('redis'));
    if (!this.isReceiving) return; // a stop came first
    this.redis = redis;
    this.buffers = buffersOption(redis.RESP_TYPES);
    this.reader = this.client('reader', true);
    this.commander = this.client('acks', false);
    try {
      await Promise.all([this.reader.connect(), this.commander.connect()]);
    } catch (error) {
      throw new Error(`${this.name}: cannot connect to Redis at ${redactUrl(this.options.url)}: ${describe(error)}`, { cause: error });
    }
    this.connected = true;
    await this.createGroup(this.options.startId ?? '$');
    this.reading = true;
    this.loop = this.readLoop();
    const period = Math.max(50, Math.floor((this.claimIdleMs === false ? 30_000 : this.claimIdleMs) / 3));
    this.ticker = setInterval(() => {
      this.tick ??= this.maintain().finally(() => (this.tick = undefined));
    }, period);
    this.ticker.unref();
  }

  private client(role: string, reportsConnection: boolean): Client {
    const initial = this.options.reconnectBackoff?.initialMs ?? 100;
    const max = this.options.reconnectBackoff?.maxMs ?? 2000;
    let everReady = false;
    const client = this.redis!.createClient({
      url: this.options.url,
      RESP: 2,
      name: `sluice-${role}`,
      socket: {
        connectTimeout: 5000,
        reconnectStrategy: (retries: number, cause: Error) => {
          // The first connection fails fast, so that start() reports a wrong address.
          if (!everReady) return retries >= 2 ? cause : 200;
          return Math.min(initial * 2 ** Math.min(retries, 20), max) + Math.floor(Math.random() * initial);
        },
      },
    }) as unknown as Client;
    client.on('ready', () => {
      everReady = true;
      if (!reportsConnection) return;
      if (!this.connected && this.reading) {
        this.connected = true;
        this.rereadPending = true;
        this.wakeLoop();
        this.reportConnected();
      }
    });
    client.on('error', (error: unknown) => {
      if (!reportsConnection || !this.reading) return;
      const was = this.connected;
      this.connected = false;
      this.reportError(was ? `${this.name}: lost the connection to Redis; reconnecting` : `${this.name}: reconnecting to Redis failed; retrying`, error);
    });
    return client;
  }

  private async createGroup(startId: string): Promise<void> {
    const { stream, group } = this.options;
    try {
      await this.commander!.sendCommand(['XGROUP', 'CREATE', stream, group, startId, 'MKSTREAM']);
    } catch (error) {
      if (/BUSYGROUP/.test(describe(error))) return; // it exists: join it
      throw new Error(`${this.name}: cannot create consumer group "${group}" on stream "${stream}": ${describe(error)}`, { cause: error });
    }
  }

  // ------------------------------------------------------------ reading

  private async readLoop(): Promise<void> {
    const { stream, group, consumer } = this.options;
    let failures = 0;
    let cursor = '0';
    while (this.reading) {
      while (this.reading && this.buffer.bytes >= this.buffer.maxBytes / 2) await this.untilSpace();
      if (!this.reading) break;
      if (this.rereadPending) {
        this.rereadPending = false;
        cursor = '0';
      }
      const pendingPhase = cursor !== '>';
      const args = ['XREADGROUP', 'GROUP', group, consumer, 'COUNT', String(this.readSize())];
      if (!pendingPhase) args.push('BLOCK', String(this.blockMs));
      args.push('STREAMS', stream, cursor);
      try {
        const reply = (await this.reader!.sendCommand(args, this.buffers)) as [Buffer, RawEntry[]][] | null;
        failures = 0;
        const entries = reply?.[0]?.[1] ?? [];
        if (pendingPhase) cursor = entries.length === 0 ? '>' : entries[entries.length - 1]![0].toString();
        if (!this.reading) break; // read after a stop began: they stay pending for the next run
        for (const entry of entries) await this.take(entry, false);
      } catch (error) {
        if (!this.reading) break;
        failures++;
        if (/NOGROUP/.test(describe(error))) {
          // The server lost the stream or the group (restarted without persistence, or deleted).
          this.reportError(`${this.name}: consumer group "${group}" of stream "${stream}" is gone; creating it again`, error);
          await this.createGroup('0').catch((e: unknown) => this.reportError(`${this.name}: re-creating the group failed`, e));
        } else if (this.connected && this.reader?.isReady) {
          // (A read failing with the connection is reported as the connection's loss.)
          this.reportError(`${this.name}: reading stream "${stream}" failed; retrying`, error);
        }
        // A reply lost with the connection leaves entries pending for this consumer: read them.
        cursor = '0';
        await this.pauseFor(this.retryDelay(failures));
      }
    }
  }

  /** How many entries the next read may ask for: what the free memory holds, at the average size seen. */
  private readSize(): number {
    return this.messagesThatFit(this.readCount);
  }

  /** Offers one entry, waiting for memory if the budget is full (a read is bounded by `readSize`). */
  private async take([rawId, fields]: RawEntry, claimed: boolean): Promise<void> {
    const id = rawId.toString();
    if (this.held.has(id)) return; // already ours, in a batch or queued
    if (fields === null) {
      // Deleted (XDEL, trimmed) while pending: nothing to process.
      void this.ack([id]).catch(() => undefined);
      return;
    }
    const payload = this.payloadOf(fields);
    const message: RedisReceivedMessage = { payload, id, claimed };
    this.noteMessageSize(payload.byteLength);
    this.held.add(id);
    // Stopped while waiting for memory: it stays pending for this consumer, and is read again next time.
    if (!this.offer(message) && !(await this.offerWhenSpace(message, () => this.reading))) this.held.delete(id);
  }

  /** The entry's payload, in memory of its own (a reply's buffers may be views into a larger one). */
  private payloadOf(fields: Buffer[]): Uint8Array {
    if (this.field === null) {
      const object: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) object[fields[i]!.toString()] = fields[i + 1]!.toString();
      return encoder.encode(JSON.stringify(object));
    }
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString() === this.field) return new Uint8Array(fields[i + 1]!);
    return new Uint8Array(0);
  }

  // ------------------------------------------------------------ claiming and keeping entries

  /** Runs periodically: keeps held entries fresh, then takes over dead consumers' entries. */
  private async maintain(): Promise<void> {
    if (!this.reading || !this.connected) return;
    try {
      await this.refreshHeld();
      if (this.claimIdleMs !== false) await this.autoclaim(this.claimIdleMs);
    } catch (error) {
      if (this.reading && this.connected) this.reportError(`${this.name}: claiming pending entries failed; retrying`, error);
    }
  }

  /** Resets the idle time of the entries this consumer holds, so no other consumer takes them over. */
  private async refreshHeld(): Promise<void> {
    const { stream, group, consumer } = this.options;
    const ids = [...this.held];
    for (let i = 0; i < ids.length && this.reading; i += 1000) {
      await this.commander!.sendCommand(['XCLAIM', stream, group, consumer, '0', ...ids.slice(i, i + 1000), 'JUSTID'], { timeout: COMMAND_TIMEOUT_MS });
    }
  }

  private async autoclaim(minIdleMs: number): Promise<void> {
    const { stream, group, consumer } = this.options;
    let start = '0-0';
    do {
      if (this.buffer.bytes >= this.buffer.maxBytes / 2) return; // no memory: claim on a later round
      const reply = (await this.commander!.sendCommand(
        ['XAUTOCLAIM', stream, group, consumer, String(minIdleMs), start, 'COUNT', String(this.readSize())],
        { ...this.buffers, timeout: COMMAND_TIMEOUT_MS },
      )) as [Buffer, (RawEntry | null)[], Buffer[]?];
      start = reply[0].toString();
      for (const entry of reply[1]) {
        if (!this.reading) return;
        if (entry) await this.take(entry, true);
      }
    } while (start !== '0-0' && this.reading);
  }

  // ------------------------------------------------------------ acks and stopping

  protected async acknowledge(messages: readonly RedisReceivedMessage[]): Promise<void> {
    const ids = messages.map((m) => m.id);
    try {
      for (let i = 0; i < ids.length; i += 10_000) await this.ack(ids.slice(i, i + 10_000));
    } finally {
      // Acknowledged, or left pending for a later re-read: either way no longer held here.
      for (const id of ids) this.held.delete(id);
    }
  }

  private async ack(ids: string[]): Promise<void> {
    const { stream, group } = this.options;
    await this.commander!.sendCommand(['XACK', stream, group, ...ids], { timeout: COMMAND_TIMEOUT_MS });
  }

  protected override describeBatch(messages: readonly RedisReceivedMessage[]): RedisBatchMetadata & Record<string, unknown> {
    const { stream, group, consumer } = this.options;
    const meta: RedisBatchMetadata & Record<string, unknown> = { stream, group, consumer, count: messages.length, claimed: 0 };
    if (messages.length === 0) return meta;
    let first = messages[0]!.id;
    let last = first;
    for (const m of messages) {
      // first <= last: an id below first cannot be above last.
      if (compareIds(m.id, first) < 0) first = m.id;
      else if (compareIds(m.id, last) > 0) last = m.id;
      if (m.claimed) meta.claimed++;
    }
    meta.firstId = first;
    meta.lastId = last;
    return meta;
  }

  protected pause(): void {
    // The blocked read returns within blockMs; what it brings stays pending for the next run.
    this.reading = false;
    this.wakeLoop();
  }

  protected async disconnect(): Promise<void> {
    this.reading = false;
    clearInterval(this.ticker);
    this.wakeLoop();
    // Unblocks the read at once; entries it would bring stay pending for this consumer.
    try {
      this.reader?.destroy();
    } catch {
      // Never connected, or already closed.
    }
    await this.loop;
    await this.tick;
    this.held.clear();
    const commander = this.commander;
    this.reader = this.commander = undefined;
    if (commander?.isOpen) {
      try {
        await withTimeout(commander.close(), 5000);
      } catch {
        commander.destroy();
      }
    } else {
      try {
        commander?.destroy();
      } catch {
        // Never connected, or already closed.
      }
    }
  }
}

/** Orders stream entry ids (`<ms>-<seq>`) numerically. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const s = BigInt(as) - BigInt(bs);
  return s === 0n ? 0 : s < 0n ? -1 : 1;
}

/** The URL without its password, for names and errors. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_m, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : auth}@`);
}
