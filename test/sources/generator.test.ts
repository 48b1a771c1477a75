import { afterEach, describe, expect, it } from 'vitest';
import { StreamingContext, type Time } from '../../src/index.js';
import { advanceBatches } from '../../src/testing.js';
import { collectBatches } from '../support/batches.js';

let ssc: StreamingContext | undefined;

afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

/** Runs a generator of `[index, time]` records for `n` batches and returns the batches. */
async function run(ratePerSec: number, batchInterval: number, n: number, numPartitions?: number) {
  ssc = new StreamingContext({ batchInterval, clock: 'manual' });
  const stream = ssc.generatorStream((index, time): [number, Time] => [index, time], { ratePerSec, ...(numPartitions ? { numPartitions } : {}) });
  const batches = collectBatches(stream);
  const partitions: number[] = [];
  stream.foreachRDD((b) => void partitions.push(b.numPartitions));
  await ssc.start();
  await advanceBatches(ssc, n);
  return { batches, partitions };
}

describe('generatorStream', () => {
  it('makes exactly ratePerSec × interval records per batch for a whole rate', async () => {
    const { batches } = await run(7, 1000, 5);
    expect(batches.map((b) => b.length)).toEqual([7, 7, 7, 7, 7]);
  });

  // [rate, interval, batches, expected total]: the cumulative count after each batch must be
  // floor(rate × elapsed seconds) exactly, including products that floating point gets wrong
  // (0.29 × 100 = 28.999999999999996, 0.7 × 90 = 62.99999999999999).
  const fractional: [number, number, number][] = [
    [0.29, 1000, 200],
    [0.7, 1000, 180],
    [2.5, 1000, 40],
    [1 / 3, 1000, 90],
    [7, 300, 100],
    [0.57, 1000, 200],
    [123.45, 100, 100],
  ];
  for (const [rate, interval, n] of fractional) {
    it(`adds up exactly for ${rate.toPrecision(4)}/s with ${interval} ms batches over ${n} batches`, async () => {
      const { batches } = await run(rate, interval, n);
      // Expected counts in exact integer arithmetic (the rate as a fraction of integers).
      const [num, den] = rate === 1 / 3 ? [1, 3] : [Math.round(rate * 100), 100];
      let total = 0;
      batches.forEach((b, i) => {
        total += b.length;
        const elapsedMs = (i + 1) * interval;
        expect(total, `records by batch ${i + 1}`).toBe(Math.floor((num * elapsedMs) / (den * 1000)));
      });
    });
  }

  it('numbers records continuously across batches and passes each its batch time', async () => {
    const { batches } = await run(2.5, 1000, 20);
    const all = batches.flat();
    expect(all.map(([index]) => index)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    batches.forEach((b, i) => {
      for (const [, time] of b) expect(time).toBe((i + 1) * 1000);
    });
    expect(batches.map((b) => b.length).slice(0, 4)).toEqual([2, 3, 2, 3]);
  });

  it('spreads each batch over numPartitions partitions', async () => {
    const { batches, partitions } = await run(10, 1000, 2, 3);
    expect(partitions).toEqual([3, 3]);
    expect(batches.flat().map(([i]) => i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('gives empty batches at rate 0', async () => {
    const { batches } = await run(0, 1000, 3);
    expect(batches).toEqual([[], [], []]);
  });

  it('rejects bad options when the stream is defined, not at the first batch', () => {
    const ctx = new StreamingContext({ batchInterval: 1000, clock: 'manual' });
    const make = (i: number): number => i;
    expect(() => ctx.generatorStream(make, { ratePerSec: -1 })).toThrow(/ratePerSec must be a non-negative number/);
    expect(() => ctx.generatorStream(make, { ratePerSec: Number.NaN })).toThrow(RangeError);
    expect(() => ctx.generatorStream(make, { ratePerSec: Infinity })).toThrow(RangeError);
    expect(() => ctx.generatorStream(make, undefined as unknown as { ratePerSec: number })).toThrow(/ratePerSec must be a non-negative number, e\.g\./);
    expect(() => ctx.generatorStream(make, { ratePerSec: 1, numPartitions: 0 })).toThrow(/numPartitions must be a positive integer, got 0/);
    expect(() => ctx.generatorStream(make, { ratePerSec: 1, numPartitions: 1.5 })).toThrow(RangeError);
    expect(() => ctx.generatorStream('x' as unknown as typeof make, { ratePerSec: 1 })).toThrow(/must be a function/);
  });
});
