/**
 * kafkaStream: records of Kafka topics, read by a kafkajs consumer in a consumer group, with
 * Spark's direct approach to offsets.
 *
 * - Each batch takes, per topic-partition, the records received since the previous batch: a
 *   contiguous offset range, reported in the batch's input metadata as `offsetRanges` (Spark's
 *   `HasOffsetRanges`).
 * - Offsets are committed (`commitOffsets`, auto-commit off) only once every output of the batch
 *   succeeded, as the next offset to read (last offset + 1): at-least-once delivery.
 * - Pull-style flow control: when the memory budget is full the consumer's topics are paused
 *   (kafkajs keeps fetching nothing and heartbeating, so the group session never times out) and
 *   resumed once the buffer has room again. Records are never dropped for lack of memory.
 * - Rebalances: records of partitions this consumer lost and not yet in a batch are discarded
 *   (the new owner reads them from the committed offset); a batch already cut commits only the
 *   partitions still owned; partitions kept across a rebalance resume right after the last
 *   record this stream took. Within one stream no offset range is lost or processed twice.
 * - kafkajs retries broker errors itself; its warnings and errors, and consumer crashes, go to
 *   the listener bus (`onReceiverError`), never to stdout. A crashed consumer is restarted (by
 *   kafkajs, or by the source with backoff when kafkajs gives up).
 */
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka as KafkaClient, KafkaConfig, LogEntry, logLevel as LogLevel } from 'kafkajs';
import type { StreamingContext } from '../../context.js';
import { describe } from '../../errors.js';
import { loadClient } from '../../load-client.js';
import type { Time } from '../../time.js';
import { BrokerInputDStream, type PullSourceOptions } from '../broker/broker-input.js';
import type { RestartBackoff } from '../receiver.js';
import { describeRanges, mergeRanges, offsetRangesOf, partitionKey, type KafkaReceivedMessage, type OffsetRange } from './offsets.js';

/** Options of `ssc.kafkaStream`. */
export interface KafkaStreamOptions extends PullSourceOptions {
  /** Bootstrap brokers, e.g. `'localhost:9092'` or `['k1:9092', 'k2:9092']`. */
  brokers: string | readonly string[];
  /** The topic(s) to read. */
  topics: string | readonly string[];
  /** The consumer group: its committed offsets are where a restarted job resumes. */
  groupId: string;
  /**
   * Where to start in a partition the group has no committed offset for: `'latest'` (default:
   * only records produced from now on, Kafka's and Spark's default) or `'earliest'`.
   */
  startingOffsets?: 'latest' | 'earliest';
  /** The Kafka client id (default `sluice-<appName>`). */
  clientId?: string;
  /**
   * More kafkajs client options: `ssl`, `sasl`, `connectionTimeout`, `requestTimeout`, `retry`,
   * `socketFactory`... The logger is the source's (see the docs).
   */
  client?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logLevel' | 'logCreator'>;
  /**
   * More kafkajs consumer options: `sessionTimeout` (default 30 s), `heartbeatInterval` (3 s),
   * `rebalanceTimeout`, `maxBytesPerPartition`, `maxWaitTimeInMs` (default here 500 ms, Kafka's
   * `fetch.max.wait.ms`, so that a stop does not wait for a long poll), `retry`...
   */
  consumer?: Omit<ConsumerConfig, 'groupId'>;
  /** Delays between the source's restarts of a consumer that kafkajs gave up on (default 500 ms doubling up to 30 s). */
  restartBackoff?: RestartBackoff;
}

/** What `kafkaStream` reports for each batch in its input metadata (`StreamInputInfo.metadata`). */
export interface KafkaBatchMetadata {
  /** Per topic-partition with records in the batch, sorted by topic and partition. */
  offsetRanges: OffsetRange[];
}

export type { OffsetRange, KafkaReceivedMessage } from './offsets.js';

/** Kafka's `fetch.max.wait.ms` default, instead of kafkajs's 5 s. */
const DEFAULT_MAX_WAIT_MS = 500;
/** kafkajs's default session timeout. */
const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
const DEFAULT_BACKOFF: RestartBackoff = { initialDelayMs: 500, maxDelayMs: 30_000 };
/** Consumers started, with backoff, before start() gives up on joining the group the first time. */
const START_ATTEMPTS = 4;
/** How long start() waits, after the group join, for the first fetch (which resolves the starting offsets). */
const FIRST_FETCH_WAIT_MS = 10_000;
/** The same kafkajs message is reported at most once in this many milliseconds. */
const LOG_DEDUPE_MS = 1000;
const EMPTY = new Uint8Array(0);
/**
 * kafkajs logs these in every rebalance (heartbeats and commits refused while the group
 * re-forms); the source handles rebalances itself and reports what matters.
 */
const REBALANCE_MESSAGE = /rebalanc|generation id is not valid|not aware of this member/i;
const REBALANCE_NOISE = new RegExp(`${REBALANCE_MESSAGE.source}|^Crash: |^Restarting the consumer`, 'i');
const REBALANCE_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR_FOR_GROUP']);

export class KafkaInputDStream<T> extends BrokerInputDStream<T, KafkaReceivedMessage> {
  private readonly options: KafkaStreamOptions;
  private readonly brokers: string[];
  private readonly topics: string[];
  private readonly backoff: RestartBackoff;
  private kafka: KafkaClient | undefined;
  /** kafkajs's log levels, once kafkajs is loaded (by connect). */
  private logLevel: typeof LogLevel | undefined;
  private consumer: Consumer | undefined;
  /** Counts consumers created: events of a replaced consumer are ignored. */
  private consumerSeq = 0;
  /** Counts group joins: the epoch a record was received in. */
  private epoch = 0;
  private memberId: string | undefined;
  /** The partitions assigned now, each with the epoch since which it has been assigned without a break. */
  private assigned = new Map<string, number>();
  /** Offsets below this are held by the stream (queued or in a batch) or done: never taken again. */
  private readonly next = new Map<string, number>();
  /** Offsets processed and not committed yet, per owned partition (retried with the next commit). */
  private readonly pending = new Map<string, OffsetRange>();
  /**
   * Offsets processed and not committed, of partitions lost since: committed if this stream gets
   * the partition back and nobody committed past them meanwhile.
   */
  private readonly orphans = new Map<string, OffsetRange>();
  /** Where the consumer started reading each partition in its current assignment (the committed offset then). */
  private readonly fetchStart = new Map<string, number>();
  private readonly revokedRanges: OffsetRange[] = [];
  private commitChain: Promise<void> = Promise.resolve();
  /** The group is re-forming: take nothing until the next join. */
  private rebalancing = false;
  /** The consumer is in the group (false between a crash and the next join). */
  private running = false;
  private pausedForSpace = false;
  private stopped = false;
  /** An error was reported since the consumer was last known to be fine. */
  private troubled = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private rebalanceWatch: NodeJS.Timeout | undefined;
  private restartAttempts = 0;
  private joined = false;
  private firstJoin: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  private lastLog = { text: '', at: 0 };
  private fetched!: () => void;
  private readonly firstFetch = new Promise<void>((resolve) => (this.fetched = resolve));

  constructor(ssc: StreamingContext, options: KafkaStreamOptions) {
    const brokers = typeof options?.brokers === 'string' ? [options.brokers] : [...(options?.brokers ?? [])];
    const topics = typeof options?.topics === 'string' ? [options.topics] : [...(options?.topics ?? [])];
    super(ssc, `kafka:${topics.join(',')}/${options?.groupId}@${brokers[0]}`, options, undefined, options?.maxRatePerPartition);
    if (brokers.length === 0 || brokers.some((b) => typeof b !== 'string' || b.length === 0)) {
      throw new TypeError(`kafkaStream: 'brokers' must be one or more 'host:port' strings, e.g. 'localhost:9092'`);
    }
    if (topics.length === 0 || topics.some((t) => typeof t !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(t))) {
      throw new TypeError(`kafkaStream: 'topics' must be one or more topic names (letters, digits, '.', '_', '-'), got ${JSON.stringify(options.topics)}`);
    }
    if (typeof options.groupId !== 'string' || options.groupId.length === 0) {
      throw new TypeError(`kafkaStream: 'groupId' must be a non-empty string (the consumer group whose committed offsets the job resumes from)`);
    }
    const starting = options.startingOffsets ?? 'latest';
    if (starting !== 'latest' && starting !== 'earliest') {
      throw new TypeError(`kafkaStream: startingOffsets must be 'latest' or 'earliest', got ${JSON.stringify(options.startingOffsets)}`);
    }
    const backoff = options.restartBackoff ?? DEFAULT_BACKOFF;
    if (!(Number.isFinite(backoff.initialDelayMs) && backoff.initialDelayMs > 0 && Number.isFinite(backoff.maxDelayMs) && backoff.maxDelayMs >= backoff.initialDelayMs)) {
      throw new RangeError(`${this.name}: restartBackoff needs 0 < initialDelayMs <= maxDelayMs, got ${backoff.initialDelayMs} and ${backoff.maxDelayMs}`);
    }
    this.options = options;
    this.brokers = brokers;
    this.topics = [...new Set(topics)];
    this.backoff = backoff;
  }

  /**
   * Ranges of records that were processed (their batch's outputs succeeded) but could not be
   * committed because their partition was revoked first (also reported as receiver errors).
   * Another consumer assigned the partition reads them again: Kafka's at-least-once across the
   * consumers of a group. This stream, if it gets the partition back, skips and commits them.
   */
  get revokedBeforeCommit(): readonly OffsetRange[] {
    return this.revokedRanges;
  }

  /** The topic-partitions assigned to this consumer now, as `topic/partition`. */
  get assignment(): string[] {
    return [...this.assigned.keys()].sort();
  }

  // ------------------------------------------------------------ connection

  protected async connect(): Promise<void> {
    // Loaded now rather than with sluice: a job without Kafka never loads kafkajs (CommonJS: its exports are the default).
    const { Kafka, logLevel } = (await loadClient('kafkajs', this.name, () => import('kafkajs'))).default;
    if (this.stopped) return; // stop() came first
    this.logLevel = logLevel;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => undefined);
    this.firstJoin = { promise, resolve, reject };
    this.kafka = new Kafka({
      clientId: this.options.clientId ?? `sluice-${this.ssc.appName}`,
      ...this.options.client,
      brokers: this.brokers,
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => this.onKafkaLog(entry),
    });
    try {
      await this.startConsumer();
    } catch (error) {
      throw new Error(`${this.name}: cannot start the Kafka consumer (brokers ${this.brokers.join(', ')}): ${describe(error)}`, { cause: error });
    }
    // Started once the group assigned partitions and the consumer resolved where it starts reading
    // (its first fetch does): with 'latest', records produced after start() are read.
    try {
      await promise;
    } catch (error) {
      throw new Error(`${this.name}: the Kafka consumer could not join group "${this.options.groupId}": ${describe(error)}`, { cause: error });
    }
    if (this.stopped) return; // stop() came first
    await Promise.race([this.firstFetch, new Promise((resolve) => setTimeout(resolve, FIRST_FETCH_WAIT_MS).unref())]);
  }

  /** Creates, connects and runs a consumer; its first group join is awaited by `run()`. */
  private async startConsumer(): Promise<void> {
    const seq = ++this.consumerSeq;
    const consumer = this.kafka!.consumer({ maxWaitTimeInMs: DEFAULT_MAX_WAIT_MS, ...this.options.consumer, groupId: this.options.groupId });
    this.consumer = consumer;
    const current = () => seq === this.consumerSeq && !this.stopped;
    consumer.on(consumer.events.GROUP_JOIN, (e) => current() && this.onGroupJoin(e.payload.memberId, e.payload.memberAssignment));
    consumer.on(consumer.events.REBALANCING, () => current() && this.onRebalancing());
    consumer.on(consumer.events.CRASH, (e) => current() && this.onCrash(e.payload.error, e.payload.restart));
    consumer.on(consumer.events.HEARTBEAT, () => current() && this.onHealthy());
    consumer.on(consumer.events.FETCH, () => this.joined && this.fetched());
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: this.topics, fromBeginning: (this.options.startingOffsets ?? 'latest') === 'earliest' });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => (current() ? this.onBatch(payload) : Promise.resolve()),
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    if (this.stopped) await consumer.disconnect().catch(() => undefined);
  }

  protected pause(): void {
    // Queued records stay for the last batches (graceful stop); nothing new is taken.
    this.pauseTopics();
  }

  protected async disconnect(): Promise<void> {
    this.stopped = true;
    this.running = false;
    clearTimeout(this.restartTimer);
    clearTimeout(this.rebalanceWatch);
    this.firstJoin?.resolve(); // a start() still waiting gives up quietly
    this.fetched();
    await this.commitChain;
    await this.consumer?.disconnect().catch((error: unknown) => this.reportError(`${this.name}: disconnecting the Kafka consumer failed`, error));
  }

  // ------------------------------------------------------------ receiving

  private async onBatch({ batch, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const key = partitionKey(topic, partition);
    if (!this.isReceiving) {
      this.pauseTopics();
      return;
    }
    // Not resolved: kafkajs fetches these records again from where this stream stands.
    if (this.rebalancing || !this.assigned.has(key)) return;
    if (!this.fetchStart.has(key)) this.startedReading(key, batch);
    const epoch = this.epoch;
    let next = this.next.get(key);
    let full = false;
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) break;
      const offset = Number(m.offset);
      if (next !== undefined && offset < next) {
        // Already taken by this stream (before a rebalance kafkajs restarts from the committed offset).
        resolveOffset(m.offset);
        continue;
      }
      // A copy: kafkajs's value is a view of the whole fetch response, which it would keep alive.
      const payload = m.value ? new Uint8Array(m.value) : EMPTY;
      if (!this.offer({ payload, partition: key, topic, partitionId: partition, offset, epoch })) {
        // Full: this record and the partition's next ones are fetched again after the pause.
        full = true;
        break;
      }
      next = offset + 1;
      this.next.set(key, next);
      resolveOffset(m.offset);
    }
    if (full) this.waitForSpace();
  }

  /**
   * The first fetch of a partition in this assignment starts at the group's committed offset:
   * records this stream processed before losing the partition, at or after it, are committed now
   * (onBatch skips them: they are not processed twice); anything before it, someone else committed.
   */
  private startedReading(key: string, batch: EachBatchPayload['batch']): void {
    const fetched = (batch as { fetchedOffset?: unknown }).fetchedOffset ?? batch.messages[0]?.offset;
    const start = Number(fetched);
    if (!Number.isSafeInteger(start)) return;
    this.fetchStart.set(key, start);
    const orphan = this.orphans.get(key);
    if (!orphan) return;
    this.orphans.delete(key);
    if (start < orphan.untilOffset) {
      this.pending.set(key, mergeRanges(this.pending.get(key), orphan));
      void this.commitPending();
    }
  }

  /** Pauses the topics until the buffer has room (kafkajs goes on heartbeating meanwhile). */
  private waitForSpace(): void {
    if (this.pausedForSpace) return;
    this.pausedForSpace = true;
    this.pauseTopics();
    void this.buffer.whenSpace().then(() => {
      this.pausedForSpace = false;
      if (this.isReceiving && !this.stopped && !this.rebalancing) this.resumeTopics();
    });
  }

  private pauseTopics(): void {
    try {
      this.consumer?.pause(this.topics.map((topic) => ({ topic })));
    } catch {
      // Not running yet (or any more): onBatch refuses records anyway.
    }
  }

  private resumeTopics(): void {
    try {
      this.consumer?.resume(this.topics.map((topic) => ({ topic })));
    } catch {
      // As above.
    }
  }

  // ------------------------------------------------------------ the group

  private onGroupJoin(memberId: string, memberAssignment: Record<string, number[]>): void {
    const assignment = new Map<string, { topic: string; partition: number }>();
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      if (!this.topics.includes(topic)) continue;
      for (const partition of partitions) assignment.set(partitionKey(topic, partition), { topic, partition });
    }
    // Same member id: this consumer took part in every generation since, so a partition in both
    // the old and the new assignment was never anyone else's.
    const sameMember = this.memberId !== undefined && memberId === this.memberId;
    this.memberId = memberId;
    this.epoch++;
    const previous = this.assigned;
    this.revoke([...previous.keys()].filter((k) => !sameMember || !assignment.has(k)));
    const assigned = new Map<string, number>();
    const resume: { topic: string; partition: number; offset: string }[] = [];
    for (const [key, { topic, partition }] of assignment) {
      const kept = sameMember && previous.has(key);
      assigned.set(key, kept ? previous.get(key)! : this.epoch);
      if (!kept) this.fetchStart.delete(key);
      const next = this.next.get(key);
      if (kept && next !== undefined) resume.push({ topic, partition, offset: String(next) });
    }
    this.assigned = assigned;
    this.rebalancing = false;
    this.running = true;
    this.restartAttempts = 0;
    this.joined = true;
    // A kept partition resumes right after what this stream holds (kafkajs would restart from
    // the committed offset, and onBatch skip what it already has).
    for (const position of resume) {
      try {
        this.consumer?.seek(position);
      } catch {
        // onBatch skips the records it already has.
      }
    }
    if (!this.isReceiving || this.pausedForSpace) this.pauseTopics();
    else this.resumeTopics();
    this.onHealthy(true);
    // Commits refused while the group re-formed are retried for the partitions still owned.
    if (this.pending.size > 0) void this.commitPending();
    this.firstJoin?.resolve();
  }

  /**
   * The group is re-forming (kafkajs re-joins, or will at its next heartbeat): nothing queued may
   * go into a batch, and nothing is fetched until the new assignment (paused, kafkajs only
   * heartbeats, which also makes it notice the rebalance soonest).
   */
  private onRebalancing(refusedCommit = false): void {
    this.rebalancing = true;
    this.pauseTopics();
    this.discard(() => true);
    if (!refusedCommit) return;
    // kafkajs re-joins at its next heartbeat, refused as well. Should it not, the stream must not
    // stay paused: after a session timeout it takes records again.
    const epoch = this.epoch;
    clearTimeout(this.rebalanceWatch);
    this.rebalanceWatch = setTimeout(() => {
      if (!this.rebalancing || this.epoch !== epoch || this.stopped || !this.running) return;
      this.rebalancing = false;
      if (this.isReceiving && !this.pausedForSpace) this.resumeTopics();
    }, this.options.consumer?.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT_MS);
    this.rebalanceWatch.unref();
  }

  /** Gives up partitions: their queued records, and their commits not done yet. */
  private revoke(keys: readonly string[]): void {
    if (keys.length === 0) return;
    const revoked = new Set(keys);
    this.discard((m) => revoked.has(m.partition));
    const lost: OffsetRange[] = [];
    for (const key of keys) {
      this.assigned.delete(key);
      this.fetchStart.delete(key);
      const p = this.pending.get(key);
      if (p) {
        this.pending.delete(key);
        lost.push(p);
      }
    }
    this.lostCommits(lost);
  }

  /** Drops queued records; offsets from the first dropped one of a partition may be taken again. */
  private discard(drop: (m: KafkaReceivedMessage) => boolean): void {
    for (const m of this.buffer.discardQueued(drop)) {
      const next = this.next.get(m.partition);
      if (next === undefined || m.offset < next) this.next.set(m.partition, m.offset);
    }
  }

  private onCrash(error: Error, restartedByKafkajs: boolean): void {
    this.running = false;
    this.troubled = true;
    // kafkajs left the group: every partition is lost, whoever gets it next.
    this.rebalancing = true;
    this.memberId = undefined;
    this.revoke([...this.assigned.keys()]);
    if (restartedByKafkajs) {
      this.reportError(`${this.name}: the Kafka consumer crashed; kafkajs restarts it`, error);
      return;
    }
    this.restartLater(error, 'the Kafka consumer crashed and kafkajs gave up; restarting it in');
  }

  /** Restarts the consumer with backoff after `error`, reported as `what` and the delay; or fails start(). */
  private restartLater(error: unknown, what: string): void {
    if (!this.joined && this.restartAttempts >= START_ATTEMPTS - 1) {
      // Never joined, again and again: a configuration or authorization problem; start() fails.
      this.firstJoin?.reject(error);
      return;
    }
    const delay = Math.min(this.backoff.initialDelayMs * 2 ** this.restartAttempts, this.backoff.maxDelayMs);
    this.restartAttempts++;
    this.reportError(`${this.name}: ${what} ${delay} ms`, error);
    this.scheduleRestart(delay);
  }

  private scheduleRestart(delay: number): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      this.startConsumer().catch((error: unknown) => {
        if (!this.stopped) this.restartLater(error, 'restarting the Kafka consumer failed; retrying in');
      });
    }, delay);
  }

  /** The consumer is known to work again (a heartbeat or a join succeeded). */
  private onHealthy(joined = false): void {
    if (!this.troubled) return;
    this.troubled = false;
    if (joined || this.running) this.reportConnected();
  }

  private onKafkaLog(entry: LogEntry): void {
    const logLevel = this.logLevel!; // set before the client that logs was created
    if (entry.level > logLevel.WARN || this.stopped) return;
    const { message, error } = entry.log as { message?: unknown; error?: unknown };
    const msg = String(message ?? '');
    const err = error === undefined ? '' : String(error instanceof Error ? error.message : error);
    const text = err && !msg.includes(err) ? `${msg}: ${err}` : msg;
    if (REBALANCE_NOISE.test(text)) return;
    const now = Date.now();
    if (text === this.lastLog.text && now - this.lastLog.at < LOG_DEDUPE_MS) return;
    this.lastLog = { text, at: now };
    if (entry.level <= logLevel.ERROR) this.troubled = true;
    this.reportError(`${this.name}: kafkajs ${entry.level <= logLevel.ERROR ? 'error' : 'warning'} (${entry.namespace || entry.label}): ${text}`);
  }

  // ------------------------------------------------------------ batches and commits

  protected override describeBatch(messages: readonly KafkaReceivedMessage[]): Record<string, unknown> {
    const metadata: KafkaBatchMetadata = { offsetRanges: offsetRangesOf(messages) };
    return metadata as unknown as Record<string, unknown>;
  }

  protected override partitionCount(): number {
    return this.assigned.size;
  }

  protected async acknowledge(messages: readonly KafkaReceivedMessage[], time: Time): Promise<void> {
    const committable: KafkaReceivedMessage[] = [];
    const revoked: KafkaReceivedMessage[] = [];
    for (const m of messages) (this.committable(m) ? committable : revoked).push(m);
    for (const r of offsetRangesOf(committable)) {
      const key = partitionKey(r.topic, r.partition);
      this.pending.set(key, mergeRanges(this.pending.get(key), r));
    }
    this.lostCommits(offsetRangesOf(revoked), time);
    await this.commitPending();
  }

  /**
   * A record may be committed if its partition has been assigned here ever since it was received,
   * or was got back and read from a committed offset not past it (committing it moves forward).
   */
  private committable(m: KafkaReceivedMessage): boolean {
    const since = this.assigned.get(m.partition);
    if (since === undefined) return false;
    if (since <= m.epoch) return true;
    const start = this.fetchStart.get(m.partition);
    return start !== undefined && start <= m.offset + 1;
  }

  /** Commits the pending offsets of owned partitions; commits are serialized so none goes backwards. */
  private commitPending(): Promise<void> {
    const run = this.commitChain.then(() => this.flushCommits());
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  private async flushCommits(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || !this.running) return;
    const entries = [...this.pending.entries()].filter(([key]) => this.assigned.has(key));
    if (entries.length === 0) return;
    const epoch = this.epoch;
    try {
      await consumer.commitOffsets(entries.map(([, r]) => ({ topic: r.topic, partition: r.partition, offset: String(r.untilOffset) })));
    } catch (error) {
      if (isRebalanceError(error)) {
        // Refused while the group re-forms: kept, and committed after the join for the
        // partitions this consumer keeps. (A commit sent before the last join is simply retried.)
        if (epoch === this.epoch) this.onRebalancing(true);
        else void this.commitPending();
        return;
      }
      this.reportError(
        `${this.name}: committing offsets up to ${describeRanges(entries.map(([, r]) => r))} failed; retried with the next commit (a restart before then reads them again)`,
        error,
      );
      return;
    }
    for (const [key, r] of entries) if (this.pending.get(key) === r) this.pending.delete(key);
  }

  /**
   * Records processed that cannot be committed: their partition was revoked first. Kept as
   * orphans, committed if this stream gets the partition back (see startedReading).
   */
  private lostCommits(ranges: readonly OffsetRange[], time?: Time): void {
    if (ranges.length === 0) return;
    this.revokedRanges.push(...ranges);
    for (const r of ranges) {
      const key = partitionKey(r.topic, r.partition);
      this.orphans.set(key, mergeRanges(this.orphans.get(key), r));
    }
    const n = ranges.reduce((sum, r) => sum + r.untilOffset - r.fromOffset, 0);
    this.reportError(
      `${this.name}: ${n} record(s) ${time === undefined ? '' : `of batch ${time} `}were processed but not committed: their partitions were revoked first (${describeRanges(ranges)}). Another consumer assigned them reads them again (at-least-once); this stream, if it gets them back, skips and commits them`,
    );
  }
}

/** A commit refused because the group is re-forming (or this member left it). */
function isRebalanceError(error: unknown): boolean {
  for (let e = error as { type?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.type === 'string' && REBALANCE_ERRORS.has(e.type)) return true;
    if (typeof e.message === 'string' && REBALANCE_MESSAGE.test(e.message)) return true;
  }
  return false;
}
