import { afterEach, describe, expect, it, vi } from 'vitest';
import { IllegalStateError, JobFailedError, Milliseconds, StreamingContext, type Pair } from '../src/index.js';
import { advanceBatches, ManualClock, testOperation } from '../src/testing.js';
import { rejectionOf } from './support/async.js';

afterEach(() => vi.restoreAllMocks());

describe('testOperation', () => {
  it('runs an operation batch by batch and returns each output batch', async () => {
    const out = await testOperation([[1, 2], [3], []], (s) => s.map((n) => n * 2));
    expect(out).toEqual([[2, 4], [6], []]);
  });

  it('yields empty batches once numBatches goes past the input', async () => {
    const out = await testOperation([['a'], ['b', 'b']], (s) => s.countByValue(), { numBatches: 4 });
    expect(out).toEqual([[['a', 1]], [['b', 2]], [], []]);
  });

  it('runs only numBatches batches when fewer than the input', async () => {
    const out = await testOperation([[1], [2], [3]], (s) => s, { numBatches: 2 });
    expect(out).toEqual([[1], [2]]);
  });

  it('combines two inputs; the longer one sets the default number of batches', async () => {
    const out = await testOperation(
      [[['a', 1]], [['b', 2]]] as Pair<string, number>[][],
      [[['a', 'x']], [['b', 'y']], [['c', 'z']]] as Pair<string, string>[][],
      (a, b) => a.join(b),
    );
    expect(out).toEqual([[['a', [1, 'x']]], [['b', [2, 'y']]], []]);
  });

  it('outputs windowed streams only at their slide times, on the given batch interval', async () => {
    const out = await testOperation([[1], [2], [3], [4]], (s) => s.window(Milliseconds(200), Milliseconds(200)), {
      batchInterval: Milliseconds(100),
    });
    expect(out).toEqual([[1, 2], [3, 4]]);
  });

  it('runs stateful operations (checkpointing is set up for them)', async () => {
    const out = await testOperation(
      [[['a', 1]], [['a', 2], ['b', 5]], []] as Pair<string, number>[][],
      (s) => s.updateStateByKey<string, number, number>((values, state) => values.reduce((x, y) => x + y, state ?? 0)),
    );
    expect(out.map((batch) => [...batch].sort())).toEqual([[['a', 1]], [['a', 3], ['b', 5]], [['a', 3], ['b', 5]]]);
  });

  it('does not sleep: a thousand one-hour batches run in well under a second', async () => {
    const started = Date.now();
    const input = Array.from({ length: 1000 }, (_, i) => [i]);
    const out = await testOperation(input, (s) => s.map((n) => n + 1), { batchInterval: 3_600_000 });
    expect(out).toHaveLength(1000);
    expect(out[999]).toEqual([1000]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('does not mutate the input arrays', async () => {
    const input = [[1, 2], [3]];
    await testOperation(input, (s) => s.filter((n) => n > 1));
    expect(input).toEqual([[1, 2], [3]]);
  });

  it('rejects with the context error when the operation fails, after the retries', async () => {
    let calls = 0;
    const result = testOperation([[1], [2], [3]], (s) =>
      s.map((n) => {
        calls++;
        if (n === 2) throw new RangeError('no twos');
        return n;
      }),
    );
    await expect(result).rejects.toBeInstanceOf(JobFailedError);
    await expect(result).rejects.toThrow(/failed for batch 2000 ms after 4 attempt\(s\): RangeError: no twos/);
    // Batch 1 once, batch 2 four times, batch 3 never.
    expect(calls).toBe(5);
  });

  it('rejects when the operation cannot even be defined', async () => {
    await expect(testOperation([[1]], (s) => s.window(Milliseconds(1500)))).rejects.toThrow(/multiple/);
  });

  it('rejects a call without input or operation', async () => {
    await expect(testOperation((() => undefined) as never, undefined as never)).rejects.toThrow(TypeError);
  });
});

describe('advanceBatches', () => {
  it('advances a manual clock one interval per batch and waits for each batch', async () => {
    const ssc = new StreamingContext({ batchInterval: Milliseconds(250), clock: 'manual' });
    const seen: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (_b, t) => {
      await new Promise((r) => setTimeout(r, 2));
      seen.push(t);
    });
    await ssc.start();
    await advanceBatches(ssc, 2);
    expect(seen).toEqual([250, 500]);
    expect(ssc.clock.now()).toBe(500);
    await advanceBatches(ssc, 0);
    expect(seen).toEqual([250, 500]);
    await advanceBatches(ssc, 1);
    expect(seen).toEqual([250, 500, 750]);
    await ssc.stop();
  });

  it('needs a manual clock', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000 });
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await expect(advanceBatches(ssc, 1)).rejects.toThrow(/clock: 'manual'/);
  });

  it('needs a started, running context rather than hanging', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, clock: 'manual' });
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await expect(advanceBatches(ssc, 1)).rejects.toThrow(/it is initialized: call \(and await\) ssc.start\(\) first/);
    await ssc.start();
    await ssc.stop();
    await expect(advanceBatches(ssc, 1)).rejects.toBeInstanceOf(IllegalStateError);
    await expect(advanceBatches(ssc, 1)).rejects.toThrow(/it is stopped: a stopped context runs no more batches/);
  });

  it('rejects with the error that stopped the context, and keeps doing so', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, clock: 'manual', maxTaskFailures: 1 });
    const ran: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD((_b, t) => {
      ran.push(t);
      if (t === 2000) throw new Error('boom');
    });
    await ssc.start();
    const error = await rejectionOf(advanceBatches(ssc, 3));
    expect(error).toBeInstanceOf(JobFailedError);
    expect(ran).toEqual([1000, 2000]);
    await expect(advanceBatches(ssc, 1)).rejects.toBe(error);
  });

  it('rejects a negative or fractional count', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, clock: 'manual' });
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await ssc.start();
    await expect(advanceBatches(ssc, -1)).rejects.toThrow(RangeError);
    await expect(advanceBatches(ssc, 1.5)).rejects.toThrow(RangeError);
    await ssc.stop();
  });

  it('the testing module re-exports ManualClock', () => {
    expect(new StreamingContext({ batchInterval: 1000, clock: 'manual' }).clock).toBeInstanceOf(ManualClock);
  });
});
