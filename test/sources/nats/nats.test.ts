// natsStream against a real NATS JetStream server (127.0.0.1:4222; under CI=true a missing server
// fails the suite). Each test uses its own stream, deleted afterwards; the restart test runs a
// private nats-server with file storage that it kills and restarts.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StreamingContext } from '../../../src/index.js';
import { MemoryDeadLetterSink } from '../../../src/sources/decode/dead-letter.js';
import type { NatsBatchMetadata, NatsStreamOptions } from '../../../src/sources/nats/nats-input.js';
import { rejectionOf, sleep, waitFor } from '../../support/async.js';
import { collectRecords } from '../../support/batches.js';
import { describeWithBroker } from '../brokers.js';
import { runCrashChild } from '../crash-child.js';
import { counts, expectBudgetHeld, expectRateHeld, liveContext, numbered, recordEvents, totalOf, useCleanups } from '../helpers.js';
import { admin, NATS_HOST, NATS_PORT, NATS_URL, privateNatsServer, publishAll, publishRetrying, type Admin } from './support.js';

const run = `${process.pid}_${Date.now().toString(36)}`;
let serial = 0;

await describeWithBroker('natsStream', NATS_HOST, NATS_PORT, 'nats-server -js -p 4222 (or: docker run -p 4222:4222 nats -js)', () => {
  let a: Admin;
  const cleanup = useCleanups();
  const context = (maxTaskFailures = 4): StreamingContext => liveContext(cleanup, { maxTaskFailures });

  beforeAll(async () => {
    a = await admin();
  });
  afterAll(async () => {
    await a?.nc.close();
  });

  /** A new stream (created by the test) with one subject, deleted after the test. */
  async function newStream(jsm = a.jsm): Promise<{ stream: string; subject: string; consumer: string }> {
    const n = ++serial;
    const stream = `SLUICE_${run}_${n}`;
    const subject = `sluice.test.${run}.${n}`;
    await jsm.streams.add({ name: stream, subjects: [subject] });
    cleanup(() => jsm.streams.delete(stream));
    return { stream, subject, consumer: `job_${n}` };
  }

  /** Records `r<from>`...`r<to − 1>`. */
  const payloads = (from: number, to: number) => numbered('r', to - from, from);

  it('delivers every record exactly once across many batches, and leaves nothing pending', async () => {
    const { stream, subject, consumer } = await newStream();
    await publishAll(a.js, subject, payloads(0, 2500));
    const ssc = context();
    const events = recordEvents(ssc);
    // At most 800 records per 100 ms batch, so 5000 records take at least seven batches whatever
    // the machine's speed (without a cap a fast pull could take the backlog in fewer).
    const received = collectRecords(
      ssc.natsStream<string>({ servers: NATS_URL, stream, consumer, fetchMaxMessages: 300, maxRatePerPartition: 8000 }),
    );
    await ssc.start();
    // The second half arrives while the stream runs.
    for (let i = 2500; i < 5000; i += 250) {
      await publishAll(a.js, subject, payloads(i, i + 250));
      await sleep(30);
    }
    await waitFor(() => received.length >= 5000, '5000 records', 10_000);
    await sleep(300); // nothing more may come
    await ssc.stop({ graceful: true });
    expect(received.length).toBe(5000);
    expect(new Set(received)).toEqual(new Set(payloads(0, 5000)));
    // Sequence ranges per batch (seven or more), in order and covering 1..5000 without overlap.
    const metas = events.inputs().filter((i) => i.numRecords > 0).map((i) => i.metadata as unknown as NatsBatchMetadata);
    expect(metas.length).toBeGreaterThanOrEqual(7);
    expect(metas.every((m) => m.count <= 800)).toBe(true);
    expect(metas.reduce((n, m) => n + m.count, 0)).toBe(5000);
    expect(metas[0]).toMatchObject({ stream, consumer, firstSequence: 1 });
    for (let i = 1; i < metas.length; i++) expect(metas[i]!.firstSequence).toBe(metas[i - 1]!.lastSequence! + 1);
    expect(metas.at(-1)!.lastSequence).toBe(5000);
    const info = await a.jsm.consumers.info(stream, consumer);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
    expect(info.config.ack_policy).toBe('explicit');
  });

  it('acknowledges only after the outputs succeed: a failed job leaves its records to the next run', async () => {
    const { stream, subject, consumer } = await newStream();
    await publishAll(a.js, subject, payloads(0, 200));
    const options: NatsStreamOptions = { servers: NATS_URL, stream, consumer };

    const failing = context(1);
    let attempts = 0;
    failing.natsStream<string>(options).foreachRDD((b) => {
      if (b.count() > 0) {
        attempts++;
        throw new Error('the sink is down');
      }
    });
    await failing.start();
    expect(String(await rejectionOf(failing.awaitTermination()))).toMatch(/the sink is down/);
    expect(attempts).toBe(1);
    // Nothing acknowledged: every record is still to be delivered (handed back on stop).
    const between = await a.jsm.consumers.info(stream, consumer);
    expect(between.num_pending + between.num_ack_pending + between.num_redelivered).toBeGreaterThanOrEqual(200);

    const retry = context();
    const received = collectRecords(retry.natsStream<string>(options));
    await retry.start();
    await waitFor(() => received.length >= 200, 'the 200 records again', 5000);
    await retry.stop({ graceful: true });
    expect(new Set(received)).toEqual(new Set(payloads(0, 200)));
    const info = await a.jsm.consumers.info(stream, consumer);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('redelivers the records of a job killed before it acknowledged them (after ackWaitMs)', async () => {
    const { stream, subject, consumer } = await newStream();
    await publishAll(a.js, subject, payloads(0, 300));
    const options = { servers: NATS_URL, stream, consumer, ackWaitMs: 1000 };
    const out = await runCrashChild(fileURLToPath(new URL('./crash-child.ts', import.meta.url)), options);
    expect(out).toMatch(/received \d+/);
    const between = await a.jsm.consumers.info(stream, consumer);
    expect(between.num_ack_pending).toBeGreaterThan(0); // delivered to the dead job, never acked

    const ssc = context();
    const received = collectRecords(ssc.natsStream<string>(options));
    await ssc.start();
    await waitFor(() => new Set(received).size >= 300, 'the 300 records', 8000);
    await ssc.stop({ graceful: true });
    expect(new Set(received)).toEqual(new Set(payloads(0, 300)));
    expect((await a.jsm.consumers.info(stream, consumer)).num_ack_pending).toBe(0);
  });

  it('counts and dead-letters malformed records (json with a schema)', async () => {
    const { stream, subject, consumer } = await newStream();
    const good = Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: i, name: `n${i}` }));
    const bad = ['{not json', '[1, 2', 'plain text'];
    await publishAll(a.js, subject, [...good.slice(0, 10), ...bad, ...good.slice(10)]);
    const ssc = context();
    const events = recordEvents(ssc);
    const sink = new MemoryDeadLetterSink();
    const received = collectRecords(
      ssc.natsStream<{ id: number; name: string }>({ servers: NATS_URL, stream, consumer, format: 'json', schema: { id: 'u32', name: 'utf8' }, deadLetter: sink }),
    );
    await ssc.start();
    await waitFor(() => received.length >= 20 && sink.records.length >= 3, 'the records', 5000);
    await ssc.stop({ graceful: true });
    expect(received.map((r) => r.id).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(received.find((r) => r.id === 7)?.name).toBe('n7');
    expect(sink.records.map((r) => Buffer.from(r.raw).toString())).toEqual(bad);
    expect(sink.records.every((r) => r.reason.length > 0 && r.source.startsWith('nats:'))).toBe(true);
    expect(totalOf(events.inputs(), 'malformedRecords')).toBe(3);
    expect(totalOf(events.inputs(), 'deadLetteredRecords')).toBe(3);
    // Malformed records are acknowledged with their batch: they do not come back.
    expect((await a.jsm.consumers.info(stream, consumer)).num_ack_pending).toBe(0);
  });

  it('survives a server restart in the middle of the stream, and delivers every record', async () => {
    const server = await privateNatsServer();
    let own: Admin | undefined;
    try {
      own = await admin(server.url);
      const { stream, subject, consumer } = await newStream(own.jsm);
      await publishAll(own.js, subject, payloads(0, 3000));
      const ssc = context();
      const events = recordEvents(ssc);
      const received = collectRecords(
        ssc.natsStream<string>({ servers: server.url, stream, consumer, maxRatePerPartition: 5000, ackWaitMs: 1000, reconnectTimeWaitMs: 100 }),
      );
      await ssc.start();
      await waitFor(() => received.length >= 1000, '1000 records before the restart', 5000);
      await server.kill();
      await waitFor(() => events.errors().length > 0, 'the disconnection reported', 3000);
      await sleep(300);
      await server.restart();
      await waitFor(() => events.receiver.filter(([e]) => e === 'started').length >= 2, 'the reconnection reported', 8000);
      await publishRetrying(own.js, subject, payloads(3000, 3500));
      await waitFor(() => new Set(received).size >= 3500, 'all 3500 records', 15_000);
      await ssc.stop({ graceful: true });
      expect(new Set(received)).toEqual(new Set(payloads(0, 3500)));
      // At-least-once: acks the killed server had not stored yet bring their records again (the
      // consumer state is written to disk asynchronously), but no record comes more than twice.
      expect(Math.max(...counts(received).values())).toBeLessThanOrEqual(2);
      expect(events.errors()[0]!.lastErrorMessage).toMatch(/disconnected/);
    } finally {
      await own?.nc.close().catch(() => undefined);
      await server.dispose();
    }
  });

  it('holds each batch to maxRatePerPartition (the whole consumer is one partition) within 10%', async () => {
    const { stream, subject, consumer } = await newStream();
    await publishAll(a.js, subject, payloads(0, 3000));
    const ssc = context();
    const events = recordEvents(ssc);
    ssc.natsStream<string>({ servers: NATS_URL, stream, consumer, maxRatePerPartition: 4000 }).foreachRDD(() => undefined);
    await ssc.start();
    await waitFor(() => events.batches.filter((b) => b.numRecords > 0).length >= 6, 'six batches', 5000);
    await ssc.stop();
    expectRateHeld(events.inputs(), 4000, { full: 4, fill: 0.9 });
  });

  it('keeps received-but-unprocessed bytes within maxBufferBytes with a slow output, and processes everything', async () => {
    const { stream, subject, consumer } = await newStream();
    const pad = 'x'.repeat(90);
    const all = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(5, '0')}${pad}`); // 95 bytes each
    await publishAll(a.js, subject, all);
    const maxBufferBytes = 8 * 1024;
    const ssc = context();
    const events = recordEvents(ssc);
    const received = collectRecords(ssc.natsStream<string>({ servers: NATS_URL, stream, consumer, maxBufferBytes }), () => sleep(40));
    await ssc.start();
    await waitFor(() => received.length >= 1000, 'all 1000 records', 15_000);
    await ssc.stop({ graceful: true });
    expect(new Set(received)).toEqual(new Set(all));
    expectBudgetHeld(events.inputs(), maxBufferBytes, 95);
  });

  it('needs the stream to exist unless subjects are given, and creates it from them', async () => {
    const name = `SLUICE_${run}_missing_${++serial}`;
    cleanup(() => a.jsm.streams.delete(name)); // (registered first: it runs after the contexts stop)
    const missing = context();
    missing.natsStream({ servers: NATS_URL, stream: name, consumer: 'c' }).foreachRDD(() => undefined);
    expect(String(await rejectionOf(missing.start()))).toMatch(new RegExp(`stream "${name}" does not exist.*subjects`));

    const subject = `sluice.test.${run}.created.${serial}`;
    const creating = context();
    const received = collectRecords(creating.natsStream<string>({ servers: NATS_URL, stream: name, consumer: 'c', subjects: [subject] }));
    await creating.start();
    await publishAll(a.js, subject, ['hello', 'world']);
    await waitFor(() => received.length >= 2, 'the records', 5000);
    expect(received).toEqual(['hello', 'world']);
    expect((await a.jsm.streams.info(name)).config.subjects).toEqual([subject]);
  });
});
