// Spark's BasicOperationsSuite (streaming), case by case, with Spark's inputs and expected outputs.
// Where Spark compares a batch as a set (useSet = true), both sides are sorted here instead.
import { describe, expect, test } from 'vitest';
import { Batch, DStream, JobFailedError, type Pair } from '../../src/index.js';
import { testOperation } from '../../src/testing.js';
import { sortBatches } from '../support/batches.js';
import { manualContext, runBatches, withContext } from '../support/context.js';
import { SPARK_INPUT_PARTITIONS, WithGaps } from '../support/scripted-stream.js';

/** `stream`, each batch sliced into Spark's input partitions. */
function sparkInput<T>(stream: DStream<T>, numPartitions = SPARK_INPUT_PARTITIONS): DStream<T> {
  return stream.transform((b) => Batch.of(b.collect(), numPartitions));
}

/** testOperation with Spark's input partitioning. */
function run<T, U>(input: T[][], operation: (s: DStream<T>) => DStream<U>, numBatches?: number): Promise<U[][]> {
  return testOperation(input, (s: DStream<T>) => operation(sparkInput(s)), { numBatches });
}

/** The two-input form, both inputs partitioned as in Spark. */
function run2<T1, T2, U>(
  input1: T1[][],
  input2: T2[][],
  operation: (a: DStream<T1>, b: DStream<T2>) => DStream<U>,
  numBatches?: number,
): Promise<U[][]> {
  return testOperation(input1, input2, (a: DStream<T1>, b: DStream<T2>) => operation(sparkInput(a), sparkInput(b)), {
    numBatches,
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const ones = (s: DStream<string>) => s.map((x): Pair<string, number> => [x, 1]);
const exes = (s: DStream<string>) => s.map((x): Pair<string, string> => [x, 'x']);

const numbers = [range(1, 4), range(5, 8), range(9, 12)];
const letters = [['a', 'a', 'b'], ['', ''], []];

/** Spark's join inputs (keyed by `ones` and `exes`), and what join gives on them. */
const joinLeft = [['a', 'b'], ['a', ''], [''], []];
const joinRight = [['a', 'b'], ['b', ''], [], ['']];
const joined: unknown[][] = [[['a', [1, 'x']], ['b', [1, 'x']]], [['', [1, 'x']]], [], []];

describe('record-wise operations', () => {
  test('map', async () => {
    expect(await run(numbers, (r) => r.map(String))).toStrictEqual([
      ['1', '2', '3', '4'],
      ['5', '6', '7', '8'],
      ['9', '10', '11', '12'],
    ]);
  });

  test('flatMap', async () => {
    expect(await run(numbers, (r) => r.flatMap((x) => [x, x * 2]))).toStrictEqual([
      [1, 2, 2, 4, 3, 6, 4, 8],
      [5, 10, 6, 12, 7, 14, 8, 16],
      [9, 18, 10, 20, 11, 22, 12, 24],
    ]);
  });

  test('filter', async () => {
    expect(await run(numbers, (r) => r.filter((x) => x % 2 === 0))).toStrictEqual([
      [2, 4],
      [6, 8],
      [10, 12],
    ]);
  });

  test('glom', async () => {
    expect(await run(numbers, (r) => r.glom())).toStrictEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
      [
        [9, 10],
        [11, 12],
      ],
    ]);
  });

  test('mapPartitions', async () => {
    const sums = await run(numbers, (r) => r.mapPartitions((p) => [p.reduce((a, b) => a + b, 0)]));
    expect(sortBatches(sums)).toStrictEqual(sortBatches([[3, 7], [11, 15], [19, 23]]));
  });

  test('mapPartitions passes the partition index', async () => {
    const out = await run(numbers, (r) => r.mapPartitions((p, i) => p.map((x) => `${i}:${x}`)));
    expect(out[0]).toStrictEqual(['0:1', '0:2', '1:3', '1:4']);
  });

  test('a record-wise operation on a stream with no batch at some time has no batch then', async () => {
    // Spark's MappedDStream and friends pass a parent's None through.
    const out = await testOperation(numbers, (s) => new WithGaps(s, [2000]).map((x) => x * 10));
    expect(out).toStrictEqual([
      [10, 20, 30, 40],
      [90, 100, 110, 120],
    ]);
  });
});

describe('repartition', () => {
  const input = [range(1, 100), range(101, 200), range(201, 300)];

  test.each([
    ['more partitions', 2, 5],
    ['fewer partitions', 5, 2],
  ])('%s (%i -> %i)', async (_name, from, to) => {
    const out = await testOperation(input, (s) => sparkInput(s, from).repartition(to).glom());
    expect(out).toHaveLength(3);
    out.forEach((partitions, i) => {
      expect(partitions).toHaveLength(to);
      expect(sortBatches([partitions.flat()])).toStrictEqual(sortBatches([input[i]!]));
    });
  });

  test('the input really has the partitions repartition starts from', async () => {
    const out = await testOperation(input, (s) => sparkInput(s, 5).glom());
    expect(out.map((b) => b.length)).toStrictEqual([5, 5, 5]);
  });
});

describe('union', () => {
  const input = [range(1, 4), range(101, 104), range(201, 204)];

  test('DStream.union: the left stream first, then the right', async () => {
    expect(await run(input, (s) => s.union(s.map((x) => x + 4)))).toStrictEqual([range(1, 8), range(101, 108), range(201, 208)]);
  });

  test('DStream.union keeps the partitions of both sides', async () => {
    const out = await run(input, (s) => s.union(s.map((x) => x + 4)).glom());
    expect(out[0]).toStrictEqual([[1, 2], [3, 4], [5, 6], [7, 8]]);
  });

  test('StreamingContext.union of several streams', async () => {
    const out = await run(input, (s) => s.ssc.union([s, s.map((x) => x + 4), s.map((x) => x + 8)]));
    expect(out).toStrictEqual([range(1, 12), range(101, 112), range(201, 212)]);
  });

  test('union with a parent that has no batch fails, as in Spark', async () => {
    // Spark: "union with input stream return None" throws at the 4th batch.
    const withNone = [...input, [301]];
    const run4 = testOperation(withNone, (s) => new WithGaps(s, [4000]).union(s.map((x) => x + 4)), { numBatches: 4 });
    await expect(run4).rejects.toThrow(JobFailedError);
    await expect(run4).rejects.toThrow(/Could not get the batch of withGaps stream #\d+ at 4000 ms for union/);
  });

  test('StreamingContext.union needs at least one stream', () => {
    const { ssc } = manualContext();
    expect(() => ssc.union<number>([])).toThrow(RangeError);
    expect(() => ssc.transform([], () => Batch.empty())).toThrow(RangeError);
  });
});

describe('count, reduce, countByValue', () => {
  test('count, 0 for an empty batch', async () => {
    const input = [[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4]];
    expect(await run(input, (s) => s.count())).toStrictEqual([[0], [1], [2], [3], [4]]);
  });

  test('count goes on with 0 after the input runs out', async () => {
    expect(await run([[7, 8]], (s) => s.count(), 3)).toStrictEqual([[2], [0], [0]]);
  });

  test('reduce', async () => {
    expect(await run(numbers, (s) => s.reduce((a, b) => a + b))).toStrictEqual([[10], [26], [42]]);
  });

  test('reduce of an empty batch is an empty batch', async () => {
    // Spark's reduce is map((null, _)).reduceByKey(f, 1).map(_._2): no record, but a batch.
    expect(await run([[1, 2], [], [5]], (s) => s.reduce((a, b) => a + b))).toStrictEqual([[3], [], [5]]);
  });

  test('reduce of a one-record batch is that record', async () => {
    expect(await run([['only']], (s) => s.reduce((a, b) => a + b))).toStrictEqual([['only']]);
  });

  test('countByValue', async () => {
    const input = [[1], [1, 1, 1], [1, 2], [1, 1, 2, 2]];
    const expected = [[[1, 1]], [[1, 3]], [[1, 1], [2, 1]], [[2, 2], [1, 2]]];
    expect(sortBatches(await run(input, (s) => s.countByValue()))).toStrictEqual(sortBatches(expected));
  });

  test('countByValue with a number of partitions', async () => {
    const out = await run([['a', 'b', 'c', 'a']], (s) => s.countByValue(3).glom());
    expect(out[0]).toHaveLength(3);
    expect(sortBatches([out[0]!.flat()])).toStrictEqual([[['a', 2], ['b', 1], ['c', 1]]]);
  });
});

describe('keyed operations', () => {
  test('groupByKey', async () => {
    const out = await run(letters, (s) => ones(s).groupByKey());
    expect(sortBatches(out)).toStrictEqual(sortBatches([[['a', [1, 1]], ['b', [1]]], [['', [1, 1]]], []]));
  });

  test('groupByKey keeps every value of a key, from every input partition', async () => {
    // ['a', 'b'] | ['a', 'a']: 'a' is in both input partitions.
    const out = await run([['a', 'b', 'a', 'a']], (s) => s.map((x): Pair<string, string> => [x, x.toUpperCase()]).groupByKey());
    expect(sortBatches(out)).toStrictEqual([[['a', ['A', 'A', 'A']], ['b', ['B']]]]);
  });

  test('reduceByKey', async () => {
    const out = await run(letters, (s) => ones(s).reduceByKey((a, b) => a + b));
    expect(sortBatches(out)).toStrictEqual(sortBatches([[['a', 2], ['b', 1]], [['', 2]], []]));
  });

  test('reduceByKey with a number of partitions puts each key in one of them', async () => {
    const input = [['a', 'b', 'c', 'd', 'a', 'b', 'e', 'a']];
    const out = await run(input, (s) => ones(s).reduceByKey((a, b) => a + b, 3).glom());
    const partitions = out[0]!;
    expect(partitions).toHaveLength(3);
    const keys = partitions.flat().map(([k]) => k);
    expect(keys.sort()).toStrictEqual(['a', 'b', 'c', 'd', 'e']); // each key once: in one partition
    expect(sortBatches([partitions.flat()])).toStrictEqual([[['a', 3], ['b', 2], ['c', 1], ['d', 1], ['e', 1]]]);
  });

  test('reduceByKey with tuple keys built in different records', async () => {
    const input = [['a-1', 'a-1', 'b-2', 'a-1']];
    const out = await run(input, (s) =>
      s
        .map((x): Pair<[string, number], number> => {
          const [name, n] = x.split('-');
          return [[name!, Number(n)], 1];
        })
        .reduceByKey((a, b) => a + b),
    );
    expect(sortBatches(out)).toStrictEqual([[[['a', 1], 3], [['b', 2], 1]]]);
  });

  test('combineByKey: average per key', async () => {
    const input = [['a', 'a', 'b', 'a'], []];
    const out = await run(input, (s) =>
      s
        .map((x): Pair<string, number> => [x, x === 'a' ? 2 : 7])
        .combineByKey(
          (v) => [v, 1] as [number, number],
          ([sum, n], v) => [sum + v, n + 1] as [number, number],
          ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2] as [number, number],
        )
        .mapValues(([sum, n]) => sum / n),
    );
    expect(sortBatches(out)).toStrictEqual([[['a', 2], ['b', 7]], []]);
  });

  test('combineByKey with a number of partitions', async () => {
    const out = await run([['a', 'b', 'c']], (s) => ones(s).combineByKey((v) => v, (c, v) => c + v, (x, y) => x + y, 4).glom());
    expect(out[0]).toHaveLength(4);
  });

  test('mapValues', async () => {
    const out = await run(letters, (s) => ones(s).reduceByKey((a, b) => a + b).mapValues((x) => x + 10));
    expect(sortBatches(out)).toStrictEqual(sortBatches([[['a', 12], ['b', 11]], [['', 12]], []]));
  });

  test('flatMapValues', async () => {
    const out = await run(letters, (s) => ones(s).reduceByKey((a, b) => a + b).flatMapValues((x) => [x, x + 10]));
    expect(sortBatches(out)).toStrictEqual(
      sortBatches([[['a', 2], ['a', 12], ['b', 1], ['b', 11]], [['', 2], ['', 12]], []]),
    );
  });
});

describe('transform', () => {
  test('transform', async () => {
    expect(await run(numbers, (r) => r.transform((b) => b.map(String)))).toStrictEqual([
      ['1', '2', '3', '4'],
      ['5', '6', '7', '8'],
      ['9', '10', '11', '12'],
    ]);
  });

  test('transform gets each batch time', async () => {
    const out = await run(numbers, (r) => r.transform((b, time) => Batch.of([time, b.count()])));
    expect(out).toStrictEqual([[1000, 4], [2000, 4], [3000, 4]]);
  });

  test('transform returning null fails the batch with a clear error', async () => {
    // Spark: "Transform function must not return null".
    const result = run([range(1, 4)], (r) => r.transform(() => null as unknown as Batch<number>), 1);
    await expect(result).rejects.toThrow(JobFailedError);
    await expect(result).rejects.toThrow(/returned null for the batch at 1000 ms instead of a Batch/);
  });

  test('transform of a stream with no batch at some time has no batch then', async () => {
    // Spark's "transform with input stream return None" throws instead; see the report.
    const input = [range(1, 4), range(5, 8), [9]];
    const out = await testOperation(input, (s) => new WithGaps(s, [3000]).transform((b) => b.map(String)));
    expect(out).toStrictEqual([
      ['1', '2', '3', '4'],
      ['5', '6', '7', '8'],
    ]);
  });

  test('transformWith', async () => {
    const out = await run2(joinLeft, joinRight, (s1, s2) => ones(s1).transformWith(exes(s2), (b1, b2) => b1.join(b2)));
    expect(sortBatches(out)).toStrictEqual(sortBatches(joined));
  });

  test('transformWith gets the batch time', async () => {
    const out = await run2([[1], [2]], [[3], []], (a, b) => a.transformWith(b, (x, y, time) => Batch.of([[time, x.count() + y.count()]])));
    expect(out).toStrictEqual([[[1000, 2]], [[2000, 1]]]);
  });

  test('StreamingContext.transform over several streams', async () => {
    const input = [range(1, 4), range(101, 104), range(201, 204)];
    const out = await run(input, (s) =>
      s.ssc.transform([s, s.map((x) => x + 4), s.map((x) => x + 8)], (batches) => Batch.union(batches as Batch<number>[])),
    );
    expect(out).toStrictEqual([range(1, 12), range(101, 112), range(201, 212)]);
  });

  test('StreamingContext.transform gets a fresh array of batches and the time', async () => {
    const out = await run([[1], [2, 3]], (s) =>
      s.ssc.transform([s, s.map((x) => -x)], (batches, time) => {
        batches.push(Batch.of([0])); // must not disturb the stream
        return Batch.of([[time, batches.length - 1, batches[1]!.collect()]]);
      }),
    );
    expect(out).toStrictEqual([[[1000, 2, [-1]]], [[2000, 2, [-2, -3]]]]);
  });
});

describe('cogroup and joins', () => {
  test('cogroup', async () => {
    const out = await run2(
      [['a', 'a', 'b'], ['a', ''], [''], []],
      [['a', 'a', 'b'], ['b', ''], [], []],
      (s1, s2) => ones(s1).cogroup(exes(s2)),
    );
    expect(sortBatches(out)).toStrictEqual(
      sortBatches([
        [
          ['a', [[1, 1], ['x', 'x']]],
          ['b', [[1], ['x']]],
        ],
        [
          ['a', [[1], []]],
          ['b', [[], ['x']]],
          ['', [[1], ['x']]],
        ],
        [['', [[1], []]]],
        [],
      ]),
    );
  });

  test('join', async () => {
    const out = await run2(joinLeft, joinRight, (s1, s2) => ones(s1).join(exes(s2)));
    expect(sortBatches(out)).toStrictEqual(sortBatches(joined));
  });

  test('join with a number of partitions', async () => {
    const out = await run2(joinLeft, joinRight, (s1, s2) => ones(s1).join(exes(s2), 3).glom());
    expect(out.map((b) => b.length)).toStrictEqual([3, 3, 3, 3]);
    expect(sortBatches(out.map((b) => b.flat()))).toStrictEqual(sortBatches(joined));
  });

  // Each outer join gives what join gives plus, batch by batch, the keys of one side only.
  const outerJoins: [string, (l: DStream<Pair<string, number>>, r: DStream<Pair<string, string>>) => DStream<unknown>, unknown[][]][] = [
    ['leftOuterJoin', (l, r) => l.leftOuterJoin(r), [[], [['a', [1, undefined]]], [['', [1, undefined]]], []]],
    ['rightOuterJoin', (l, r) => l.rightOuterJoin(r), [[], [['b', [undefined, 'x']]], [], [['', [undefined, 'x']]]]],
    [
      'fullOuterJoin',
      (l, r) => l.fullOuterJoin(r),
      [[], [['a', [1, undefined]], ['b', [undefined, 'x']]], [['', [1, undefined]]], [['', [undefined, 'x']]]],
    ],
  ];

  test.each(outerJoins)('%s', async (_name, outerJoin, oneSideOnly) => {
    const out = await run2(joinLeft, joinRight, (s1, s2) => outerJoin(ones(s1), exes(s2)));
    expect(sortBatches(out)).toStrictEqual(sortBatches(joined.map((batch, i) => [...batch, ...oneSideOnly[i]!])));
  });

  test('joins with several values per key on both sides give every pair', async () => {
    const out = await run2([['k', 'k']], [['k', 'k', 'k']], (s1, s2) =>
      s1.map((x): Pair<string, number> => [x, 1]).join(s2.map((x): Pair<string, string> => [x, 'y'])),
    );
    expect(out[0]).toHaveLength(6);
  });
});

describe('graph checks', () => {
  test('combining streams with different slide durations is rejected', () => {
    const { ssc } = manualContext();
    const s = ssc.queueStream<number>([]);
    const slow = s.window(2000, 2000);
    expect(() => s.union(slow)).toThrow(/same slide duration/);
    expect(() => s.transformWith(slow, (a) => a)).toThrow(/same slide duration/);
  });

  test('a transformed stream can feed several outputs, computed once per batch', async () => {
    let calls = 0;
    const records: number[][] = [];
    const counts: number[][] = [];
    await withContext({ checkpoint: false }, async (ssc) => {
      const doubled = ssc.queueStream([[1, 2], [3]]).map((x) => (calls++, x * 2));
      doubled.foreachRDD((b) => void records.push(b.collect()));
      doubled.count().foreachRDD((b) => void counts.push(b.collect()));
      await runBatches(ssc, 2);
    });
    expect(records).toStrictEqual([[2, 4], [6]]);
    expect(counts).toStrictEqual([[2], [1]]);
    expect(calls).toBe(3);
  });
});
