// mqttStream against real Mosquitto brokers: the one on 127.0.0.1:1883 (CI needs it), and
// private ones on free ports for the restart test. Every test uses its own topics and ids.
import { expect, it } from 'vitest';
import type { MqttClient, Packet } from 'mqtt';
import type { StreamingContext, StreamingContextOptions } from '../../../src/index.js';
import { MemoryDeadLetterSink } from '../../../src/sources/decode/dead-letter.js';
import type { MqttInputDStream, MqttStreamOptions } from '../../../src/sources/mqtt/mqtt-input.js';
import { deferred, sleep, waitFor } from '../../support/async.js';
import { collectBatches, collectRecords } from '../../support/batches.js';
import { describeWithBroker } from '../brokers.js';
import { deliver, expectRateHeld, liveContext, numbered, recordEvents, totalOf, useCleanups } from '../helpers.js';
import { freePort } from '../private-server.js';
import { MQTT_HOST, MQTT_PORT, MQTT_URL, privateMosquitto, dropSession, publishAll, publisher, uniqueId, uniqueTopic } from './support.js';

const cleanup = useCleanups();
const context = (appName: string, options: Partial<StreamingContextOptions> = {}): StreamingContext => liveContext(cleanup, { appName, ...options });

function mqttStream<T = string>(ssc: StreamingContext, options: MqttStreamOptions): MqttInputDStream<T> {
  return ssc.mqttStream<T>(options) as MqttInputDStream<T>;
}

async function connectedPublisher(url = MQTT_URL): Promise<MqttClient> {
  const client = await publisher(url);
  cleanup(() => client.endAsync(true));
  return client;
}

/** A persistent client id, its session removed from the broker after the test. */
function persistentId(what: string, url = MQTT_URL): string {
  const id = uniqueId(what);
  cleanup(() => dropSession(id, url));
  return id;
}


await describeWithBroker('mqttStream', MQTT_HOST, MQTT_PORT, 'apt-get install mosquitto && mosquitto -d (listening on 127.0.0.1:1883)', () => {
  it.each([0, 1] as const)('delivers every record exactly once, in order, across many batches (QoS %i)', async (qos) => {
    const topic = uniqueTopic('exact');
    const ssc = context('mqtt-exact');
    const stream = mqttStream(ssc, { url: MQTT_URL, topics: topic, qos });
    const payloads = numbered('m', 3000);
    const send = async () => {
      const pub = await connectedPublisher();
      for (let i = 0; i < payloads.length; i += 300) {
        await publishAll(pub, topic, payloads.slice(i, i + 300), qos);
        await sleep(60);
      }
    };
    const { batches, records, events } = await deliver(ssc, stream, send, payloads.length, { timeoutMs: 10_000, settleMs: 250 });

    expect(records).toEqual(payloads);
    expect(batches.filter((b) => b.length > 0).length).toBeGreaterThanOrEqual(5);
    expect(events.errors()).toEqual([]);
    const infos = events.inputs(stream.id);
    expect(totalOf(infos, 'numRecords')).toBe(payloads.length);
    expect(infos.every((i) => i.droppedRecords === 0 && i.malformedRecords === 0)).toBe(true);
    expect(infos.find((i) => i.numRecords > 0)!.metadata).toMatchObject({ topics: { [topic]: expect.any(Number) }, refused: 0 });
  });

  it('sends the PUBACK of a QoS 1 message only once the outputs of its batch succeeded', async () => {
    const topic = uniqueTopic('puback');
    const ssc = context('mqtt-puback');
    const stream = mqttStream(ssc, { url: MQTT_URL, topics: topic, qos: 1 });
    const gate = deferred();
    const seen: string[][] = [];
    stream.foreachRDD(async (b) => {
      const records = b.collect();
      if (records.length === 0) return;
      seen.push(records);
      await gate.promise;
    });
    await ssc.start();
    const pubacks: number[] = [];
    const client = (stream as unknown as { client: MqttClient }).client;
    client.on('packetsend', (p: Packet) => {
      if (p.cmd === 'puback') pubacks.push(p.messageId!);
    });
    const received: number[] = [];
    client.on('message', (_t, _p, packet) => void received.push(packet.messageId!));

    const pub = await connectedPublisher();
    await publishAll(pub, topic, numbered('p', 10));
    await waitFor(() => seen.length === 1, 'the batch to reach its output');
    await sleep(300); // several batch intervals: nothing is acknowledged while the output runs
    expect(received).toHaveLength(10);
    expect(pubacks).toEqual([]);

    gate.resolve();
    await waitFor(() => pubacks.length === 10, 'the 10 PUBACKs');
    expect(pubacks.sort((a, b) => a - b)).toEqual([...received].sort((a, b) => a - b));
    expect(seen.flat()).toEqual(numbered('p', 10));
  });

  it('MQTT 3.1.1 (protocolVersion 4) defers PUBACKs too, within the broker\'s own in-flight limit', async () => {
    const topic = uniqueTopic('v4');
    const ssc = context('mqtt-v4');
    const stream = mqttStream(ssc, { url: MQTT_URL, topics: topic, qos: 1, protocolVersion: 4 });
    const payloads = numbered('v', 100);
    const { batches, records } = await deliver(ssc, stream, async () => publishAll(await connectedPublisher(), topic, payloads), payloads.length, { timeoutMs: 5000 });
    expect(records).toEqual(payloads);
    // Mosquitto sends an MQTT 3.1.1 client 20 unacknowledged QoS 1 messages at most: had the
    // PUBACKs gone out on receipt, the first batch would have taken all 100.
    expect(batches.find((b) => b.length > 0)).toHaveLength(20);
  });

  it('with a fixed clientId, a job that dies before acknowledging has its messages delivered again to the next job', async () => {
    const topic = uniqueTopic('redeliver');
    const clientId = persistentId('redeliver');
    const options: MqttStreamOptions = { url: MQTT_URL, topics: topic, qos: 1, clientId, sessionExpirySeconds: 60 };

    const first = context('mqtt-dies', { maxTaskFailures: 1 });
    const processed: string[] = [];
    mqttStream(first, options).foreachRDD((b) => {
      const records = b.collect();
      if (records.some((r) => r.startsWith('second'))) throw new Error('the output is down');
      processed.push(...records);
    });
    await first.start();
    const pub = await connectedPublisher();
    await publishAll(pub, topic, numbered('first', 20));
    await waitFor(() => processed.length === 20, 'the first 20 processed');
    await sleep(300); // their batch committed: acknowledged
    await publishAll(pub, topic, numbered('second', 20));
    await expect(first.awaitTermination()).rejects.toThrow(/the output is down/);

    // Published while no job runs: the broker keeps them in the session.
    await publishAll(pub, topic, numbered('third', 5));
    const next = context('mqtt-next');
    const batches = collectBatches(mqttStream(next, options));
    await next.start();
    await waitFor(() => batches.flat().length >= 25, `25 records (have ${batches.flat().length})`, 5000);
    await sleep(300);
    // Exactly the unacknowledged ones, first delivery order; none of the acknowledged first 20.
    expect(batches.flat()).toEqual([...numbered('second', 20), ...numbered('third', 5)]);
  });

  it('splits a shared subscription among jobs: each gets part, together all, none twice (QoS 1)', async () => {
    const topic = uniqueTopic('shared');
    const shared = `$share/${uniqueId('group')}/${topic}`;
    const contexts = [context('mqtt-share-1'), context('mqtt-share-2')];
    const batches = contexts.map((ssc, i) =>
      collectBatches(mqttStream(ssc, { url: MQTT_URL, topics: shared, qos: 1, clientId: persistentId(`share${i}`), sessionExpirySeconds: 30 })),
    );
    await Promise.all(contexts.map((c) => c.start()));
    const pub = await connectedPublisher();
    const payloads = numbered('s', 600);
    await publishAll(pub, topic, payloads);
    await waitFor(() => batches[0]!.flat().length + batches[1]!.flat().length >= payloads.length, 'all 600 records', 10_000);
    await sleep(300);

    const [a, b] = batches.map((x) => x.flat());
    expect(a!.length).toBeGreaterThan(0);
    expect(b!.length).toBeGreaterThan(0);
    expect(a!.length + b!.length).toBe(payloads.length);
    expect(new Set([...a!, ...b!]).size).toBe(payloads.length);
    expect([...a!, ...b!].sort()).toEqual([...payloads].sort());
  });

  it('counts malformed records and writes them to the dead-letter sink', async () => {
    const topic = uniqueTopic('malformed');
    const ssc = context('mqtt-malformed');
    const deadLetter = new MemoryDeadLetterSink();
    const stream = mqttStream<{ id: number; v: number }>(ssc, {
      url: MQTT_URL,
      topics: topic,
      qos: 1,
      name: 'sensors',
      format: 'json',
      schema: { id: 'u32', v: 'f64' },
      deadLetter,
    });
    const good = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i, v: i / 2 }));
    const bad = ['{"id": 1, "v": ', 'not json', '{"id": "x", "v": 1}'];
    // The malformed ones come before the last good one: they are dead-lettered once it is through.
    const sent = [...good.slice(0, 20), bad[0]!, ...good.slice(20, 40), bad[1]!, bad[2]!, ...good.slice(40)];
    const { records, events } = await deliver(ssc, stream, async () => publishAll(await connectedPublisher(), topic, sent), good.length, { timeoutMs: 5000, settleMs: 250 });

    expect(records.map((r) => [r.id, r.v])).toEqual(good.map((_, i) => [i, i / 2]));
    expect(totalOf(events.inputs(stream.id), 'malformedRecords')).toBe(3);
    expect(totalOf(events.inputs(stream.id), 'deadLetteredRecords')).toBe(3);
    expect(deadLetter.records.map((r) => Buffer.from(r.raw).toString())).toEqual(bad);
    expect(deadLetter.records.every((r) => r.source === 'sensors' && r.reason.length > 0)).toBe(true);
    expect(stream.counters).toEqual({ malformed: 3, deadLettered: 3, dropped: 0 });
  });

  it('holds records entering batches to receiverMaxRate (within 10%)', async () => {
    const topic = uniqueTopic('rate');
    const ssc = context('mqtt-rate');
    const stream = mqttStream(ssc, { url: MQTT_URL, topics: topic, qos: 1, receiverMaxRate: 1000 });
    const payloads = numbered('r', 1500);
    const { records, events, elapsedMs } = await deliver(ssc, stream, async () => publishAll(await connectedPublisher(), topic, payloads), payloads.length, { timeoutMs: 6000 });

    expect(records).toEqual(payloads);
    // While a backlog waits, every batch takes its 100 records (1000/s at 100 ms batches), and in
    // wall-clock time the 1500 records take about 1.5 s.
    expectRateHeld(events.inputs(stream.id), 1000, { full: 10, elapsedMs });
  });

  it('QoS 0 has no flow control: over the memory budget messages are dropped and counted, never silently', async () => {
    const topic = uniqueTopic('budget0');
    const ssc = context('mqtt-budget0');
    const maxBufferBytes = 4000;
    const stream = mqttStream(ssc, { url: MQTT_URL, topics: topic, qos: 0, maxBufferBytes });
    const received = collectRecords(stream, () => sleep(40)); // a slow pipeline
    const events = recordEvents(ssc);
    await ssc.start();
    const pub = await connectedPublisher();
    const payloads = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(5, '0')}${'x'.repeat(95)}`); // 100 bytes each
    await publishAll(pub, topic, payloads, 0);
    const dropped = () => totalOf(events.inputs(stream.id), 'droppedRecords');
    await waitFor(() => received.length + dropped() >= payloads.length, `all 1000 received or dropped (${received.length} + ${dropped()})`, 8000);

    expect(dropped()).toBeGreaterThan(0);
    expect(received.length + dropped()).toBe(payloads.length);
    expect(stream.counters.dropped).toBe(dropped());
    expect(new Set(received).size).toBe(received.length);
    for (const i of events.inputs(stream.id)) expect(i.bufferedBytes!).toBeLessThanOrEqual(maxBufferBytes);
  });

  it('QoS 1 over the memory budget refuses messages and has the broker deliver them again: nothing lost, memory bounded', async () => {
    const topic = uniqueTopic('budget1');
    const ssc = context('mqtt-budget1');
    const maxBufferBytes = 4000;
    const stream = mqttStream(ssc, { url: MQTT_URL, topics: topic, qos: 1, maxBufferBytes, clientId: persistentId('budget1'), sessionExpirySeconds: 30 });
    const received = collectRecords(stream, () => sleep(30));
    const events = recordEvents(ssc);
    await ssc.start();
    const pub = await connectedPublisher();
    const payloads = Array.from({ length: 400 }, (_, i) => `${String(i).padStart(5, '0')}${'x'.repeat(95)}`);
    await publishAll(pub, topic, payloads);
    await waitFor(() => received.length >= payloads.length, `all 400 records (have ${received.length})`, 10_000);
    await sleep(300);

    expect(received).toHaveLength(payloads.length);
    expect([...received].sort()).toEqual(payloads);
    expect(stream.refused).toBeGreaterThan(0);
    const infos = events.inputs(stream.id);
    expect(infos.every((i) => i.droppedRecords === 0)).toBe(true);
    expect(infos.reduce((n, i) => n + (i.metadata.refused as number), 0)).toBe(stream.refused);
    for (const i of infos) expect(i.bufferedBytes!).toBeLessThanOrEqual(maxBufferBytes);
    expect(events.errors()).toEqual([]); // reconnecting for redelivery is not an error
  });

  it('resumes after the broker restarts mid-stream: errors reported, session resumed, nothing lost', async () => {
    const broker = await privateMosquitto();
    cleanup(() => broker.dispose());
    const topic = uniqueTopic('restart');
    const ssc = context('mqtt-restart');
    const stream = mqttStream(ssc, { url: broker.url, topics: topic, qos: 1, clientId: uniqueId('restart'), reconnectPeriodMs: 100 });
    const batches = collectBatches(stream);
    const events = recordEvents(ssc);
    await ssc.start();
    const pub = await publisher(broker.url, { clientId: uniqueId('restart-pub'), clean: false, properties: { sessionExpiryInterval: 60 } });
    cleanup(() => pub.endAsync(true));

    const before = numbered('b', 300);
    await publishAll(pub, topic, before);
    await waitFor(() => batches.flat().length >= 100, 'records before the restart');
    await broker.stop();
    await waitFor(() => events.errors().length > 0, 'the lost connection to be reported');
    // Published while the broker is down: the publisher keeps them until it reconnects.
    const during = numbered('d', 100);
    for (const p of during) pub.publish(topic, p, { qos: 1 });
    await sleep(300);
    await broker.restart();
    await waitFor(() => events.receiver.filter(([n]) => n === 'started').length >= 2, 'the source to reconnect', 5000);
    const after = numbered('a', 300);
    await publishAll(pub, topic, after);
    const expected = [...before, ...during, ...after];
    await waitFor(() => new Set(batches.flat()).size >= expected.length, `all ${expected.length} records (have ${new Set(batches.flat()).size})`, 10_000);
    await sleep(300);

    // Nothing lost, and nothing twice either: PUBACKs that died with the broker are recognised
    // when it delivers those messages again on the resumed session (the guarantee is still
    // at-least-once: a session the broker loses would bring back what it had not had acknowledged).
    expect(batches.flat().sort()).toEqual([...expected].sort());
    expect(events.errors().map((e) => e.lastErrorMessage)).toContainEqual(expect.stringMatching(/connection to mqtt:\/\/127\.0\.0\.1:\d+ lost; reconnecting every 100 ms/));
    expect(events.receiver.map(([n]) => n).slice(-1)).toEqual(['started']);
    expect(ssc.state).toBe('active');
  });

  it('rejects bad options when the stream is defined', () => {
    const ssc = context('mqtt-options');
    const ok: MqttStreamOptions = { url: MQTT_URL, topics: 't', qos: 1 };
    expect(() => ssc.mqttStream({ ...ok, url: '' })).toThrow(/'url' must be a broker URL/);
    expect(() => ssc.mqttStream({ ...ok, topics: [] })).toThrow(/'topics' must be a topic filter/);
    expect(() => ssc.mqttStream({ ...ok, qos: 2 as 1 })).toThrow(/'qos' must be 0 or 1/);
    expect(() => ssc.mqttStream({ ...ok, cleanSession: false })).toThrow(/needs a fixed 'clientId'/);
    expect(() => ssc.mqttStream({ ...ok, receiveMaximum: 0 })).toThrow(/receiveMaximum/);
    expect(() => ssc.mqttStream({ ...ok, receiverMaxRate: -1 })).toThrow(/maxRate/);
  });

  it('fails start() clearly when the broker refuses the subscription or cannot be reached', async () => {
    const ssc = context('mqtt-unreachable');
    const port = await freePort();
    mqttStream(ssc, { url: `mqtt://127.0.0.1:${port}`, topics: 't', qos: 0, connectTimeoutMs: 400, reconnectPeriodMs: 100 }).foreachRDD(() => undefined);
    const events = recordEvents(ssc);
    await expect(ssc.start()).rejects.toThrow(/no connection to the MQTT broker at mqtt:\/\/127\.0\.0\.1:\d+ within 400 ms/);
    expect(events.errors().some((e) => /ECONNREFUSED/.test(e.lastError ?? ''))).toBe(true);
  });
});
