// The built-in reducers' semantics on the JS path (small row batches never reach the kernels):
// what a JS fold over each key's values would give, including -0, NaN and bigints.
import { describe, expect, it } from 'vitest';
import { count, max, mean, min, stats, sum, type Pair } from '../src/index.js';
import { testOperation } from '../src/testing.js';

type Row = Pair<string, number>;

function byKey<V>(batch: readonly Pair<string, V>[]): Record<string, V> {
  return Object.fromEntries(batch);
}

describe('built-in reducers on row batches (JS path)', () => {
  const input: Row[][] = [
    [['a', 1], ['b', 2], ['a', 3], ['c', -0]],
    [['a', NaN], ['b', -5], ['b', 5]],
    [],
  ];

  it('sum is a left fold of a + b: -0 stays -0, NaN propagates', async () => {
    const out = (await testOperation(input, (s) => s.reduceByKey(sum))).map(byKey);
    expect(out[0]).toEqual({ a: 4, b: 2, c: -0 });
    expect(Object.is(out[0]!.c, -0)).toBe(true);
    expect(out[1]!.a).toBeNaN();
    expect(out[1]!.b).toBe(0);
    expect(out[2]).toEqual({});
  });

  it('count counts values, of any type', async () => {
    const out = await testOperation([[['x', { any: 1 }], ['x', 'thing'], ['y', null]]] as Pair<string, unknown>[][], (s) => s.reduceByKey(count));
    expect(byKey(out[0]!)).toEqual({ x: 2, y: 1 });
  });

  it('min and max behave as Math.min / Math.max: NaN wins, -0 < +0', async () => {
    const rows: Row[][] = [[['z', 0], ['z', -0], ['n', 1], ['n', NaN], ['p', 3], ['p', -2]]];
    const mins = byKey((await testOperation(rows, (s) => s.reduceByKey(min)))[0]!);
    const maxs = byKey((await testOperation(rows, (s) => s.reduceByKey(max)))[0]!);
    expect(Object.is(mins.z, -0)).toBe(true);
    expect(Object.is(maxs.z, 0)).toBe(true);
    expect(mins.n).toBeNaN();
    expect(maxs.n).toBeNaN();
    expect([mins.p, maxs.p]).toEqual([-2, 3]);
  });

  it('mean and stats (population standard deviation)', async () => {
    const rows: Row[][] = [[['s', 2], ['s', 4], ['s', 4], ['s', 4], ['s', 5], ['s', 5], ['s', 7], ['s', 9]]];
    expect(byKey((await testOperation(rows, (s) => s.reduceByKey(mean)))[0]!)).toEqual({ s: 5 });
    expect(byKey((await testOperation(rows, (s) => s.reduceByKey(stats)))[0]!)).toEqual({ s: { count: 8, mean: 5, min: 2, max: 9, stddev: 2 } });
  });

  it('sums bigint values exactly in 64-bit two\'s complement, as the kernels and Spark\'s LongType', async () => {
    const big = 2n ** 62n;
    // sum is typed for numbers; at run time it sums bigints exactly while the sum fits in i64...
    const fits = await testOperation([[['k', big], ['k', 1n], ['k', big - 2n]]] as Pair<string, bigint>[][], (s) => s.reduceByKey(sum as never));
    expect(fits[0]).toEqual([['k', 2n ** 63n - 1n]]);
    // ...and wraps past 2^63 - 1, as an Int64 column does on the kernels
    const wraps = await testOperation([[['k', big], ['k', 1n], ['k', big]]] as Pair<string, bigint>[][], (s) => s.reduceByKey(sum as never));
    expect(wraps[0]).toEqual([['k', -(2n ** 63n) + 1n]]);
  });

  it('stats of bigint values: the sum of squares as f64, as on the kernels', async () => {
    const out = await testOperation([[['k', 5n], ['k', 7n]]] as Pair<string, bigint>[][], (s) => s.reduceByKey(stats as never));
    expect(out[0]).toEqual([['k', { count: 2, mean: 6, min: 5, max: 7, stddev: 1 }]]);
  });

  it('countByValue counts records, and groups structured records by value', async () => {
    const out = await testOperation([[['a', 1], ['a', 1], ['b', 2]]] as Pair<string, number>[][], (s) => s.countByValue());
    expect(out[0]!.map(([k, n]) => [JSON.stringify(k), n]).sort()).toEqual([['["a",1]', 2], ['["b",2]', 1]]);
  });

  it('a reducer that is not a built-in one is refused with a clear error', async () => {
    const fake = { name: 'sum', aggMask: 2, invertible: true, finish: () => 0 };
    await expect(testOperation([[['a', 1]]] as Row[][], (s) => s.reduceByKey(fake as never))).rejects.toThrow(/built-in reducer/);
  });
});
