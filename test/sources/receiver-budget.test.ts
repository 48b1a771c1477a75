// receiverStream(receiver, { receiverMaxRate, maxBufferRecords, maxBufferBytes }): the rate limit
// and the memory budget of custom receivers, on a manual clock.
import { afterEach, describe, expect, it } from 'vitest';
import { Receiver, StreamingContext, type BatchInfo } from '../../src/index.js';
import type { ReceiverInputDStream, ReceiverStreamOptions } from '../../src/sources/receiver.js';
import { advanceBatches } from '../../src/testing.js';
import { deferred, flush } from '../support/async.js';
import { collectBatches } from '../support/batches.js';
import { recordEvents } from './helpers.js';

let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

/** A receiver the test drives: `push` stores through it and returns what store() said. */
class ManualReceiver extends Receiver<string> {
  onStart(): void {}
  onStop(): void {}
  push(records: string | string[], bytes?: number): boolean {
    return this.store(records, bytes);
  }
}

async function run(options: ReceiverStreamOptions, gate?: Promise<void>) {
  ssc = new StreamingContext({ batchInterval: 1000, clock: 'manual', appName: 'receiver-budget', ui: false });
  const receiver = new ManualReceiver('manual');
  const stream = ssc.receiverStream(receiver, options) as ReceiverInputDStream<string>;
  const batches: string[][] = [];
  stream.foreachRDD(async (b) => {
    batches.push(b.collect());
    if (gate) await gate;
  });
  const events = recordEvents(ssc);
  await ssc.start();
  return { ssc, receiver, stream, batches, events };
}

const inputOf = (b: BatchInfo, id: number) => b.streamIdToInputInfo.get(id)!;
const letters = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `r${from + i}`);

describe('receiverStream options', () => {
  it('receiverMaxRate: each batch takes at most rate × interval records, the rest wait in order', async () => {
    const { ssc, receiver, stream, batches, events } = await run({ receiverMaxRate: 40 });
    receiver.push(letters(100));
    await advanceBatches(ssc, 3);
    expect(batches.map((b) => b.length)).toEqual([40, 40, 20]);
    expect(batches.flat()).toEqual(letters(100));
    expect(events.batches.map((b) => inputOf(b, stream.id).rateLimit)).toEqual([40, 40, 40]);
  });

  it('maxBufferRecords: store() drops and counts what does not fit until the batch holding the records is done', async () => {
    const gate = deferred();
    const { ssc, receiver, stream, batches, events } = await run({ maxBufferRecords: 10 }, gate.promise);
    expect(receiver.push(letters(8))).toBe(true);
    expect(receiver.push(letters(4, 8))).toBe(false); // two fit, two are dropped
    expect(receiver.hasSpace()).toBe(false);
    const first = advanceBatches(ssc, 1);
    await flush();
    // Cut into a batch whose output has not finished: still held.
    expect(receiver.push('r100')).toBe(false);
    let spaced = false;
    void receiver.whenSpace().then(() => (spaced = true));
    gate.resolve();
    await first;
    await flush();
    expect(spaced).toBe(true);
    expect(receiver.push(['a', 'b'])).toBe(true);
    await advanceBatches(ssc, 1);

    expect(batches).toEqual([letters(10), ['a', 'b']]);
    expect(events.batches.map((b) => inputOf(b, stream.id).droppedRecords)).toEqual([2, 1]);
    expect(stream.droppedRecords).toBe(3);
  });

  it('maxBufferBytes counts the sizes given to store() and reports the bytes held', async () => {
    const { ssc, receiver, stream, batches, events } = await run({ maxBufferBytes: 100 });
    expect(receiver.push('a', 60)).toBe(true);
    expect(receiver.push('b', 50)).toBe(false);
    expect(receiver.push(['c', 'd'], 40)).toBe(true);
    expect(receiver.hasSpace(1, 1)).toBe(false);
    await advanceBatches(ssc, 1);
    expect(batches).toEqual([['a', 'c', 'd']]);
    const info = inputOf(events.batches[0]!, stream.id);
    expect(info.droppedRecords).toBe(1);
    expect(info.bufferedBytes).toBe(100);
    const other = new StreamingContext({ batchInterval: 1000, clock: 'manual', ui: false });
    expect(() => other.receiverStream(new ManualReceiver(), { maxBufferRecords: 0 })).toThrow(/maxBufferRecords must be a positive integer/);
    expect(() => other.receiverStream(new ManualReceiver(), { receiverMaxRate: 0 })).toThrow(/maxRate must be a positive number/);
  });
});
