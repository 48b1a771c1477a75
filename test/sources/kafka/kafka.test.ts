// kafkaStream against a real Kafka-protocol broker: librdkafka's mock cluster, run by kcat (see
// mock-cluster.ts; under CI=true a missing kcat fails the suite). Every test has its own topic
// and consumer group on one cluster. Joining a group on the mock takes 3 s (its
// group.initial.rebalance.delay) and the tests mostly wait, so they run concurrently.
// CI (CI=true) and SLUICE_LONG_TESTS=1 run the backpressure overload for 30 s instead of 5 s; KAFKA_DEBUG=1 prints
// the backpressure test's delays and rates and the steady-rebalance test's duplicates.
import type { Admin, Producer } from 'kafkajs';
import { afterAll, beforeAll, it } from 'vitest';
import type { StreamingContext } from '../../../src/index.js';
import type { KafkaReceivedMessage } from '../../../src/sources/kafka/kafka-input.js';
import { MemoryDeadLetterSink } from '../../../src/sources/decode/dead-letter.js';
import { rejectionOf, sleep } from '../../support/async.js';
import { describeWithKcat, PARTITIONS, produce, produceRange, producerFor, proxiedNetwork, startMockCluster, type MockCluster } from './mock-cluster.js';
import { counts, inputOf, totalOf } from '../helpers.js';
import { adminFor, committedOffsets, eventually, kafkaJob, offsetOfValue, partitionOfValue, rangesOf, values } from './support.js';

/** The 30 s overload of the backpressure test: in CI, or on request. */
const LONG_RUN = process.env.CI === 'true' || process.env.SLUICE_LONG_TESTS === '1';

const run = `${process.pid}_${Date.now().toString(36)}`;
let serial = 0;
const fresh = () => {
  const n = ++serial;
  return { topic: `sluice_${run}_${n}`, groupId: `job_${run}_${n}` };
};

describeWithKcat('kafkaStream (mock cluster)', () => {
  let cluster: MockCluster;
  let producer: Producer;
  let admin: Admin;
  const contexts: StreamingContext[] = [];

  beforeAll(async () => {
    cluster = await startMockCluster();
    producer = await producerFor(cluster.brokers);
    admin = await adminFor(cluster.brokers);
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.stop().catch(() => undefined)));
    await producer?.disconnect();
    await admin?.disconnect();
    await cluster?.stop();
  });

  it('delivers 5,000 records over 4 partitions exactly once, in contiguous offset ranges', async ({ expect }) => {
    const { topic, groupId } = fresh();
    const N = 5000;
    await produceRange(producer, topic, 0, 2000);
    const job = kafkaJob(contexts, { brokers: cluster.brokers, topics: topic, groupId, startingOffsets: 'earliest' }, { batchInterval: 100 });
    await job.ssc.start();
    for (let from = 2000; from < N; from += 250) {
      await produceRange(producer, topic, from, from + 250);
      await sleep(40);
    }
    const deadline = Date.now() + 15_000;
    while (job.records.length < N && Date.now() < deadline) await sleep(20);
    await job.ssc.stop({ graceful: true });

    const seen = counts(job.records);
    expect(seen.size).toBe(N);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    expect(job.events.errors()).toEqual([]);

    // Offset ranges: per partition, contiguous from 0 to what was produced, and each batch's
    // ranges hold exactly its records (value v is at partition v % 4, offset ⌊v / 4⌋).
    const batches = job.events.batches.filter((b) => b.numRecords > 0);
    expect(batches.length).toBeGreaterThan(5);
    const next = new Array<number>(PARTITIONS).fill(0);
    for (const b of batches) {
      const ranges = rangesOf(b);
      expect(ranges.reduce((s, r) => s + r.untilOffset - r.fromOffset, 0)).toBe(b.numRecords);
      const expected: string[] = [];
      for (const r of ranges) {
        expect(r.topic).toBe(topic);
        expect(r.fromOffset).toBe(next[r.partition]);
        next[r.partition] = r.untilOffset;
        for (let o = r.fromOffset; o < r.untilOffset; o++) expected.push(String(o * PARTITIONS + r.partition));
      }
      expect([...(job.byTime.get(b.batchTime) ?? [])].sort()).toEqual(expected.sort());
    }
    expect(next).toEqual(new Array(PARTITIONS).fill(N / PARTITIONS));
  });

  it('commits offsets only after the outputs succeed: a failed batch is read again, a committed one never', async ({ expect }) => {
    const { topic, groupId } = fresh();
    const options = { brokers: cluster.brokers, topics: topic, groupId };
    await produceRange(producer, topic, 0, 200);
    // Job A: its output succeeds for records 0..199 and fails for good from 200 on.
    const notAhead: boolean[] = [];
    const a = kafkaJob(contexts, { ...options, startingOffsets: 'earliest' }, {
      maxTaskFailures: 1,
      output: async (records) => {
        if (records.some((r) => Number(r) >= 200)) throw new Error('sink down');
        // While the output runs, nothing of its batch is committed yet.
        const committed = await committedOffsets(admin, groupId, topic);
        for (const r of records) notAhead.push(committed[partitionOfValue(Number(r))]! <= offsetOfValue(Number(r)));
      },
    });
    await a.ssc.start();
    await eventually(async () => (await committedOffsets(admin, groupId, topic)).every((o) => o === 50), 'job A to commit 200 records');
    expect(a.records.length).toBe(200);
    expect(notAhead.length).toBe(200);
    expect(notAhead.every(Boolean)).toBe(true);

    await produceRange(producer, topic, 200, 300);
    expect(String(await rejectionOf(a.ssc.awaitTermination()))).toMatch(/sink down/);
    expect(await committedOffsets(admin, groupId, topic)).toEqual([50, 50, 50, 50]);

    // Job B, same group: it resumes from the committed offsets ('latest' applies only to
    // partitions without one): the failed records again, nothing committed before.
    const b = kafkaJob(contexts, { ...options, startingOffsets: 'latest' });
    await b.ssc.start();
    await eventually(() => b.records.length >= 100, 'job B to read the 100 uncommitted records');
    await sleep(300);
    await b.ssc.stop({ graceful: true });
    expect([...b.records].sort()).toEqual(values(200, 300).sort());
    expect(await committedOffsets(admin, groupId, topic)).toEqual([75, 75, 75, 75]);
  });

  it('counts malformed records and dead-letters them (json with a schema)', async ({ expect }) => {
    const { topic, groupId } = fresh();
    const good = (i: number) => JSON.stringify({ id: i, name: `n${i}` });
    const kinds = ['good', 'good', 'broken', 'good', 'null', 'good', 'wrong type', 'good', 'oversize', 'good'] as const;
    const payloads = Array.from({ length: 300 }, (_, i) => {
      switch (kinds[i % kinds.length]) {
        case 'broken':
          return `{"id": ${i}, "name": `;
        case 'null':
          return null;
        case 'wrong type':
          return `{"id": "x${i}", "name": "n${i}"}`;
        case 'oversize':
          return JSON.stringify({ id: i, name: 'x'.repeat(300) });
        default:
          return good(i);
      }
    });
    const bad = payloads.filter((_, i) => kinds[i % kinds.length] !== 'good');
    await produce(producer, topic, payloads);
    const deadLetter = new MemoryDeadLetterSink();
    const job = kafkaJob<{ id: number; name: string }>(contexts, {
      brokers: cluster.brokers,
      topics: topic,
      groupId,
      startingOffsets: 'earliest',
      format: 'json',
      schema: { id: 'u32', name: 'utf8' },
      maxMessageBytes: 200,
      deadLetter,
    });
    await job.ssc.start();
    await eventually(() => job.records.length >= 180 && deadLetter.records.length >= 120, 'every record, good or bad');
    await job.ssc.stop({ graceful: true });

    expect(job.records.map((r) => r.id).sort((x, y) => x - y)).toEqual(
      payloads.flatMap((p, i) => (kinds[i % kinds.length] === 'good' ? [i] : [])),
    );
    expect(job.records.every((r) => r.name === `n${r.id}`)).toBe(true);
    const infos = job.events.inputs();
    expect(totalOf(infos, 'malformedRecords')).toBe(bad.length);
    expect(totalOf(infos, 'deadLetteredRecords')).toBe(bad.length);
    expect(deadLetter.records.map((d) => Buffer.from(d.raw).toString()).sort()).toEqual(bad.map((p) => p ?? '').sort());
    expect(deadLetter.records.every((d) => d.reason.length > 0 && d.source === job.stream.name)).toBe(true);
    // A null value is an empty payload, and for json that is malformed.
    expect(deadLetter.records.filter((d) => d.raw.byteLength === 0).length).toBe(30);
    expect(job.stream.counters).toMatchObject({ malformed: bad.length, deadLettered: bad.length, dropped: 0 });
  });

  it('survives the brokers going away: errors reported, and the stream resumes with every record once', async ({ expect }) => {
    const { topic, groupId } = fresh();
    const network = await proxiedNetwork(cluster.brokers);
    try {
      const job = kafkaJob(contexts, {
        brokers: cluster.brokers,
        topics: topic,
        groupId,
        startingOffsets: 'earliest',
        client: { socketFactory: network.socketFactory, connectionTimeout: 500, requestTimeout: 2000 },
      });
      await job.ssc.start();
      await produceRange(producer, topic, 0, 400);
      await eventually(() => job.records.length === 400, 'the records produced before the outage');
      const errorsBefore = job.events.errors().length;

      // The consumer's connections are reset and refused; the producer (direct) goes on.
      await network.cut();
      for (let from = 400; from < 1200; from += 100) {
        await produceRange(producer, topic, from, from + 100);
        await sleep(250);
      }
      expect(job.records.length).toBe(400);
      expect(job.events.errors().length).toBeGreaterThan(errorsBefore);
      const lastError = job.events.errors().at(-1)!;
      expect(lastError.lastErrorMessage).toMatch(/kafka/i);

      await network.restore();
      await eventually(() => job.records.length >= 1200, 'the stream to resume after the outage', 20_000);
      await produceRange(producer, topic, 1200, 1300);
      await eventually(() => job.records.length >= 1300, 'records produced after the outage');
      await job.ssc.stop({ graceful: true });
      const seen = counts(job.records);
      expect(seen.size).toBe(1300);
      expect([...seen.values()].every((c) => c === 1)).toBe(true);
      // Reported as connected again after the errors.
      const lastErrorAt = job.events.receiver.findLastIndex(([e]) => e === 'error');
      expect(job.events.receiver.slice(lastErrorAt).some(([e]) => e === 'started')).toBe(true);
    } finally {
      await network.close();
    }
  });

  it('takes at most maxRatePerPartition × partitions × interval records per batch from a backlog', async ({ expect }) => {
    const { topic, groupId } = fresh();
    await produceRange(producer, topic, 0, 2400);
    const job = kafkaJob(contexts, { brokers: cluster.brokers, topics: topic, groupId, startingOffsets: 'earliest', maxRatePerPartition: 250 }, { batchInterval: 200 });
    await job.ssc.start();
    await eventually(() => job.records.length >= 2400, 'the backlog', 15_000);
    await job.ssc.stop({ graceful: true });
    // 250 records/s × 0.2 s = 50 per partition and 200 per batch.
    const batches = job.events.batches.filter((b) => b.numRecords > 0);
    for (const b of batches) {
      expect(inputOf(b).rateLimit).toBe(1000); // 250 records/s × 4 partitions
      expect(b.numRecords).toBeLessThanOrEqual(200);
      for (const r of rangesOf(b)) expect(r.untilOffset - r.fromOffset).toBeLessThanOrEqual(50);
    }
    // Each partition, while its backlog lasted (all its batches but the first, cut as its first
    // fetch response came in, and the last), got exactly its share.
    for (let p = 0; p < PARTITIONS; p++) {
      const taken = batches.flatMap((b) => rangesOf(b).filter((r) => r.partition === p)).map((r) => r.untilOffset - r.fromOffset);
      expect(taken.reduce((x, y) => x + y, 0)).toBe(600);
      for (const n of taken.slice(1, -1)) expect(n).toBe(50);
    }
    // Batches with every partition's backlog at hand were full: 200 records (10% tolerance).
    expect(batches.filter((b) => b.numRecords >= 180).length).toBeGreaterThanOrEqual(3);
    expect(counts(job.records).size).toBe(2400);
  });

  it('backpressure: a producer at 3× capacity leaves memory within budget and delay bounded, and every record is processed', async ({ expect }) => {
    const { topic, groupId } = fresh();
    // CI runs the overload for 30 s, as the issue asks; locally 5 s keeps npm test quick.
    const overloadMs = LONG_RUN ? 30_000 : 5_000;
    const interval = 200;
    const costMs = 0.5; // per record: the pipeline processes 2,000 records/s
    const capacity = 1000 / costMs;
    const maxBufferBytes = 256 * 1024; // ~2,400 records of ~100 bytes: 1.2 s of capacity
    let slow = true;
    const job = kafkaJob(
      contexts,
      { brokers: cluster.brokers, topics: topic, groupId, startingOffsets: 'earliest', backpressure: true, initialRate: 4 * capacity, maxBufferBytes },
      { batchInterval: interval, output: (records) => (slow ? sleep(records.length * costMs) : undefined) },
    );
    await job.ssc.start();
    const started = Date.now();

    // The producer: 3 × capacity, in sends every 100 ms.
    let produced = 0;
    const perTick = (3 * capacity) / 10;
    while (Date.now() - started < overloadMs) {
      const tick = Date.now();
      const batch = Array.from({ length: perTick }, (_, i) => String(produced + i).padEnd(100, '.'));
      await produce(producer, topic, batch);
      produced += perTick;
      await sleep(Math.max(0, 100 - (Date.now() - tick)));
    }
    const overloadEnd = Date.now();
    const processedDuringOverload = job.records.length;
    // The pipeline recovers; the backlog left in Kafka is read and processed.
    slow = false;
    await eventually(() => job.records.length >= produced, `all ${produced} records`, 30_000);
    await job.ssc.stop({ graceful: true });

    const seen = counts(job.records);
    expect(seen.size).toBe(produced);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    // The backlog stayed in Kafka, not in memory.
    expect(processedDuringOverload).toBeLessThan(produced * 0.6);
    const infos = job.events.batches.map((b) => ({ b, i: inputOf(b) }));
    for (const { i } of infos) expect(i.bufferedBytes ?? 0).toBeLessThanOrEqual(maxBufferBytes);
    expect(job.events.batches.reduce((m, b) => Math.max(m, inputOf(b).bufferedBytes ?? 0), 0)).toBeGreaterThan(maxBufferBytes / 4);
    const overload = infos.filter(({ b }) => b.batchTime > started + 2000 && b.batchTime < overloadEnd);
    expect(overload.length).toBeGreaterThan(5);
    const delays = overload.map(({ b }) => b.schedulingDelay ?? 0);
    const rates = overload.map(({ i }) => i.rateLimit ?? NaN);
    if (process.env.KAFKA_DEBUG) console.log({ produced, processedDuringOverload, delays, rates: rates.map(Math.round) });
    expect(Math.max(...delays)).toBeLessThan(3 * interval);
    // The rate limit converges to about what the pipeline processes.
    const late = rates.slice(Math.floor(rates.length / 2)).sort((x, y) => x - y);
    const median = late[Math.floor(late.length / 2)]!;
    expect(median).toBeGreaterThan(0.6 * capacity);
    expect(median).toBeLessThan(1.25 * capacity);
  }, (LONG_RUN ? 60_000 : 10_000) + 25_000);

  it('rebalances when a second consumer joins mid-stream: every record processed exactly once by the two', async ({ expect }) => {
    const { topic, groupId } = fresh();
    const options = { brokers: cluster.brokers, topics: topic, groupId, startingOffsets: 'earliest' as const };
    const a = kafkaJob(contexts, options);
    await a.ssc.start();
    for (let from = 0; from < 1000; from += 100) {
      await produceRange(producer, topic, from, from + 100);
      await sleep(30);
    }
    await eventually(async () => (await committedOffsets(admin, groupId, topic)).every((o) => o === 250), 'job A to commit the first 1,000');
    expect(a.stream.assignment.length).toBe(PARTITIONS);

    // B joins: the group re-forms and the partitions are split between A and B.
    const b = kafkaJob(contexts, options);
    await b.ssc.start();
    await eventually(() => a.stream.assignment.length + b.stream.assignment.length === PARTITIONS && a.stream.assignment.length > 0, 'the new assignment');
    expect(a.stream.assignment.filter((p) => b.stream.assignment.includes(p))).toEqual([]);
    const aBefore = a.records.length;
    for (let from = 1000; from < 3000; from += 100) {
      await produceRange(producer, topic, from, from + 100);
      await sleep(30);
    }
    await eventually(() => new Set([...a.records, ...b.records]).size >= 3000, 'every record', 15_000);
    await Promise.all([a.ssc.stop({ graceful: true }), b.ssc.stop({ graceful: true })]);

    const all = counts([...a.records, ...b.records]);
    expect(all.size).toBe(3000);
    expect([...all.entries()].filter(([, c]) => c !== 1)).toEqual([]);
    // After the rebalance each read only its own partitions.
    const owner = (records: string[], assignment: string[]) => records.every((v) => assignment.includes(`${topic}/${partitionOfValue(Number(v))}`));
    expect(owner(a.records.slice(aBefore), a.stream.assignment)).toBe(true);
    expect(owner(b.records, b.stream.assignment)).toBe(true);
    expect(b.records.length).toBeGreaterThan(0);
    expect(a.stream.revokedBeforeCommit).toEqual([]);
  });

  it('rebalances under a steady stream: no loss, no duplicate within a consumer, and across them only what was revoked before its commit', async ({ expect }) => {
    const { topic, groupId } = fresh();
    const options = { brokers: cluster.brokers, topics: topic, groupId, startingOffsets: 'earliest' as const };
    const a = kafkaJob(contexts, options);
    await a.ssc.start();
    const N = 6000;
    // 2,000 records/s for 3 s; B joins after 0.5 s, and the group re-forms while they flow.
    const producing = (async () => {
      for (let from = 0; from < N; from += 100) {
        await produceRange(producer, topic, from, from + 100);
        await sleep(50);
      }
    })();
    await sleep(500);
    const b = kafkaJob(contexts, options);
    await b.ssc.start();
    await producing;
    await eventually(() => new Set([...a.records, ...b.records]).size >= N, 'every record', 15_000);
    await Promise.all([a.ssc.stop({ graceful: true }), b.ssc.stop({ graceful: true })]);

    expect(new Set([...a.records, ...b.records]).size).toBe(N);
    expect([...counts(a.records).values()].every((c) => c === 1)).toBe(true);
    expect([...counts(b.records).values()].every((c) => c === 1)).toBe(true);
    const inB = new Set(b.records);
    const twice = a.records.filter((v) => inB.has(v)).map(Number);
    const revoked = a.stream.revokedBeforeCommit;
    const wasRevoked = (v: number) =>
      revoked.some((r) => r.partition === partitionOfValue(v) && r.fromOffset <= offsetOfValue(v) && offsetOfValue(v) < r.untilOffset);
    expect(twice.filter((v) => !wasRevoked(v))).toEqual([]);
    if (process.env.KAFKA_DEBUG) console.log({ twice: twice.length, revoked, a: a.records.length, b: b.records.length });
  });

  it("starts at the end with startingOffsets 'latest': records produced before start() are not read", async ({ expect }) => {
    const { topic, groupId } = fresh();
    await produceRange(producer, topic, 0, 100);
    const job = kafkaJob(contexts, { brokers: cluster.brokers, topics: topic, groupId, startingOffsets: 'latest' });
    await job.ssc.start();
    await produceRange(producer, topic, 100, 200);
    await eventually(() => job.records.length >= 100, 'the records produced after start()');
    await sleep(300);
    await job.ssc.stop({ graceful: true });
    expect([...job.records].sort()).toEqual(values(100, 200).sort());
  });

  it('pauses fetching while memory is full for longer than the session timeout, without losing its partitions', async ({ expect }) => {
    const { topic, groupId } = fresh();
    await produceRange(producer, topic, 0, 1000);
    let first = true;
    const job = kafkaJob(
      contexts,
      { brokers: cluster.brokers, topics: topic, groupId, startingOffsets: 'earliest', maxBufferBytes: 1000 },
      {
        // The first batch holds the whole budget for 4 s: longer than the 3 s session timeout.
        output: async () => {
          if (first) {
            first = false;
            await sleep(4000);
          }
        },
      },
    );
    await job.ssc.start();
    await eventually(() => job.records.length >= 1000, 'every record', 20_000);
    await job.ssc.stop({ graceful: true });
    expect(counts(job.records).size).toBe(1000);
    expect(job.records.length).toBe(1000);
    for (const b of job.events.batches) expect(inputOf(b).bufferedBytes ?? 0).toBeLessThanOrEqual(1000);
    // Heartbeats went on while paused: no rebalance, no error, nothing revoked.
    expect(job.events.errors()).toEqual([]);
    expect(job.stream.revokedBeforeCommit).toEqual([]);
  });

  it('restarts a consumer that crashed for good (kafkajs gave up), reports it, and loses or repeats nothing', async ({ expect }) => {
    const { topic, groupId } = fresh();
    await produceRange(producer, topic, 0, 800);
    const job = kafkaJob(contexts, {
      brokers: cluster.brokers,
      topics: topic,
      groupId,
      startingOffsets: 'earliest',
      restartBackoff: { initialDelayMs: 100, maxDelayMs: 1000 },
    });
    // Fault injection: taking one record throws a TypeError, which kafkajs does not retry.
    const stream = job.stream as unknown as { offer(m: KafkaReceivedMessage): boolean };
    const offer = stream.offer.bind(job.stream);
    let injected = false;
    stream.offer = (m) => {
      if (!injected && m.offset === 150) {
        injected = true;
        throw new TypeError('injected fault');
      }
      return offer(m);
    };
    await job.ssc.start();
    await eventually(() => injected && job.records.length >= 800, 'every record after the restart', 20_000);
    await produceRange(producer, topic, 800, 900);
    await eventually(() => job.records.length >= 900, 'records produced after the restart');
    await job.ssc.stop({ graceful: true });

    expect(counts(job.records).size).toBe(900);
    expect(job.records.length).toBe(900);
    const messages = job.events.errors().map((e) => e.lastErrorMessage ?? '');
    expect(messages.some((m) => /crashed and kafkajs gave up; restarting it/.test(m))).toBe(true);
    const crashAt = job.events.receiver.findIndex(([e, i]) => e === 'error' && /crashed/.test(i.lastErrorMessage ?? ''));
    expect(job.events.receiver.slice(crashAt).some(([e]) => e === 'started')).toBe(true);
    // Everything processed is committed, also what was in flight at the crash.
    expect(await committedOffsets(admin, groupId, topic)).toEqual([225, 225, 225, 225]);
  });

  it('a stop while start() waits for the group join ends both quietly', async ({ expect }) => {
    const { topic, groupId } = fresh();
    const job = kafkaJob(contexts, { brokers: cluster.brokers, topics: topic, groupId });
    const starting = job.ssc.start();
    await sleep(500); // the mock makes a first join wait 3 s
    await job.ssc.stop();
    await starting;
    expect(job.ssc.state).toBe('stopped');
    expect(job.events.errors()).toEqual([]);
  });
}, { concurrent: true });
