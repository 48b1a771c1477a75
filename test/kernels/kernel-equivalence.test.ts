// The kernel path must give the JS path's results: exactly for counts, min and max, and within
// floating-point reassociation for float sums (property tests on random data with NaN, ±0, ±Inf,
// huge and tiny values, empty batches and single-key floods).
import { tableFromArrays } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { count, max, mean, min, stats, sum, Seconds, type Pair, type Reducer, type Stats } from '../../src/index.js';
import { testOperation } from '../../src/testing.js';

const specials = [NaN, 0, -0, Infinity, -Infinity, 1e308, -1e308, 5e-324, -5e-324, 1, -1];
const value = fc.oneof(
  { weight: 6, arbitrary: fc.double({ noNaN: true, min: -1e6, max: 1e6 }) },
  { weight: 2, arbitrary: fc.constantFrom(...specials) },
  { weight: 1, arbitrary: fc.double() },
);
const row = (keys: number) => fc.tuple(fc.integer({ min: 0, max: keys - 1 }), value);
/** Batches of rows: sometimes empty, sometimes a flood of one key. */
const batches = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.array(row(20), { maxLength: 60 }) },
    { weight: 1, arbitrary: fc.constant([] as [number, number][]) },
    { weight: 1, arbitrary: fc.array(row(1), { minLength: 50, maxLength: 200 }) },
  ),
  { minLength: 1, maxLength: 6 },
);

function arrow(rows: readonly [number, number][]) {
  return tableFromArrays({ key: Uint32Array.from(rows, (r) => r[0]), value: Float64Array.from(rows, (r) => r[1]) });
}

/** The JS path's answer: the same operation with plain functions over row batches. */
const jsFold: Record<string, (vs: number[]) => unknown> = {
  sum: (vs) => vs.reduce((a, b) => a + b),
  count: (vs) => vs.length,
  min: (vs) => vs.reduce((a, b) => Math.min(a, b)),
  max: (vs) => vs.reduce((a, b) => Math.max(a, b)),
  mean: (vs) => vs.reduce((a, b) => a + b) / vs.length,
};

/**
 * The sum over the extended reals: NaN with a NaN or both infinities, an infinity over any finite
 * values, else the finite values' sum. Window kernels keep infinities apart from the finite total
 * (infinities do not subtract), so this is their order of summation.
 */
function extendedRealSum(values: readonly number[]): number {
  const nan = values.some(Number.isNaN);
  const pinf = values.includes(Infinity);
  const ninf = values.includes(-Infinity);
  if (nan || (pinf && ninf)) return NaN;
  if (pinf) return Infinity;
  if (ninf) return -Infinity;
  return values.reduce((a, b) => a + b);
}

/** |a − b| within what reordering a sum of these values can change, special values exactly. */
function expectSumClose(actual: number, expected: number, values: readonly number[]): void {
  const scale = values.reduce((s, v) => s + (Number.isFinite(v) ? Math.abs(v) : 0), 0);
  if (!Number.isFinite(expected)) {
    // When the finite values can overflow, their order decides between an infinity and NaN:
    // [-1e308, -1e308, +Inf] folds to NaN left to right but is +Inf over the extended reals.
    // Both are sums of these values in some order; any other answer is wrong.
    if (scale === Infinity) {
      // With only finite values, overflow alone: another order may stay finite or overflow.
      if (values.every(Number.isFinite)) return void expect(Number.isNaN(actual)).toBe(false);
      return void expect([expected, extendedRealSum(values)]).toContainEqual(actual);
    }
    return void expect(actual).toBe(expected);
  }
  const bound = 1e-12 * Math.max(Math.abs(expected), Math.abs(actual)) + values.length * Number.EPSILON * scale;
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(bound);
}

function groups(rows: readonly [number, number][]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const [k, v] of rows) (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  return m;
}

function checkBatch(name: string, out: readonly Pair<number, unknown>[], rows: readonly [number, number][]): void {
  const expected = groups(rows);
  expect(new Set(out.map(([k]) => k))).toEqual(new Set(expected.keys()));
  for (const [k, result] of out) {
    const vs = expected.get(k)!;
    const want = jsFold[name]!(vs) as number;
    if (name === 'sum' || name === 'mean') {
      // A mean is a sum divided by a count: the same bound, scaled.
      const scale = name === 'mean' ? vs.length : 1;
      expectSumClose((result as number) * scale, want * scale, vs);
    } else expect(Object.is(result, want) || (Number.isNaN(result) && Number.isNaN(want))).toBe(true);
  }
}

describe('reduceByKey with a built-in reducer on Arrow batches equals the JS path', () => {
  for (const reducer of [sum, count, min, max, mean] as Reducer<number, unknown>[]) {
    it(`${reducer.name}`, async () => {
      await fc.assert(
        fc.asyncProperty(batches, async (input) => {
          const out = await testOperation(input.map(arrow), (s) => s.reduceByKey(reducer), { workers: 0 });
          expect(out).toHaveLength(input.length);
          out.forEach((batch, i) => checkBatch(reducer.name, batch as Pair<number, unknown>[], input[i]!));
        }),
        { numRuns: 25 },
      );
    });
  }

  it('stats: count, min and max exact; mean and stddev close', async () => {
    const rows: [number, number][] = Array.from({ length: 1000 }, (_, i) => [i % 7, Math.sin(i) * 100]);
    const [out] = await testOperation([arrow(rows)], (s) => s.reduceByKey(stats), { workers: 0 });
    for (const [k, st] of out as Pair<number, Stats>[]) {
      const vs = groups(rows).get(k)!;
      const m = vs.reduce((a, b) => a + b) / vs.length;
      const sd = Math.sqrt(vs.reduce((a, b) => a + (b - m) ** 2, 0) / vs.length);
      expect(st.count).toBe(vs.length);
      expect(st.min).toBe(Math.min(...vs));
      expect(st.max).toBe(Math.max(...vs));
      expect(st.mean).toBeCloseTo(m, 10);
      expect(st.stddev).toBeCloseTo(sd, 8);
    }
  });
});

describe('reduceByKeyAndWindow with a built-in reducer (panes on the kernels) equals the JS path', () => {
  const windows = fc.constantFrom([3, 1], [4, 2], [2, 2], [6, 3], [5, 1]);
  for (const reducer of [sum, count, min, max] as Reducer<number, unknown>[]) {
    it(`${reducer.name}`, async () => {
      await fc.assert(
        fc.asyncProperty(batches, windows, async (input, [w, sl]) => {
          const numBatches = input.length + w;
          const out = await testOperation(input.map(arrow), (s) => s.reduceByKeyAndWindow(reducer, Seconds(w), Seconds(sl)), {
            numBatches,
            workers: 0,
          });
          // Window t (a multiple of the slide) covers batches t − w + 1 .. t (1-based).
          const times = Array.from({ length: numBatches }, (_, i) => i + 1).filter((t) => t % sl === 0);
          expect(out).toHaveLength(times.length);
          out.forEach((batch, i) => {
            const t = times[i]!;
            const rows = input.slice(Math.max(0, t - w), t).flat();
            checkBatch(reducer.name, batch as Pair<number, unknown>[], rows);
          });
        }),
        { numRuns: 20 },
      );
    });
  }
});

describe('string keys and the other kernel types', () => {
  it('Utf8 and dictionary string keys aggregate to the same result as row batches', async () => {
    const words = ['spark', 'sluice', 'ström', '流', '', 'spark'];
    const rows = Array.from({ length: 5000 }, (_, i) => [words[i % words.length]!, i % 3] as Pair<string, number>);
    const dictTable = tableFromArrays({ key: rows.map((r) => r[0]), value: Float64Array.from(rows, (r) => r[1]) });
    const [fromArrow] = await testOperation([dictTable], (s) => s.reduceByKey(sum), { workers: 0 });
    const [fromRows] = await testOperation([rows], (s) => s.reduceByKey((a, b) => a + b), { workers: 0 });
    expect(new Map(fromArrow as Pair<string, number>[])).toEqual(new Map(fromRows));
  });

  it('countByValue on big row batches of strings runs on the kernels and equals the JS count', async () => {
    const records = Array.from({ length: 10_000 }, (_, i) => `w${(i * 7919) % 321}`);
    const [out] = await testOperation([records], (s) => s.countByValue(), { workers: 0 });
    const expected = new Map<string, number>();
    for (const r of records) expected.set(r, (expected.get(r) ?? 0) + 1);
    expect(new Map(out)).toEqual(expected);
  });

  it('negative, fractional and bigint keys keep their identity', async () => {
    const table = tableFromArrays({ key: new Float64Array([-1.5, 2, -1.5, -0, 0, NaN, NaN]), value: new Float64Array([1, 2, 3, 4, 5, 6, 7]) });
    const [out] = await testOperation([table], (s) => s.reduceByKey(sum), { workers: 0 });
    const m = new Map(out as Pair<number, number>[]);
    expect(m.get(-1.5)).toBe(4);
    expect(m.get(0)).toBe(9); // -0 and 0 are one key, as in a Map
    expect(m.get(NaN)).toBe(13);
    const big = tableFromArrays({ key: new BigInt64Array([2n ** 60n, 1n, 2n ** 60n]), value: new BigInt64Array([5n, 6n, 2n ** 62n]) });
    const [outBig] = await testOperation([big], (s) => s.reduceByKey(sum), { workers: 0 });
    expect(new Map(outBig as unknown as Pair<bigint, bigint>[])).toEqual(new Map([[2n ** 60n, 2n ** 62n + 5n], [1n, 6n]]));
  });
});

describe('big batches on the worker pool', () => {
  it('reduceByKey(sum) over 2 workers equals the inline result', async () => {
    const n = 300_000;
    const keys = new Uint32Array(n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      keys[i] = (i * 2654435761) % 1000;
      values[i] = (i % 17) - 8;
    }
    const table = tableFromArrays({ key: keys, value: values });
    const [pooled] = await testOperation([table], (s) => s.reduceByKey(sum), { workers: 2 });
    const [inline] = await testOperation([table], (s) => s.reduceByKey(sum), { workers: 0 });
    expect(new Map(pooled as Pair<number, number>[])).toEqual(new Map(inline as Pair<number, number>[]));
    expect(pooled).toHaveLength(1000);
  });
});
