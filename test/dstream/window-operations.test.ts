// Window operations, modelled on Spark Streaming's WindowOperationsSuite (same inputs, same
// expected outputs, same window and slide durations), plus the window tests of Spark's
// JavaAPISuite and Sluice-specific checks: duration validation, checkpoint requirement, output
// timing, slice and the remember logic, and incremental-vs-naive equivalence on random input.
//
// Spark compares window outputs as sets; here every batch is sorted on both sides instead, which
// is stricter (duplicates count) and independent of hash order.
import { describe, expect, test } from 'vitest';
import { GraphValidationError, InvalidDurationError, Seconds, type DStream, type Pair, type StreamingContext, type Time } from '../../src/index.js';
import { advanceBatches, testOperation } from '../../src/testing.js';
import { rejectionOf, thrownBy } from '../support/async.js';
import { collectBatches, sortBatches, sortGroups, sortRecords } from '../support/batches.js';
import { manualContext, runBatches, withContext } from '../support/context.js';
import { prng } from '../../bench/lib/random.js';

type KV = Pair<string, number>;

const batchDuration = Seconds(1);
const add = (a: number, b: number): number => a + b;
const sub = (a: number, b: number): number => a - b;
const nonZero = ([, v]: KV): boolean => v !== 0;

// ------------------------------------------------------------------ helpers

/** Spark's helpers run `expectedOutput.size * (slide / batch)` batches. */
function numBatchesFor(expected: readonly unknown[], slideDuration: number): number {
  return expected.length * (slideDuration / batchDuration);
}

/** Runs `op` on `input` for `numBatches` batches and records the time of every output batch. */
async function runTimed<T, U>(
  input: readonly (readonly T[])[],
  op: (s: DStream<T>) => DStream<U>,
  numBatches: number,
  batchInterval = batchDuration,
): Promise<[Time, U[]][]> {
  return withContext({ batchInterval }, async (ssc) => {
    const out: [Time, U[]][] = [];
    op(ssc.queueStream(input.map((b) => b.slice()))).foreachRDD((batch, time) => {
      out.push([time, batch.collect()]);
    });
    await runBatches(ssc, numBatches);
    return out;
  });
}

// ------------------------------------------------------------------ Spark's data sets

const largerSlideInput: KV[][] = [
  [['a', 1]],
  [['a', 2]], // 1st window from here
  [['a', 3]],
  [['a', 4]], // 2nd window from here
  [['a', 5]],
  [['a', 6]], // 3rd window from here
  [],
  [], // 4th window from here
];

const largerSlideReduceOutput: KV[][] = [[['a', 3]], [['a', 10]], [['a', 18]], [['a', 11]]];

const bigInput: KV[][] = [
  [['a', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1], ['b', 1], ['c', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1]],
  [],
  [['a', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1], ['b', 1], ['c', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1]],
  [],
];

const bigGroupByOutput: Pair<string, number[]>[][] = [
  [['a', [1]]],
  [['a', [1, 1]], ['b', [1]]],
  [['a', [1, 1]], ['b', [1, 1]], ['c', [1]]],
  [['a', [1, 1]], ['b', [1, 1]], ['c', [1]]],
  [['a', [1, 1]], ['b', [1]]],
  [['a', [1]]],
  [['a', [1]]],
  [['a', [1, 1]], ['b', [1]]],
  [['a', [1, 1]], ['b', [1, 1]], ['c', [1]]],
  [['a', [1, 1]], ['b', [1, 1]], ['c', [1]]],
  [['a', [1, 1]], ['b', [1]]],
  [['a', [1]]],
];

const bigReduceOutput: KV[][] = [
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1]],
  [['a', 1]],
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1]],
  [['a', 1]],
];

// With an inverse function but no filter, keys are never eliminated, even at 0 (Spark's comment).
const bigReduceInvOutput: KV[][] = [
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1], ['c', 0]],
  [['a', 1], ['b', 0], ['c', 0]],
  [['a', 1], ['b', 0], ['c', 0]],
  [['a', 2], ['b', 1], ['c', 0]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1], ['c', 0]],
  [['a', 1], ['b', 0], ['c', 0]],
];

const windowInput: number[][] = [[0], [1], [2], [3], [4], [5]];

/** One Spark reduceByKeyAndWindow case: the three helpers are run on each where Spark does. */
interface ReduceCase {
  name: string;
  input: KV[][];
  naive: KV[][];
  /** Expected with inverse and no filter (differs from `naive` where keys fall to 0). */
  inverse: KV[][];
  window?: number;
  slide?: number;
}

const reduceCases: ReduceCase[] = [
  { name: 'basic reduction', input: [[['a', 1], ['a', 3]]], naive: [[['a', 4]]], inverse: [[['a', 4]]] },
  {
    name: 'key already in window and new value added into window',
    input: [[['a', 1]], [['a', 1]]],
    naive: [[['a', 1]], [['a', 2]]],
    inverse: [[['a', 1]], [['a', 2]]],
  },
  {
    name: 'new key added into window',
    input: [[['a', 1]], [['a', 1], ['b', 1]]],
    naive: [[['a', 1]], [['a', 2], ['b', 1]]],
    inverse: [[['a', 1]], [['a', 2], ['b', 1]]],
  },
  {
    name: 'key removed from window',
    input: [[['a', 1]], [['a', 1]], [], []],
    naive: [[['a', 1]], [['a', 2]], [['a', 1]], []],
    inverse: [[['a', 1]], [['a', 2]], [['a', 1]], [['a', 0]]],
  },
  {
    name: 'larger slide time',
    input: largerSlideInput,
    naive: largerSlideReduceOutput,
    inverse: largerSlideReduceOutput,
    window: Seconds(4),
    slide: Seconds(2),
  },
  { name: 'big test', input: bigInput, naive: bigReduceOutput, inverse: bigReduceInvOutput },
];

// ------------------------------------------------------------------ WindowOperationsSuite

describe('window (WindowOperationsSuite)', () => {
  function testWindow(name: string, input: number[][], expected: number[][], window = Seconds(2), slide = Seconds(1)): void {
    test(`window - ${name}`, async () => {
      const out = await testOperation(input, (s) => s.window(window, slide), { numBatches: numBatchesFor(expected, slide) });
      expect(sortBatches(out)).toEqual(sortBatches(expected));
    });
  }

  testWindow('basic window', windowInput, [[0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]);
  testWindow('tumbling window', windowInput, [[0, 1], [2, 3], [4, 5]], Seconds(2), Seconds(2));
  testWindow('larger window', windowInput, [[0, 1], [0, 1, 2, 3], [2, 3, 4, 5], [4, 5]], Seconds(4), Seconds(2));
  // Batches 1 and 4 fall between windows and are never seen.
  testWindow('non-overlapping window', windowInput, [[1, 2], [4, 5]], Seconds(2), Seconds(3));

  test('window - slide defaults to the parent slide', async () => {
    const out = await testOperation(windowInput, (s) => s.window(Seconds(3)), { numBatches: 7 });
    expect(sortBatches(out)).toEqual([[0], [0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5]]);
  });

  test('window of a window (Spark "rdd cleanup - map and window" pipeline)', async () => {
    const input = Array.from({ length: 10 }, (_, x) => [x, x + 1]);
    const out = await testOperation(input, (s) => s.window(Seconds(2), Seconds(1)).window(Seconds(4), Seconds(2)), {
      numBatches: 10,
    });
    // The outer window at t unions the inner windows at t-3..t, each covering two batches.
    const inner = (t: number): number[] => [t - 1, t].filter((i) => i >= 1).flatMap((i) => input[i - 1]!);
    const expected = [2, 4, 6, 8, 10].map((t) => [t - 3, t - 2, t - 1, t].filter((i) => i >= 1).flatMap(inner));
    expect(sortBatches(out)).toEqual(sortBatches(expected));
  });
});

describe('reduceByKeyAndWindow (WindowOperationsSuite)', () => {
  for (const c of reduceCases) {
    const window = c.window ?? Seconds(2);
    const slide = c.slide ?? Seconds(1);
    const numBatches = numBatchesFor(c.naive, slide);

    test(`reduceByKeyAndWindow - ${c.name}`, async () => {
      const out = await testOperation(c.input, (s) => s.reduceByKeyAndWindow(add, window, slide), { numBatches });
      expect(sortBatches(out)).toEqual(sortBatches(c.naive));
    });

    test(`reduceByKeyAndWindow with inverse function - ${c.name}`, async () => {
      const out = await testOperation(
        c.input,
        // A large checkpoint interval, as in Spark, so that checkpointing has no effect.
        (s) => s.reduceByKeyAndWindow(add, sub, window, slide).checkpoint(Seconds(100)),
        { numBatches },
      );
      expect(sortBatches(out)).toEqual(sortBatches(c.inverse));
    });

    // Spark runs only "big test" with a filter; the filtered inverse must match the naive output on all.
    test(`reduceByKeyAndWindow with inverse and filter functions - ${c.name}`, async () => {
      const out = await testOperation(
        c.input,
        (s) => s.reduceByKeyAndWindow(add, sub, window, slide, { filterFunc: nonZero }).checkpoint(Seconds(100)),
        { numBatches },
      );
      expect(sortBatches(out)).toEqual(sortBatches(c.naive));
    });
  }
});

describe('other window operations (WindowOperationsSuite)', () => {
  test('groupByKeyAndWindow', async () => {
    const out = await testOperation(bigInput, (s) => s.groupByKeyAndWindow(Seconds(2), Seconds(1)), {
      numBatches: numBatchesFor(bigGroupByOutput, Seconds(1)),
    });
    // Spark turns the values into sets, which checks only the keys; the raw lists are bigGroupByOutput.
    const toSets = (bs: Pair<string, number[]>[][]): Pair<string, number[]>[][] =>
      sortGroups(bs.map((b) => b.map(([k, vs]): Pair<string, number[]> => [k, [...new Set(vs)]])));
    expect(toSets(out)).toEqual(toSets(bigGroupByOutput));
    expect(sortGroups(out)).toEqual(sortGroups(bigGroupByOutput));
  });

  test('countByWindow', async () => {
    const input = [[1], [1], [1, 2], [0], [], []];
    const expected = [[1], [2], [3], [3], [1], [0]]; // the last window is all empty: [0], not []
    const out = await testOperation(input, (s) => s.countByWindow(Seconds(2), Seconds(1)), {
      numBatches: numBatchesFor(expected, Seconds(1)),
    });
    expect(out).toEqual(expected);
  });

  test('countByValueAndWindow', async () => {
    const input = [['a'], ['b', 'b'], ['a', 'b']];
    const expected: KV[][] = [[['a', 1]], [['a', 1], ['b', 2]], [['a', 1], ['b', 3]]];
    const out = await testOperation(input, (s) => s.countByValueAndWindow(Seconds(2), Seconds(1)), {
      numBatches: numBatchesFor(expected, Seconds(1)),
    });
    expect(sortBatches(out)).toEqual(sortBatches(expected));
  });
});

// ------------------------------------------------------------------ JavaAPISuite window tests

describe('window operations (JavaAPISuite)', () => {
  const ints = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
  const stringIntKVStream: KV[][] = [
    [['california', 1], ['california', 3], ['new york', 4], ['new york', 1]],
    [['california', 5], ['california', 5], ['new york', 3], ['new york', 1]],
  ];

  test('testWindow', async () => {
    const out = await testOperation(ints, (s) => s.window(Seconds(2)), { numBatches: 4 });
    expect(sortBatches(out)).toEqual(sortBatches([[1, 2, 3], [4, 5, 6, 1, 2, 3], [7, 8, 9, 4, 5, 6], [7, 8, 9]]));
  });

  test('testWindowWithSlideDuration', async () => {
    const input = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17, 18]];
    const out = await testOperation(input, (s) => s.window(Seconds(4), Seconds(2)), { numBatches: 8 });
    expect(sortBatches(out)).toEqual(
      sortBatches([
        [1, 2, 3, 4, 5, 6],
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18],
        [13, 14, 15, 16, 17, 18],
      ]),
    );
  });

  test('testReduceByWindowWithInverse', async () => {
    const out = await testOperation(ints, (s) => s.reduceByWindow(add, sub, Seconds(2), Seconds(1)), { numBatches: 4 });
    expect(out).toEqual([[6], [21], [39], [24]]);
  });

  test('testReduceByWindowWithoutInverse', async () => {
    const out = await testOperation(ints, (s) => s.reduceByWindow(add, Seconds(2), Seconds(1)), { numBatches: 4 });
    expect(out).toEqual([[6], [21], [39], [24]]);
  });

  test('testGroupByKeyAndWindow', async () => {
    const out = await testOperation(stringIntKVStream, (s) => s.groupByKeyAndWindow(Seconds(2), Seconds(1)), { numBatches: 3 });
    expect(sortGroups(out)).toEqual(
      sortGroups([
        [['california', [1, 3]], ['new york', [1, 4]]],
        [['california', [1, 3, 5, 5]], ['new york', [1, 1, 3, 4]]],
        [['california', [5, 5]], ['new york', [1, 3]]],
      ]),
    );
  });

  const javaReduceExpected: KV[][] = [
    [['california', 4], ['new york', 5]],
    [['california', 14], ['new york', 9]],
    [['california', 10], ['new york', 4]],
  ];

  test('testReduceByKeyAndWindow', async () => {
    const out = await testOperation(stringIntKVStream, (s) => s.reduceByKeyAndWindow(add, Seconds(2), Seconds(1)), { numBatches: 3 });
    expect(sortBatches(out)).toEqual(javaReduceExpected);
  });

  test('testReduceByKeyAndWindowWithInverse', async () => {
    const out = await testOperation(stringIntKVStream, (s) => s.reduceByKeyAndWindow(add, sub, Seconds(2), Seconds(1)), {
      numBatches: 3,
    });
    expect(sortBatches(out)).toEqual(javaReduceExpected);
  });

  test('testCountByValueAndWindow', async () => {
    const input = [['hello', 'world'], ['hello', 'moon'], ['hello']];
    const out = await testOperation(input, (s) => s.countByValueAndWindow(Seconds(2), Seconds(1)), { numBatches: 3 });
    expect(sortBatches(out)).toEqual(
      sortBatches<KV>([
        [['hello', 1], ['world', 1]],
        [['hello', 2], ['world', 1], ['moon', 1]],
        [['hello', 2], ['moon', 1]],
      ]),
    );
  });
});

// ------------------------------------------------------------------ durations

describe('window and slide durations are validated when the operation is defined', () => {
  type Op = (s: DStream<KV>, window: number, slide: number) => unknown;
  const ops: [string, Op][] = [
    ['window', (s, w, sl) => s.window(w, sl)],
    ['countByWindow', (s, w, sl) => s.countByWindow(w, sl)],
    ['reduceByWindow', (s, w, sl) => s.reduceByWindow((a) => a, w, sl)],
    ['reduceByWindow with inverse', (s, w, sl) => s.reduceByWindow((a) => a, (a) => a, w, sl)],
    ['countByValueAndWindow', (s, w, sl) => s.countByValueAndWindow(w, sl)],
    ['groupByKeyAndWindow', (s, w, sl) => s.groupByKeyAndWindow(w, sl)],
    ['reduceByKeyAndWindow', (s, w, sl) => s.reduceByKeyAndWindow(add, w, sl)],
    ['reduceByKeyAndWindow with inverse', (s, w, sl) => s.reduceByKeyAndWindow(add, sub, w, sl)],
    ['reduceByKeyAndWindow with inverse and filter', (s, w, sl) => s.reduceByKeyAndWindow(add, sub, w, sl, { filterFunc: nonZero })],
  ];

  for (const [name, op] of ops) {
    test(`${name}: a window that is not a multiple of the parent slide`, () => {
      const { ssc } = manualContext();
      const error = thrownBy(() => op(ssc.queueStream<KV>([]), 1500, 1000));
      expect(error).toBeInstanceOf(InvalidDurationError);
      expect(error.message).toContain('1500 ms');
      expect(error.message).toContain('1000 ms');
      expect(error.message).toMatch(/window/i);
      expect(ssc.state).toBe('initialized');
    });

    test(`${name}: a slide that is not a multiple of the parent slide`, () => {
      const { ssc } = manualContext();
      const error = thrownBy(() => op(ssc.queueStream<KV>([]), 3000, 1500));
      expect(error).toBeInstanceOf(InvalidDurationError);
      expect(error.message).toContain('1500 ms');
      expect(error.message).toContain('1000 ms');
      expect(error.message).toMatch(/slide/i);
    });

    test(`${name}: zero, negative and non-integer durations`, () => {
      const { ssc } = manualContext();
      const s = ssc.queueStream<KV>([]);
      for (const bad of [0, -1000, 1000.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        const onWindow = thrownBy(() => op(s, bad, 1000));
        expect(onWindow).toBeInstanceOf(InvalidDurationError);
        expect(onWindow.message).toContain(String(bad));
        const onSlide = thrownBy(() => op(s, 2000, bad));
        expect(onSlide).toBeInstanceOf(InvalidDurationError);
        expect(onSlide.message).toContain(String(bad));
      }
    });
  }

  test("the parent's slide is what counts: a window over a windowed stream", () => {
    const { ssc } = manualContext();
    const windowed = ssc.queueStream<number>([]).window(Seconds(4), Seconds(2));
    const error = thrownBy(() => windowed.window(Seconds(3)));
    expect(error).toBeInstanceOf(InvalidDurationError);
    expect(error.message).toContain('3000 ms');
    expect(error.message).toContain('2000 ms');
    expect(() => windowed.window(Seconds(6), Seconds(4))).not.toThrow();
  });

  test('a slide larger than the window is allowed (as in Spark)', () => {
    const { ssc } = manualContext();
    expect(() => ssc.queueStream<number>([]).window(Seconds(1), Seconds(3))).not.toThrow();
  });

  test('durations that are multiples of a sub-second batch interval are accepted', () => {
    const { ssc } = manualContext({ batchInterval: 250 });
    expect(() => ssc.queueStream<KV>([]).reduceByKeyAndWindow(add, sub, 750, 500)).not.toThrow();
    expect(() => ssc.queueStream<KV>([]).window(600)).toThrow(/600 ms.*250 ms/);
  });
});

// ------------------------------------------------------------------ checkpointing

describe('the incremental window operations need checkpointing', () => {
  const input: KV[][] = [[['a', 1]], [['a', 2], ['b', 1]], []];
  const incremental: [string, (s: DStream<KV>) => DStream<unknown>, unknown[][]][] = [
    [
      'reduceByKeyAndWindow with inverse',
      (s) => s.reduceByKeyAndWindow(add, sub, Seconds(2), Seconds(1)),
      [[['a', 1]], [['a', 3], ['b', 1]], [['a', 2], ['b', 1]]],
    ],
    ['countByWindow', (s) => s.countByWindow(Seconds(2), Seconds(1)), [[1], [3], [2]]],
    [
      'countByValueAndWindow',
      (s) => s.countByValueAndWindow(Seconds(2), Seconds(1)),
      [[[['a', 1], 1]], [[['a', 1], 1], [['a', 2], 1], [['b', 1], 1]], [[['a', 2], 1], [['b', 1], 1]]],
    ],
    ['reduceByWindow with inverse', (s) => s.map(([, v]) => v).reduceByWindow(add, sub, Seconds(2), Seconds(1)), [[1], [4], [3]]],
  ];

  for (const [name, op, expected] of incremental) {
    test(`${name}: start() rejects without a checkpoint directory`, async () => {
      await withContext({ checkpoint: false }, async (ssc) => {
        op(ssc.queueStream(input.slice())).foreachRDD(() => {});
        const error = await rejectionOf(ssc.start());
        expect(error).toBeInstanceOf(GraphValidationError);
        expect((error as Error).message).toMatch(/checkpoint/);
        expect(ssc.state).toBe('initialized');
      });
    });

    test(`${name}: runs with a checkpoint directory`, async () => {
      const out = await withContext({ checkpoint: true }, async (ssc) => {
        const batches = collectBatches(op(ssc.queueStream(input.slice())));
        await runBatches(ssc, 3);
        return batches;
      });
      expect(sortBatches(out)).toEqual(sortBatches(expected));
    });
  }

  test('the non-incremental window operations run without checkpointing', async () => {
    const outs = await withContext({ checkpoint: false }, async (ssc) => {
      const s = ssc.queueStream(input.slice());
      const collected: unknown[][][] = [
        collectBatches(s.window(Seconds(2))),
        collectBatches(s.reduceByKeyAndWindow(add, Seconds(2))),
        collectBatches(s.groupByKeyAndWindow(Seconds(2))),
        collectBatches(s.map(([, v]) => v).reduceByWindow(add, Seconds(2))),
      ];
      await runBatches(ssc, 3);
      return collected;
    });
    expect(outs[3]).toEqual([[1], [4], [3]]);
    expect(sortBatches(outs[1]!)).toEqual([[['a', 1]], [['a', 3], ['b', 1]], [['a', 2], ['b', 1]]]);
  });
});

// ------------------------------------------------------------------ keys at zero

describe('keys whose value falls to zero', () => {
  const input: KV[][] = [[['a', 1], ['b', 2]], [['b', 1]]];
  const numBatches = 6;

  test('are kept by the incremental reduceByKeyAndWindow without filterFunc', async () => {
    const out = await testOperation(input, (s) => s.reduceByKeyAndWindow(add, sub, Seconds(2), Seconds(1)), { numBatches });
    expect(sortBatches(out)).toEqual([
      [['a', 1], ['b', 2]],
      [['a', 1], ['b', 3]],
      [['a', 0], ['b', 1]],
      [['a', 0], ['b', 0]],
      [['a', 0], ['b', 0]],
      [['a', 0], ['b', 0]],
    ]);
  });

  test('are dropped when filterFunc says so, and come back when values arrive again', async () => {
    const again: KV[][] = [...input, [], [], [['a', 5]]];
    const out = await testOperation(
      again,
      (s) => s.reduceByKeyAndWindow(add, sub, Seconds(2), Seconds(1), { filterFunc: nonZero }),
      { numBatches: 7 },
    );
    expect(sortBatches(out)).toEqual([[['a', 1], ['b', 2]], [['a', 1], ['b', 3]], [['b', 1]], [], [['a', 5]], [['a', 5]], []]);
  });

  test('are dropped by countByValueAndWindow (built-in filter), kept at 0 by countByWindow', async () => {
    const words = [['x', 'y'], ['y'], [], []];
    const byValue = await testOperation(words, (s) => s.countByValueAndWindow(Seconds(2), Seconds(1)));
    expect(sortBatches(byValue)).toEqual([[['x', 1], ['y', 1]], [['x', 1], ['y', 2]], [['y', 1]], []]);
    const count = await testOperation(words, (s) => s.countByWindow(Seconds(2), Seconds(1)));
    expect(count).toEqual([[2], [3], [1], [0]]);
  });

  test('a filterFunc that drops a key still inside the window fails the batch, as in Spark', async () => {
    // 'a' = 1 is dropped by the filter at t=1s although it stays in the window until t=3s, so at
    // t=4s the value leaving the window has nothing to be removed from.
    const run = testOperation(
      [[['a', 1]], [], [], []] as KV[][],
      (s) => s.reduceByKeyAndWindow(add, sub, Seconds(3), Seconds(1), { filterFunc: ([, v]) => v > 1 }),
    );
    await expect(run).rejects.toThrow(/leaves the window/);
  });
});

// ------------------------------------------------------------------ timing

describe('windowed streams produce only at multiples of their slide', () => {
  const input = Array.from({ length: 12 }, (_, i) => [i + 1]); // batch k (at k s) holds [k]

  test('window(3 s, 2 s) covers (t - 3 s, t] at t = 2 s, 4 s, ...', async () => {
    const out = await runTimed(input, (s) => s.window(Seconds(3), Seconds(2)), 12);
    expect(out.map(([t]) => t)).toEqual([2000, 4000, 6000, 8000, 10000, 12000]);
    for (const [t, records] of out) {
      const k = t / 1000;
      expect(records.sort((a, b) => a - b)).toEqual([k - 2, k - 1, k].filter((i) => i >= 1));
    }
  });

  test('reduceByWindow and reduceByKeyAndWindow with inverse emit at the same times and cover the same batches', async () => {
    const sums = await runTimed(input, (s) => s.reduceByWindow(add, sub, Seconds(3), Seconds(2)), 12);
    expect(sums).toEqual(
      [2, 4, 6, 8, 10, 12].map((k): [number, number[]] => [k * 1000, [[k - 2, k - 1, k].filter((i) => i >= 1).reduce(add)]]),
    );
    const parity = (x: number): KV => [x % 2 === 0 ? 'even' : 'odd', x];
    const byKey = await runTimed(input, (s) => s.map(parity).reduceByKeyAndWindow(add, sub, Seconds(3), Seconds(3)), 12);
    expect(byKey.map(([t, r]) => [t, sortRecords(r)])).toEqual(
      [3, 6, 9, 12].map((k) => [
        k * 1000,
        [
          ['even', [k - 2, k - 1, k].filter((i) => i % 2 === 0).reduce(add, 0)],
          ['odd', [k - 2, k - 1, k].filter((i) => i % 2 === 1).reduce(add, 0)],
        ],
      ]),
    );
  });

  test('with a sub-second batch interval', async () => {
    // Batch k is at k * 500 ms; window 1500 ms, slide 1000 ms.
    const out = await runTimed(input, (s) => s.window(1500, 1000), 12, 500);
    expect(out.map(([t]) => t)).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);
    for (const [t, records] of out) {
      const k = t / 500;
      expect(records.sort((a, b) => a - b)).toEqual([k - 2, k - 1, k].filter((i) => i >= 1));
    }
  });

  test('a stream derived from a window keeps its slide', async () => {
    const out = await runTimed(input, (s) => s.window(Seconds(4), Seconds(4)).map((x) => x * 10), 12);
    expect(out).toEqual([
      [4000, [10, 20, 30, 40]],
      [8000, [50, 60, 70, 80]],
      [12000, [90, 100, 110, 120]],
    ]);
  });
});

// ------------------------------------------------------------------ slice and remember

describe('slice and forgetting old batches', () => {
  const collectSlice = async <T>(s: DStream<T>, from: number, to: number): Promise<T[]> =>
    (await s.slice(from, to)).flatMap((b) => b.collect());

  test('slice before start rejects: the stream has not been initialized', async () => {
    const { ssc } = manualContext();
    const s = ssc.queueStream([[1]]);
    await expect(s.slice(0, 1000)).rejects.toThrow(/has not been initialized/);
  });

  test('slice returns the remembered batches in the aligned range, both ends included (Spark "slice")', async () => {
    await withContext({ checkpoint: false }, async (ssc) => {
      ssc.remember(Seconds(10));
      const s = ssc.queueStream([[1], [2], [3], [4]]);
      const windowed = s.window(Seconds(2), Seconds(2));
      s.foreachRDD(() => {});
      windowed.foreachRDD(() => {});
      await runBatches(ssc, 4);
      expect(await collectSlice(s, 0, 1000)).toEqual([1]);
      expect(await collectSlice(s, 0, 2000)).toEqual([1, 2]);
      expect(await collectSlice(s, 1000, 2000)).toEqual([1, 2]);
      expect(await collectSlice(s, 2000, 4000)).toEqual([2, 3, 4]);
      // Unaligned ends are floored to the batch grid; the zero time itself is no batch.
      expect(await collectSlice(s, 1500, 3999)).toEqual([1, 2, 3]);
      expect(await s.slice(0, 999)).toEqual([]);
      // A windowed stream slices on its own grid (every 2 s).
      expect((await windowed.slice(1000, 4000)).map((b) => b.collect().sort())).toEqual([[1, 2], [3, 4]]);
    });
  });

  test('remember: each stream keeps what the windows after it need (Spark "rdd cleanup - map and window")', async () => {
    let outputs = 0;
    const { mapped, window1, window2 } = await withContext({ checkpoint: false }, async (ssc) => {
      ssc.remember(Seconds(3));
      const input = Array.from({ length: 10 }, (_, x) => [x, x + 1]);
      const source = ssc.queueStream(input);
      const mapped = source.map((x): KV => [String(x % 10), 1]);
      const window1 = mapped.window(Seconds(2), Seconds(1));
      const window2 = window1.window(Seconds(4), Seconds(2));
      window2.foreachRDD(() => void outputs++);
      await runBatches(ssc, 10);
      return { mapped, window1, window2 };
    });
    expect(outputs).toBe(5);
    // window2 remembers 3 s: 8000 and 10000, not 6000.
    expect(window2.cachedBatchCount).toBe(2);
    // window1 remembers 3 s + window2's 4 s: 4000..10000, not 3000.
    expect(window1.cachedBatchCount).toBe(7);
    // mapped remembers 3 s + 4 s + window1's 2 s: 2000..10000, not 1000.
    expect(mapped.cachedBatchCount).toBe(9);
  });

  test('old batches are forgotten once outside the remember duration, and then are not sliced', async () => {
    await withContext({ checkpoint: false }, async (ssc) => {
      ssc.remember(Seconds(3));
      const s = ssc.queueStream(Array.from({ length: 10 }, (_, i) => [i + 1]));
      s.foreachRDD(() => {});
      await runBatches(ssc, 10);
      expect(s.cachedBatchCount).toBe(3);
      expect(await collectSlice(s, 8000, 10000)).toEqual([8, 9, 10]);
    });
  });

  // Spark's rule: a window remembers at least its slide; its parent remembers that plus the
  // window. Memory therefore stays constant however many batches run.
  const memoryCases: {
    name: string;
    /** Defines the streams whose cached batches are counted (input first, then the window). */
    build: (ssc: StreamingContext) => DStream<unknown>[];
    /** Batches run before each count. */
    runs: number[];
    expected: number[][];
  }[] = [
    {
      name: 'window(3 s, 1 s)',
      build: (ssc) => {
        const input = ssc.queueStream<number>([], { defaultBatch: [1, 2, 3] });
        const w = input.window(Seconds(3), Seconds(1));
        w.foreachRDD(() => {});
        return [input, w];
      },
      runs: [20, 80],
      expected: [
        [4, 1],
        [4, 1],
      ],
    },
    {
      name: 'reduceByKeyAndWindow with inverse (4 s, 2 s)',
      build: (ssc) => {
        const input = ssc.queueStream<KV>([], { defaultBatch: [['a', 1], ['b', 2]] });
        const reduced = input.reduceByKeyAndWindow(add, sub, Seconds(4), Seconds(2));
        reduced.foreachRDD(() => {});
        return [input, reduced];
      },
      runs: [21, 80],
      // The input keeps slide + window = 6 s (the per-batch reductions before the window need them
      // to remove the batches leaving the window); the window keeps its previous value only.
      expected: [
        [6, 1],
        [6, 1],
      ],
    },
  ];

  for (const { name, build, runs, expected } of memoryCases) {
    test(`${name}: memory does not grow over many batches`, async () => {
      const counts = await withContext({}, async (ssc) => {
        const streams = build(ssc);
        const after: number[][] = [];
        await ssc.start();
        for (const n of runs) {
          await advanceBatches(ssc, n);
          after.push(streams.map((s) => s.cachedBatchCount));
        }
        return after;
      });
      expect(counts).toEqual(expected);
    });
  }

  test('the incremental windows read each input batch exactly once (no recomputation after forgetting)', async () => {
    // A queue source hands out the next item whenever a batch is (re)computed, so recomputing a
    // forgotten batch would shift the data; the sums stay right only if nothing needed is forgotten.
    const n = 40;
    const input = Array.from({ length: n }, (_, i): KV[] => [['k', i + 1]]);
    for (const [w, s] of [
      [4, 2],
      [6, 3],
      [5, 2],
      [3, 1],
      [2, 3],
    ] as const) {
      const out = await runTimed(input, (st) => st.reduceByKeyAndWindow(add, sub, Seconds(w), Seconds(s)), n);
      const expected = out.map(([t]): [number, KV[]] => {
        const k = t / 1000;
        let sum = 0;
        for (let i = Math.max(1, k - w + 1); i <= k; i++) sum += i;
        return [t, [['k', sum]]];
      });
      expect(out, `window ${w} s, slide ${s} s`).toEqual(expected);
    }
  });
});

// ------------------------------------------------------------------ incremental vs naive

describe('incremental window reductions equal the naive ones on random input', () => {
  const combos: [number, number][] = [
    [1, 1],
    [2, 1],
    [3, 1],
    [4, 2],
    [5, 2],
    [6, 3],
    [3, 3],
    [2, 3], // slide larger than the window: some batches are in no window
    [1, 2],
  ];
  const seeds = [1, 42, 2024];
  const keys = ['a', 'b', 'c', 'd', 'e'];

  function randomInput(seed: number, numBatches: number): KV[][] {
    const rnd = prng(seed);
    return Array.from({ length: numBatches }, () => {
      if (rnd() < 0.25) return []; // empty batches make keys leave and come back
      const n = 1 + Math.floor(rnd() * 5);
      return Array.from({ length: n }, (): KV => [keys[Math.floor(rnd() * keys.length)]!, 1 + Math.floor(rnd() * 9)]);
    });
  }

  for (const [w, s] of combos) {
    test(`window ${w} s, slide ${s} s`, async () => {
      const window = Seconds(w);
      const slide = Seconds(s);
      for (const seed of seeds) {
        const input = randomInput(seed * 1000 + w * 10 + s, 30);
        // Run past the input so that every key leaves the window again.
        const opts = { numBatches: 30 + 2 * w + s };
        const label = `seed ${seed}`;

        const naive = sortBatches(await testOperation(input, (st) => st.reduceByKeyAndWindow(add, window, slide), opts));
        const filtered = await testOperation(input, (st) => st.reduceByKeyAndWindow(add, sub, window, slide, { filterFunc: nonZero }), opts);
        expect(sortBatches(filtered), label).toEqual(naive);
        // Without a filter the only difference is the keys kept at 0 (all values are positive).
        const unfiltered = await testOperation(input, (st) => st.reduceByKeyAndWindow(add, sub, window, slide), opts);
        expect(sortBatches(unfiltered.map((b) => b.filter(nonZero))), label).toEqual(naive);
        const windowedThenReduced = await testOperation(input, (st) => st.window(window, slide).reduceByKey(add), opts);
        expect(sortBatches(windowedThenReduced), label).toEqual(naive);

        const naiveGroups = await testOperation(input, (st) => st.window(window, slide).groupByKey(), opts);
        const groups = await testOperation(input, (st) => st.groupByKeyAndWindow(window, slide), opts);
        expect(sortGroups(groups), label).toEqual(sortGroups(naiveGroups));

        const words = input.map((b) => b.map(([k]) => k));
        const naiveCounts = await testOperation(words, (st) => st.window(window, slide).countByValue(), opts);
        const counts = await testOperation(words, (st) => st.countByValueAndWindow(window, slide), opts);
        expect(sortBatches(counts), label).toEqual(sortBatches(naiveCounts));

        const values = input.map((b) => b.map(([, v]) => v));
        const naiveSums = await testOperation(values, (st) => st.reduceByWindow(add, window, slide), opts);
        const sums = await testOperation(values, (st) => st.reduceByWindow(add, sub, window, slide), opts);
        // The incremental form says 0 for an empty window once it has seen data; the naive one says nothing.
        expect(sums.map((b) => b.filter((v) => v !== 0)), label).toEqual(naiveSums);

        const naiveCount = await testOperation(values, (st) => st.window(window, slide).count(), opts);
        const count = await testOperation(values, (st) => st.countByWindow(window, slide), opts);
        expect(count.map((b) => b.filter((v) => v !== 0)), label).toEqual(naiveCount.map((b) => b.filter((v) => v !== 0)));
      }
    });
  }
});

// ------------------------------------------------------------------ partitions and large windows

describe('partitioning and scale', () => {
  test('numPartitions sets the partitions of the windowed reductions', async () => {
    const parts: number[][] = [[], [], [], []];
    await withContext({}, async (ssc) => {
      const s = ssc.queueStream<KV>([[['a', 1], ['b', 2], ['c', 3]], [['d', 4]]]);
      s.reduceByKeyAndWindow(add, Seconds(2), Seconds(1), 3).foreachRDD((b) => void parts[0]!.push(b.numPartitions));
      s.reduceByKeyAndWindow(add, sub, Seconds(2), Seconds(1), { numPartitions: 3 }).foreachRDD((b) => void parts[1]!.push(b.numPartitions));
      s.groupByKeyAndWindow(Seconds(2), Seconds(1), 3).foreachRDD((b) => void parts[2]!.push(b.numPartitions));
      s.map(([k]) => k).countByValueAndWindow(Seconds(2), Seconds(1), 3).foreachRDD((b) => void parts[3]!.push(b.numPartitions));
      await runBatches(ssc, 2);
    });
    expect(parts).toEqual([
      [3, 3],
      [3, 3],
      [3, 3],
      [3, 3],
    ]);
  });

  test('groupByKeyAndWindow handles a key with very many values', async () => {
    const big = Array.from({ length: 200_000 }, (_, i): KV => ['k', i]);
    const out = await testOperation([big, big], (s) => s.groupByKeyAndWindow(Seconds(2), Seconds(1)));
    expect(out.map((b) => b.map(([k, vs]) => [k, vs.length]))).toEqual([[['k', 200_000]], [['k', 400_000]]]);
  });
});
