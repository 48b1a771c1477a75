import { afterEach, describe, expect, it } from 'vitest';
import { Batch, StreamingContext } from '../../src/index.js';
import { advanceBatches } from '../../src/testing.js';
import { collectBatches } from '../support/batches.js';
import { recordEvents } from './helpers.js';

let ssc: StreamingContext | undefined;

afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

function context(): StreamingContext {
  ssc = new StreamingContext({ batchInterval: 1000, clock: 'manual' });
  return ssc;
}

describe('queueStream', () => {
  it('takes one queued item per batch, then gives empty batches', async () => {
    const ssc = context();
    const stream = ssc.queueStream<number>([[1, 2], [3], [4, 5, 6]]);
    const batches = collectBatches(stream);
    const events = recordEvents(ssc);
    await ssc.start();
    await advanceBatches(ssc, 5);
    expect(batches).toEqual([[1, 2], [3], [4, 5, 6], [], []]);
    expect(events.batches.map((b) => b.streamIdToInputInfo.get(stream.id)!.numRecords)).toEqual([2, 1, 3, 0, 0]);
  });

  it('with oneAtATime: false, takes everything queued, in order', async () => {
    const ssc = context();
    const queue: number[][] = [[1, 2], [3], [4]];
    const batches = collectBatches(ssc.queueStream(queue, { oneAtATime: false }));
    await ssc.start();
    await advanceBatches(ssc, 1);
    queue.push([5], [6, 7]);
    await advanceBatches(ssc, 2);
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6, 7], []]);
    expect(queue).toEqual([]);
  });

  it('gives defaultBatch whenever the queue is empty', async () => {
    const ssc = context();
    const queue: string[][] = [['a']];
    const batches = collectBatches(ssc.queueStream(queue, { defaultBatch: ['-'] }));
    await ssc.start();
    await advanceBatches(ssc, 2);
    queue.push(['b']);
    await advanceBatches(ssc, 2);
    expect(batches).toEqual([['a'], ['-'], ['b'], ['-']]);
  });

  it('sees items pushed to the array while running', async () => {
    const ssc = context();
    const queue: number[][] = [];
    const batches = collectBatches(ssc.queueStream(queue));
    await ssc.start();
    await advanceBatches(ssc, 1);
    queue.push([1], [2]);
    await advanceBatches(ssc, 1);
    queue.push([3]);
    await advanceBatches(ssc, 3);
    expect(batches).toEqual([[], [1], [2], [3], []]);
  });

  it('accepts Batch items, keeping their partitions', async () => {
    const ssc = context();
    const partitions: number[] = [];
    const stream = ssc.queueStream<number>([Batch.fromPartitions([[1], [2, 3]]), [4]]);
    const batches = collectBatches(stream);
    stream.foreachRDD((b) => void partitions.push(b.numPartitions));
    await ssc.start();
    await advanceBatches(ssc, 2);
    expect(batches).toEqual([[1, 2, 3], [4]]);
    expect(partitions).toEqual([2, 1]);
  });

  it('cuts a batch from a copy, so changing a pushed array afterwards does not change the batch', async () => {
    const ssc = context();
    ssc.remember(10_000);
    const pushed = [1, 2];
    const stream = ssc.queueStream<number>([pushed]);
    collectBatches(stream);
    await ssc.start();
    await advanceBatches(ssc, 1);
    pushed.push(3);
    expect((await stream.slice(1000, 1000)).map((b) => b.collect())).toEqual([[1, 2]]);
  });

  it('stops the context with a clear error when a queued item is not a batch', async () => {
    const ssc = context();
    const queue = [[1], 2 as unknown as number[]];
    collectBatches(ssc.queueStream(queue));
    await ssc.start();
    await advanceBatches(ssc, 1);
    await expect(advanceBatches(ssc, 1)).rejects.toThrow(/queueStream: each queued item must be an array of records, a Batch or an Arrow Table\/RecordBatch, got number; push a batch, e.g. queue.push\(\[record\]\)/);
    await expect(ssc.awaitTermination()).rejects.toThrow(TypeError);
  });

  it('rejects a queue or defaultBatch that is not an array when the stream is defined', () => {
    const ssc = context();
    expect(() => ssc.queueStream('abc' as unknown as string[][])).toThrow(/queue must be an array/);
    expect(() => ssc.queueStream<string>([], { defaultBatch: 'abc' as unknown as string[] })).toThrow(/defaultBatch must be an array of records, a Batch or an Arrow Table\/RecordBatch, got string/);
  });
});

describe('input streams are cut only at their batch time', () => {
  it('a slice reaching ahead of the clock, or back past what is remembered, takes no data from a later batch', async () => {
    const ssc = context();
    const stream = ssc.queueStream<number>([[1], [2], [3], [4]]);
    const batches = collectBatches(stream);
    await ssc.start();
    await advanceBatches(ssc, 1);
    // Batch 2000 has not been cut: slicing it gives nothing and must leave [2] for its batch.
    expect((await stream.slice(2000, 3000)).map((b) => b.collect())).toEqual([]);
    await advanceBatches(ssc, 3);
    // Batch 1000 has been forgotten (the stream remembers one slide): it is gone, not re-read.
    expect((await stream.slice(1000, 1000)).map((b) => b.collect())).toEqual([]);
    expect((await stream.slice(4000, 4000)).map((b) => b.collect())).toEqual([[4]]);
    expect(batches).toEqual([[1], [2], [3], [4]]);
  });
});
