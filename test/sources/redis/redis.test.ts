// redisStream against a real Redis server (127.0.0.1:6379; under CI=true a missing server fails
// the suite). Each test uses its own stream key, deleted afterwards; the restart test runs a
// private redis-server with an append-only file that it kills and restarts.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StreamingContext } from '../../../src/index.js';
import { MemoryDeadLetterSink } from '../../../src/sources/decode/dead-letter.js';
import { compareIds, type RedisBatchMetadata, type RedisStreamOptions } from '../../../src/sources/redis/redis-input.js';
import { rejectionOf, sleep, waitFor } from '../../support/async.js';
import { collectRecords } from '../../support/batches.js';
import { describeWithBroker } from '../brokers.js';
import { runCrashChild } from '../crash-child.js';
import { counts, expectBudgetHeld, expectRateHeld, liveContext, numbered, recordEvents, totalOf, useCleanups } from '../helpers.js';
import { freePort } from '../private-server.js';
import { addAll, admin, pendingCount, privateRedisServer, REDIS_HOST, REDIS_PORT, REDIS_URL, type Admin } from './support.js';

const run = `${process.pid}-${Date.now().toString(36)}`;
let serial = 0;

await describeWithBroker('redisStream', REDIS_HOST, REDIS_PORT, 'redis-server --port 6379 (or: docker run -p 6379:6379 redis)', () => {
  let r: Admin;
  const cleanup = useCleanups();
  const context = (maxTaskFailures = 4): StreamingContext => liveContext(cleanup, { maxTaskFailures });

  beforeAll(async () => {
    r = await admin();
  });
  afterAll(async () => {
    r?.destroy();
  });

  /** A new stream key (deleted after the test), group and consumer. */
  function names(): { stream: string; group: string; consumer: string } {
    const n = ++serial;
    const stream = `sluice:test:${run}:${n}`;
    cleanup(() => r.del(stream));
    return { stream, group: `job-${n}`, consumer: 'worker-1' };
  }

  /** Records `r<from>`...`r<to − 1>`. */
  const payloads = (from: number, to: number) => numbered('r', to - from, from);

  it('delivers every record exactly once across many batches, and leaves nothing pending', async () => {
    const n = names();
    await addAll(r, n.stream, ['before the group: not read with the default startId $']);
    const ssc = context();
    const events = recordEvents(ssc);
    const received = collectRecords(ssc.redisStream<string>({ url: REDIS_URL, ...n, readCount: 300 }));
    await ssc.start();
    const ids: string[] = [];
    for (let i = 0; i < 5000; i += 250) {
      ids.push(...(await addAll(r, n.stream, payloads(i, i + 250))));
      await sleep(20);
    }
    await waitFor(() => received.length >= 5000, '5000 records', 10_000);
    await sleep(300); // nothing more may come
    await ssc.stop({ graceful: true });
    expect(received.length).toBe(5000);
    expect(new Set(received)).toEqual(new Set(payloads(0, 5000)));
    // Id ranges per batch (five or more), in order, covering the ids added without overlap.
    const metas = events.inputs().filter((i) => i.numRecords > 0).map((i) => i.metadata as unknown as RedisBatchMetadata);
    expect(metas.length).toBeGreaterThanOrEqual(5);
    expect(metas.reduce((s, m) => s + m.count, 0)).toBe(5000);
    expect(metas[0]).toMatchObject({ stream: n.stream, group: n.group, consumer: n.consumer, firstId: ids[0], claimed: 0 });
    for (let i = 1; i < metas.length; i++) expect(compareIds(metas[i]!.firstId!, metas[i - 1]!.lastId!)).toBe(1);
    expect(metas.at(-1)!.lastId).toBe(ids.at(-1));
    expect(await pendingCount(r, n.stream, n.group)).toBe(0);
  });

  it('acknowledges only after the outputs succeed: a failed job leaves its records to the next run', async () => {
    const n = names();
    await addAll(r, n.stream, payloads(0, 200));
    const options: RedisStreamOptions = { url: REDIS_URL, ...n, startId: '0' };

    const failing = context(1);
    failing.redisStream<string>(options).foreachRDD((b) => {
      if (b.count() > 0) throw new Error('the sink is down');
    });
    await failing.start();
    expect(String(await rejectionOf(failing.awaitTermination()))).toMatch(/the sink is down/);
    expect(await pendingCount(r, n.stream, n.group)).toBe(200); // read, never acknowledged

    // The same consumer starts again: it re-reads its own pending entries first.
    const retry = context();
    const events = recordEvents(retry);
    const received = collectRecords(retry.redisStream<string>(options));
    await retry.start();
    await waitFor(() => received.length >= 200, 'the 200 records again', 5000);
    await addAll(r, n.stream, payloads(200, 210)); // and then new ones
    await waitFor(() => received.length >= 210, 'the new records', 5000);
    await retry.stop({ graceful: true });
    expect(received.sort()).toEqual(payloads(0, 210).sort());
    expect(events.batches.some((b) => b.numRecords > 0)).toBe(true);
    expect(await pendingCount(r, n.stream, n.group)).toBe(0);
  });

  it('re-reads the pending entries of a consumer killed before it acknowledged them', async () => {
    const n = names();
    await addAll(r, n.stream, payloads(0, 300));
    const options = { url: REDIS_URL, ...n, startId: '0' };
    const out = await runCrashChild(fileURLToPath(new URL('./crash-child.ts', import.meta.url)), options);
    expect(out).toMatch(/received \d+/);
    expect(await pendingCount(r, n.stream, n.group)).toBeGreaterThan(0);

    const ssc = context();
    const received = collectRecords(ssc.redisStream<string>(options));
    await ssc.start();
    await waitFor(() => received.length >= 300, 'the 300 records', 5000);
    await ssc.stop({ graceful: true });
    expect(received.sort()).toEqual(payloads(0, 300).sort());
    expect(await pendingCount(r, n.stream, n.group)).toBe(0);
  });

  it("takes over a dead consumer's pending entries with XAUTOCLAIM", async () => {
    const n = names();
    await r.sendCommand(['XGROUP', 'CREATE', n.stream, n.group, '$', 'MKSTREAM']);
    await addAll(r, n.stream, payloads(0, 100));
    // Another consumer of the group reads them and dies without acknowledging.
    const read = (await r.sendCommand(['XREADGROUP', 'GROUP', n.group, 'dead-worker', 'COUNT', '1000', 'STREAMS', n.stream, '>'])) as [string, unknown[]][];
    expect(read[0]![1]).toHaveLength(100);
    await addAll(r, n.stream, payloads(100, 150));

    const ssc = context();
    const events = recordEvents(ssc);
    const received = collectRecords(ssc.redisStream<string>({ url: REDIS_URL, ...n, consumer: 'live-worker', claimIdleMs: 400 }));
    await ssc.start();
    await waitFor(() => received.length >= 150, 'the 150 records', 5000);
    await sleep(600); // a later claim round finds nothing more: they are ours, and acknowledged
    await ssc.stop({ graceful: true });
    expect(received.sort()).toEqual(payloads(0, 150).sort());
    const claimed = events.inputs().reduce((s, i) => s + ((i.metadata as unknown as RedisBatchMetadata).claimed ?? 0), 0);
    expect(claimed).toBe(100);
    expect(await pendingCount(r, n.stream, n.group)).toBe(0);
  });

  it('counts and dead-letters malformed records (json with a schema)', async () => {
    const n = names();
    const good = Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: i, name: `n${i}` }));
    const bad = ['{not json', '[1, 2', 'plain text'];
    const ssc = context();
    const events = recordEvents(ssc);
    const sink = new MemoryDeadLetterSink();
    const received = collectRecords(
      ssc.redisStream<{ id: number; name: string }>({ url: REDIS_URL, ...n, format: 'json', schema: { id: 'u32', name: 'utf8' }, deadLetter: sink }),
    );
    await ssc.start();
    await addAll(r, n.stream, [...good.slice(0, 10), ...bad, ...good.slice(10)]);
    await r.xAdd(n.stream, '*', { other: 'an entry without the data field' });
    await waitFor(() => received.length >= 20 && sink.records.length >= 4, 'the records', 5000);
    await ssc.stop({ graceful: true });
    expect(received.map((x) => x.id).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(received.find((x) => x.id === 7)?.name).toBe('n7');
    expect(sink.records.map((x) => Buffer.from(x.raw).toString())).toEqual([...bad, '']);
    expect(sink.records.every((x) => x.reason.length > 0 && x.source.startsWith('redis:'))).toBe(true);
    expect(totalOf(events.inputs(), 'malformedRecords')).toBe(4);
    expect(totalOf(events.inputs(), 'deadLetteredRecords')).toBe(4);
    // Malformed records are acknowledged with their batch: they do not come back.
    expect(await pendingCount(r, n.stream, n.group)).toBe(0);
  });

  it("with field: null decodes each entry's fields as one JSON object (of strings)", async () => {
    const n = names();
    const ssc = context();
    const received = collectRecords(ssc.redisStream<Record<string, string>>({ url: REDIS_URL, ...n, field: null, format: 'json' }));
    await ssc.start();
    await r.xAdd(n.stream, '*', { sensor: '1', value: '20.5' });
    await r.xAdd(n.stream, '*', { sensor: '2', value: 'a "quoted" word' });
    await waitFor(() => received.length >= 2, 'the records', 5000);
    expect(received).toEqual([
      { sensor: '1', value: '20.5' },
      { sensor: '2', value: 'a "quoted" word' },
    ]);
  });

  it('survives a server restart in the middle of the stream, and delivers every record', async () => {
    const server = await privateRedisServer();
    let own: Admin | undefined;
    try {
      own = await admin(server.url);
      const n = names();
      await addAll(own, n.stream, payloads(0, 3000));
      const ssc = context();
      const events = recordEvents(ssc);
      const received = collectRecords(
        ssc.redisStream<string>({ url: server.url, ...n, startId: '0', maxRatePerPartition: 5000, reconnectBackoff: { initialMs: 50, maxMs: 200 } }),
      );
      await ssc.start();
      await waitFor(() => received.length >= 1000, '1000 records before the restart', 5000);
      await server.kill();
      await waitFor(() => events.errors().length > 0, 'the lost connection reported', 3000);
      await sleep(300);
      await server.restart();
      await waitFor(() => events.receiver.filter(([e]) => e === 'started').length >= 2, 'the reconnection reported', 8000);
      await addAll(own, n.stream, payloads(3000, 3500));
      await waitFor(() => new Set(received).size >= 3500, 'all 3500 records', 10_000);
      await ssc.stop({ graceful: true });
      expect(new Set(received)).toEqual(new Set(payloads(0, 3500)));
      // At-least-once: an XACK lost with the server brings its records again, never more than once.
      expect(Math.max(...counts(received).values())).toBeLessThanOrEqual(2);
      expect(events.errors().some((e) => /lost the connection to Redis/.test(e.lastErrorMessage ?? ''))).toBe(true);
      expect(await pendingCount(own, n.stream, n.group)).toBe(0);
    } finally {
      own?.destroy();
      await server.dispose();
    }
  });

  it('holds each batch to maxRatePerPartition (the stream is one partition) within 10%', async () => {
    const n = names();
    await addAll(r, n.stream, payloads(0, 3000));
    const ssc = context();
    const events = recordEvents(ssc);
    ssc.redisStream<string>({ url: REDIS_URL, ...n, startId: '0', maxRatePerPartition: 4000 }).foreachRDD(() => undefined);
    await ssc.start();
    await waitFor(() => events.batches.filter((b) => b.numRecords > 0).length >= 6, 'six batches', 5000);
    await ssc.stop();
    expectRateHeld(events.inputs(), 4000, { full: 4, fill: 0.9 });
  });

  it('keeps received-but-unprocessed bytes within maxBufferBytes with a slow output, and processes everything', async () => {
    const n = names();
    const pad = 'x'.repeat(90);
    const all = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(5, '0')}${pad}`); // 95 bytes each
    await addAll(r, n.stream, all);
    const maxBufferBytes = 8 * 1024;
    const ssc = context();
    const events = recordEvents(ssc);
    const received = collectRecords(ssc.redisStream<string>({ url: REDIS_URL, ...n, startId: '0', maxBufferBytes }), () => sleep(40));
    await ssc.start();
    await waitFor(() => received.length >= 1000, 'all 1000 records', 15_000);
    await ssc.stop({ graceful: true });
    expect(new Set(received)).toEqual(new Set(all));
    expectBudgetHeld(events.inputs(), maxBufferBytes, 95);
    expect(await pendingCount(r, n.stream, n.group)).toBe(0);
  });

  it('fails to start with a clear error when no server answers', async () => {
    const port = await freePort();
    const ssc = context();
    ssc.redisStream({ url: `redis://127.0.0.1:${port}`, stream: 's', group: 'g', consumer: 'c' }).foreachRDD(() => undefined);
    expect(String(await rejectionOf(ssc.start()))).toMatch(new RegExp(`cannot connect to Redis at redis://127.0.0.1:${port}`));
  });
});
