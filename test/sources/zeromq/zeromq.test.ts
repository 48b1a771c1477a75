// zeromqStream over tcp://127.0.0.1 with in-process ZeroMQ peers (PUSH and PUB sockets).
import { describe, expect, it } from 'vitest';
import { Publisher, Push } from 'zeromq';
import type { StreamingContext, StreamingContextOptions } from '../../../src/index.js';
import { MemoryDeadLetterSink } from '../../../src/sources/decode/dead-letter.js';
import type { ZeroMqInputDStream, ZeroMqStreamOptions } from '../../../src/sources/zeromq/zeromq-input.js';
import { deferred, sleep, waitFor } from '../../support/async.js';
import { collectBatches, collectRecords } from '../../support/batches.js';
import { deliver, expectRateHeld, liveContext, numbered, recordEvents, totalOf, useCleanups } from '../helpers.js';
import { freePort } from '../private-server.js';

const cleanup = useCleanups();
const context = (appName: string, options: Partial<StreamingContextOptions> = {}): StreamingContext => liveContext(cleanup, { appName, ...options });

function zeromqStream<T = string>(ssc: StreamingContext, options: ZeroMqStreamOptions): ZeroMqInputDStream<T> {
  return ssc.zeromqStream<T>(options) as ZeroMqInputDStream<T>;
}

async function endpoint(): Promise<string> {
  return `tcp://127.0.0.1:${await freePort()}`;
}

/** A PUSH socket bound (or connected) to `address`, closed after the test. */
async function push(address: string, options: { bind?: boolean; sendHighWaterMark?: number; sendBufferSize?: number } = {}): Promise<Push> {
  const socket = new Push({
    linger: 2000,
    ...(options.sendHighWaterMark === undefined ? {} : { sendHighWaterMark: options.sendHighWaterMark }),
    ...(options.sendBufferSize === undefined ? {} : { sendBufferSize: options.sendBufferSize }),
  });
  cleanup(() => socket.close());
  if (options.bind === false) socket.connect(address);
  else await socket.bind(address);
  return socket;
}

async function sendAll(socket: Push, payloads: readonly (string | Buffer | (string | Buffer)[])[]): Promise<void> {
  for (const p of payloads) await socket.send(p);
}

/** `n` payloads of exactly `bytes` bytes, numbered in their first 6 characters. */
const sized = (n: number, bytes: number) => Array.from({ length: n }, (_, i) => `${String(i).padStart(6, '0')}${'x'.repeat(bytes - 6)}`);

describe('zeromqStream', () => {
  it.each([
    ['connects to a binding PUSH', false],
    ['binds, with the PUSH connecting', true],
  ] as const)('PULL delivers every record exactly once, in order, across many batches (%s)', async (_, bind) => {
    const address = await endpoint();
    const ssc = context('zmq-exact');
    const stream = zeromqStream(ssc, { endpoint: address, pattern: 'pull', bind });
    const payloads = numbered('m', 5000);
    const send = async () => {
      const sender = await push(address, { bind: !bind });
      for (let i = 0; i < payloads.length; i += 500) {
        await sendAll(sender, payloads.slice(i, i + 500));
        await sleep(50);
      }
    };
    const { batches, records, events } = await deliver(ssc, stream, send, payloads.length, { timeoutMs: 8000, settleMs: 200 });

    expect(records).toEqual(payloads);
    expect(batches.filter((b) => b.length > 0).length).toBeGreaterThanOrEqual(5);
    expect(events.errors()).toEqual([]);
    expect(totalOf(events.inputs(stream.id), 'numRecords')).toBe(payloads.length);
  });

  it('PULL with a full memory budget stops reading: the PUSH sender blocks on its high-water mark, nothing is lost', async () => {
    const address = await endpoint();
    const ssc = context('zmq-backpressure');
    const maxBufferBytes = 16_000;
    const stream = zeromqStream(ssc, { endpoint: address, pattern: 'pull', maxBufferBytes, receiveHighWaterMark: 10, receiveBufferSize: 8192 });
    const gate = deferred();
    const received: string[] = [];
    stream.foreachRDD(async (b) => {
      const records = b.collect();
      received.push(...records);
      if (records.length > 0) await gate.promise; // the pipeline is stuck until the gate opens
    });
    const events = recordEvents(ssc);
    await ssc.start();
    const sender = await push(address, { sendHighWaterMark: 10, sendBufferSize: 8192 });
    const payloads = sized(300, 1000);
    let sent = 0;
    const sending = (async () => {
      for (const p of payloads) {
        await sender.send(p);
        sent++;
      }
    })();

    await sleep(800);
    const stalled = sent;
    await sleep(300);
    // The sender is blocked, far from done: ~16 records in the budget, the rest in ZeroMQ's queues and the kernel's.
    expect(sent).toBe(stalled);
    expect(sent).toBeLessThan(150);
    const held = (stream as unknown as { buffer: { bytes: number } }).buffer.bytes;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(maxBufferBytes);

    gate.resolve();
    await sending;
    await waitFor(() => received.length >= payloads.length, `all 300 records (have ${received.length})`, 8000);
    await sleep(200);
    expect(received).toEqual(payloads);
    for (const i of events.inputs(stream.id)) {
      expect(i.bufferedBytes!).toBeLessThanOrEqual(maxBufferBytes);
      expect(i.droppedRecords).toBe(0);
    }
  });

  it('SUB takes only the subscribed topic prefixes; the topic frame is reported, the last frame is the record', async () => {
    const address = await endpoint();
    const pub = new Publisher({ linger: 0 });
    cleanup(() => pub.close());
    await pub.bind(address);
    const ssc = context('zmq-sub');
    const stream = zeromqStream(ssc, { endpoint: address, pattern: 'sub', topics: ['a.', 'c.'] });
    const batches = collectBatches(stream);
    const events = recordEvents(ssc);
    await ssc.start();
    // A subscription takes a moment to reach the publisher: send until one message arrives.
    while (batches.flat().length === 0) {
      await pub.send(['a.warmup', 'warmup']);
      await sleep(20);
    }
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) {
      const topic = ['a.x', 'b.x', 'c.y'][i % 3]!;
      await pub.send([topic, `${topic}:${i}`]);
      if (topic !== 'b.x') expected.push(`${topic}:${i}`);
    }
    await pub.send('a.single-frame message'); // one frame: the prefix matches its start
    await pub.send('b.single-frame message');
    expected.push('a.single-frame message');
    await waitFor(() => batches.flat().filter((r) => r !== 'warmup').length >= expected.length, 'the subscribed messages', 5000);
    await sleep(200);

    expect(batches.flat().filter((r) => r !== 'warmup')).toEqual(expected);
    const topics: Record<string, number> = {};
    for (const i of events.inputs(stream.id)) {
      for (const [t, n] of Object.entries(i.metadata.topics as Record<string, number>)) topics[t] = (topics[t] ?? 0) + n;
    }
    expect(topics).toEqual({ 'a.warmup': expect.any(Number), 'a.x': 100, 'c.y': 100 });
  });

  it('SUB over the memory budget drops and counts what does not fit (received + dropped = sent)', async () => {
    const address = await endpoint();
    const pub = new Publisher({ linger: 0, sendHighWaterMark: 0 }); // no limit: no drop inside libzmq
    cleanup(() => pub.close());
    await pub.bind(address);
    const ssc = context('zmq-sub-drops');
    const maxBufferBytes = 5000;
    const stream = zeromqStream(ssc, { endpoint: address, pattern: 'sub', maxBufferBytes, receiveHighWaterMark: 0 });
    const received = collectRecords(stream, () => sleep(50));
    const events = recordEvents(ssc);
    await ssc.start();
    while (received.length === 0) {
      await pub.send('warmup');
      await sleep(20);
    }
    await sleep(300);
    const before = received.length;
    const dropped = () => totalOf(events.inputs(stream.id), 'droppedRecords');
    const droppedBefore = dropped();
    for (const p of sized(1000, 100)) await pub.send(p);
    await waitFor(() => received.length - before + dropped() - droppedBefore >= 1000, 'all 1000 received or dropped', 8000);
    await sleep(200);

    expect(dropped() - droppedBefore).toBeGreaterThan(0);
    expect(received.length - before + dropped() - droppedBefore).toBe(1000);
    expect(stream.counters.dropped).toBe(dropped());
    for (const i of events.inputs(stream.id)) expect(i.bufferedBytes!).toBeLessThanOrEqual(maxBufferBytes);
  });

  it('counts malformed records and writes them to the dead-letter sink', async () => {
    const address = await endpoint();
    const ssc = context('zmq-malformed');
    const deadLetter = new MemoryDeadLetterSink();
    const stream = zeromqStream<{ id: number; v: number }>(ssc, {
      endpoint: address,
      pattern: 'pull',
      name: 'feed',
      format: 'json',
      schema: { id: 'u32', v: 'f64' },
      deadLetter,
    });
    const good = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: i, v: i * 1.5 }));
    const bad = ['{"id": 1,', '[]', '{"id": -1, "v": 0}'];
    // The malformed ones come before the last good one: they are dead-lettered once it is through.
    const sent = [...good.slice(0, 10), bad[0]!, ...good.slice(10, 30), bad[1]!, bad[2]!, ...good.slice(30)];
    const { records, events } = await deliver(ssc, stream, async () => sendAll(await push(address), sent), good.length, { settleMs: 200 });

    expect(records.map((r) => [r.id, r.v])).toEqual(good.map((_, i) => [i, i * 1.5]));
    expect(totalOf(events.inputs(stream.id), 'malformedRecords')).toBe(3);
    expect(totalOf(events.inputs(stream.id), 'deadLetteredRecords')).toBe(3);
    expect(deadLetter.records.map((r) => Buffer.from(r.raw).toString())).toEqual(bad);
    expect(deadLetter.records.every((r) => r.source === 'feed')).toBe(true);
  });

  it('resumes when the sender goes away and comes back on the same endpoint, reporting both', async () => {
    const address = await endpoint();
    const ssc = context('zmq-restart');
    const stream = zeromqStream(ssc, { endpoint: address, pattern: 'pull', reconnectIntervalMs: 50 });
    const batches = collectBatches(stream);
    const events = recordEvents(ssc);
    await ssc.start();

    const first = await push(address);
    await sendAll(first, numbered('m', 500));
    await waitFor(() => batches.flat().length >= 500, 'the first 500 records');
    first.close();
    await waitFor(() => events.errors().length > 0, 'the lost peer to be reported');

    const second = await push(address);
    await waitFor(() => events.receiver.filter(([n]) => n === 'started').length >= 2, 'the source to reconnect');
    await sendAll(second, numbered('m', 500, 500));
    await waitFor(() => batches.flat().length >= 1000, 'all 1000 records', 5000);
    await sleep(200);

    expect(batches.flat()).toEqual(numbered('m', 1000));
    expect(events.errors()[0]!.lastErrorMessage).toMatch(/the peer at tcp:\/\/127\.0\.0\.1:\d+ went away; reconnecting every 50 ms/);
    expect(events.receiver.map(([n]) => n)).toEqual(['started', 'error', 'started']);
    expect(ssc.state).toBe('active');
  });

  it('holds records entering batches to receiverMaxRate (within 10%)', async () => {
    const address = await endpoint();
    const ssc = context('zmq-rate');
    const stream = zeromqStream(ssc, { endpoint: address, pattern: 'pull', receiverMaxRate: 1000 });
    const payloads = numbered('r', 1500);
    const { records, events, elapsedMs } = await deliver(ssc, stream, async () => sendAll(await push(address), payloads), payloads.length, { timeoutMs: 6000 });

    expect(records).toEqual(payloads);
    expectRateHeld(events.inputs(stream.id), 1000, { full: 10, elapsedMs });
  });

  it('rejects bad options when the stream is defined, and an endpoint it cannot bind on start', async () => {
    const ssc = context('zmq-options');
    const ok: ZeroMqStreamOptions = { endpoint: 'tcp://127.0.0.1:5555', pattern: 'pull' };
    expect(() => ssc.zeromqStream({ ...ok, endpoint: 'localhost:5555' })).toThrow(/'endpoint' must be a ZeroMQ endpoint/);
    expect(() => ssc.zeromqStream({ ...ok, pattern: 'req' as 'pull' })).toThrow(/'pattern' must be 'pull' or 'sub'/);
    expect(() => ssc.zeromqStream({ ...ok, topics: ['a'] })).toThrow(/'topics' apply to pattern 'sub' only/);
    expect(() => ssc.zeromqStream({ ...ok, receiveHighWaterMark: -1 })).toThrow(/receiveHighWaterMark/);

    const other = context('zmq-bind-fails');
    zeromqStream(other, { endpoint: 'tcp://192.0.2.1:5555', pattern: 'pull', bind: true }).foreachRDD(() => undefined);
    await expect(other.start()).rejects.toThrow(/cannot bind tcp:\/\/192\.0\.2\.1:5555/);
  });
});
