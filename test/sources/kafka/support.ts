/** Shared by the Kafka suites: contexts running a kafkaStream, and what they saw. */
import kafkajs from 'kafkajs';
import type { Admin, PartitionAssigner } from 'kafkajs';
import { Milliseconds, StreamingContext, type BatchInfo } from '../../../src/index.js';
import type { KafkaBatchMetadata, KafkaInputDStream, KafkaStreamOptions, OffsetRange } from '../../../src/sources/kafka/kafka-input.js';
import { inputOf, recordEvents, type Recorded } from '../helpers.js';
import { PARTITIONS } from './mock-cluster.js';

const { Kafka, logLevel, PartitionAssigners } = kafkajs;

/**
 * kafkajs's round-robin assigner, whose leader waits 150 ms before sending its SyncGroup. The mock
 * coordinator completes a sync as soon as the leader's SyncGroup (with every assignment) arrives
 * and answers a follower's later SyncGroup with INVALID_REQUEST (a real broker hands the follower
 * its stored assignment), which crashes that consumer. With both consumers of a rebalance test in
 * one busy event loop the follower is sometimes later; the delay makes it sync first.
 */
export const slowLeaderRoundRobin: PartitionAssigner = (config) => {
  const roundRobin = PartitionAssigners.roundRobin(config);
  return {
    ...roundRobin,
    async assign(group) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return roundRobin.assign(group);
    },
  };
};

/**
 * Consumer settings for the mock cluster: its group coordinator makes a joining member wait
 * `sessionTimeout − 1 s` for the others (kafkajs's default 30 s would take 29 s), and heartbeats
 * must come well within the session.
 */
export const FAST_GROUP = { sessionTimeout: 3000, heartbeatInterval: 250, maxWaitTimeInMs: 200, partitionAssigners: [slowLeaderRoundRobin] };

/**
 * kafkajs retries with every field set: kafkajs picks other defaults when NODE_ENV is 'test'
 * (vitest sets it), which would make the suites unrepresentative.
 */
export const RETRY = { initialRetryTime: 100, maxRetryTime: 1000, retries: 10, factor: 0.2, multiplier: 2 } as const;

export interface Job<T> {
  ssc: StreamingContext;
  stream: KafkaInputDStream<T>;
  events: Recorded;
  /** Records of every batch whose output ran to the end, in order. */
  records: T[];
  /** The records of each batch by batch time. */
  byTime: Map<number, T[]>;
}

export interface JobOptions<T> {
  batchInterval?: number;
  maxTaskFailures?: number;
  /** Runs in the output for each batch's records; a throw fails the batch. */
  output?: (records: T[], time: number) => void | Promise<void>;
}

/** A context reading `options` with a recording output; registered in `contexts` for cleanup. */
export function kafkaJob<T = string>(contexts: StreamingContext[], options: KafkaStreamOptions, o: JobOptions<T> = {}): Job<T> {
  const ssc = new StreamingContext({ batchInterval: Milliseconds(o.batchInterval ?? 100), maxTaskFailures: o.maxTaskFailures ?? 4 });
  contexts.push(ssc);
  const events = recordEvents(ssc);
  const stream = ssc.kafkaStream<T>({
    ...options,
    consumer: { ...FAST_GROUP, ...options.consumer },
    client: { retry: RETRY, ...options.client },
  }) as KafkaInputDStream<T>;
  const job: Job<T> = { ssc, stream, events, records: [], byTime: new Map() };
  stream.foreachRDD(async (batch, time) => {
    const records = batch.collect();
    await o.output?.(records, time);
    job.records.push(...records);
    job.byTime.set(time, records);
  });
  return job;
}

export const rangesOf = (b: BatchInfo): OffsetRange[] => (inputOf(b).metadata as unknown as KafkaBatchMetadata).offsetRanges ?? [];

/** Values `from`..`to − 1` as strings: value v goes to partition v % 4 at offset ⌊v / 4⌋ (see `produce`). */
export const values = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => String(from + i));
export const partitionOfValue = (v: number): number => v % PARTITIONS;
export const offsetOfValue = (v: number): number => Math.floor(v / PARTITIONS);

/** An admin client, to read committed offsets. */
export async function adminFor(brokers: string[]): Promise<Admin> {
  const admin = new Kafka({ clientId: 'sluice-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  return admin;
}

/** The group's committed offset of each partition of `topic` (0 when none). */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<number[]> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const out = new Array<number>(PARTITIONS).fill(0);
  for (const p of t?.partitions ?? []) out[p.partition] = Math.max(0, Number(p.offset));
  return out;
}

/** Polls an async condition. */
export async function eventually(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
