// Batch<T>, Sluice's RDD: construction, partitioning, actions and the keyed operations, checked
// directly (the DStream suite checks the same operations batch by batch through a context).
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { Batch, type Pair } from '../../src/index.js';
import { cogroupAll } from '../../src/batch/batch.js';
import { partitionOf } from '../../src/batch/keys.js';
import { sortRecords as sorted } from '../support/batches.js';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('construction', () => {
  test('of slices records as Spark makeRDD(seq, n) does', () => {
    // ParallelCollectionRDD.slice: partition i holds [floor(i*len/n), floor((i+1)*len/n)).
    expect(Batch.of([1, 2, 3, 4], 2).partitions).toStrictEqual([[1, 2], [3, 4]]);
    expect(Batch.of(['a', 'a', 'b'], 2).partitions).toStrictEqual([['a'], ['a', 'b']]);
    expect(Batch.of([1, 2, 3], 5).partitions).toStrictEqual([[], [1], [], [2], [3]]);
    expect(Batch.of(range(1, 7), 3).partitions).toStrictEqual([[1, 2], [3, 4], [5, 6, 7]]);
    const big = Batch.of(range(1, 100), 5);
    expect(big.partitions.map((p) => p.length)).toStrictEqual([20, 20, 20, 20, 20]);
    expect(big.collect()).toStrictEqual(range(1, 100));
  });

  test('of defaults to one partition and copies the records', () => {
    const records = [1, 2, 3];
    const b = Batch.of(records);
    expect(b.numPartitions).toBe(1);
    records.push(4);
    expect(b.collect()).toStrictEqual([1, 2, 3]);
  });

  test('of an empty array has the requested number of (empty) partitions', () => {
    expect(Batch.of([], 3).partitions).toStrictEqual([[], [], []]);
  });

  test('rejects a number of partitions that is not a positive integer', () => {
    for (const n of [0, -1, 1.5, NaN]) {
      expect(() => Batch.of([1], n)).toThrow(RangeError);
      expect(() => Batch.empty(n)).toThrow(RangeError);
      expect(() => Batch.of([['a', 1]] as Pair<string, number>[]).partitionBy(n)).toThrow(RangeError);
      expect(() => Batch.of([1]).repartition(n)).toThrow(RangeError);
    }
  });

  test('fromPartitions keeps the partitions as given; no partition at all becomes one empty one', () => {
    expect(Batch.fromPartitions([[1], [], [2, 3]]).partitions).toStrictEqual([[1], [], [2, 3]]);
    const none = Batch.fromPartitions<number>([]);
    expect(none.numPartitions).toBe(1);
    expect(none.isEmpty()).toBe(true);
  });

  test('empty has the requested number of partitions and no record', () => {
    const e = Batch.empty<number>(3);
    expect(e.numPartitions).toBe(3);
    expect(e.count()).toBe(0);
    expect(e.isEmpty()).toBe(true);
    expect(Batch.empty().numPartitions).toBe(1);
  });

  test('union puts the partitions side by side, in order', () => {
    const a = Batch.fromPartitions([[1, 2], [3]]);
    const b = Batch.fromPartitions([[4]]);
    const c = Batch.empty<number>(2);
    expect(a.union(b).partitions).toStrictEqual([[1, 2], [3], [4]]);
    expect(Batch.union([a, b, c]).partitions).toStrictEqual([[1, 2], [3], [4], [], []]);
    expect(Batch.union([a]).collect()).toStrictEqual([1, 2, 3]);
    expect(Batch.union<number>([]).isEmpty()).toBe(true);
  });
});

describe('actions', () => {
  const empty = Batch.empty<number>(2);
  const data = Batch.fromPartitions([[1, 2], [], [3, 4, 5]]);

  test('count and isEmpty', () => {
    expect(empty.count()).toBe(0);
    expect(data.count()).toBe(5);
    expect(data.isEmpty()).toBe(false);
    expect(Batch.fromPartitions([[], [7]]).isEmpty()).toBe(false);
  });

  test('collect and toArray give the records partition after partition', () => {
    expect(empty.collect()).toStrictEqual([]);
    expect(data.collect()).toStrictEqual([1, 2, 3, 4, 5]);
    expect(data.toArray()).toStrictEqual([1, 2, 3, 4, 5]);
  });

  test('take gives the first n records, across partitions', () => {
    expect(empty.take(3)).toStrictEqual([]);
    expect(data.take(0)).toStrictEqual([]);
    expect(data.take(2)).toStrictEqual([1, 2]);
    expect(data.take(3)).toStrictEqual([1, 2, 3]);
    expect(data.take(10)).toStrictEqual([1, 2, 3, 4, 5]);
  });

  test('reduce gives undefined when empty, the only record, or the reduction', () => {
    expect(empty.reduce((a, b) => a + b)).toBeUndefined();
    expect(Batch.fromPartitions([[], [7], []]).reduce((a, b) => a + b)).toBe(7);
    expect(data.reduce((a, b) => a + b)).toBe(15);
    expect(data.reduce((a, b) => Math.max(a, b))).toBe(5);
  });
});

describe('record-wise operations keep the partitioning', () => {
  const data = Batch.of(range(1, 6), 2);

  test('map, filter, flatMap', () => {
    expect(data.map((x) => x * 10).partitions).toStrictEqual([[10, 20, 30], [40, 50, 60]]);
    expect(data.filter((x) => x % 2 === 1).partitions).toStrictEqual([[1, 3], [5]]);
    expect(data.flatMap((x) => (x < 3 ? [x, x] : [])).partitions).toStrictEqual([[1, 1, 2, 2], []]);
  });

  test('mapPartitions sees each partition and its index', () => {
    const out = data.mapPartitions((records, i) => [`${i}:${records.join('+')}`]);
    expect(out.partitions).toStrictEqual([['0:1+2+3'], ['1:4+5+6']]);
  });

  test('glom makes each partition one record', () => {
    expect(data.glom().partitions).toStrictEqual([[[1, 2, 3]], [[4, 5, 6]]]);
    expect(Batch.empty(2).glom().collect()).toStrictEqual([[], []]);
  });

  test('repartition keeps every record and balances the partitions', () => {
    for (const [from, to] of [
      [2, 5],
      [5, 2],
      [3, 3],
      [1, 7],
    ] as const) {
      const b = Batch.of(range(1, 101), from).repartition(to);
      expect(b.numPartitions).toBe(to);
      expect(sorted(b.collect())).toStrictEqual(sorted(range(1, 101)));
      const sizes = b.partitions.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  test('countByValue counts each distinct record', () => {
    const b = Batch.of([1, 1, 2, 1, 3, 2], 2);
    expect(sorted(b.countByValue().collect())).toStrictEqual([[1, 3], [2, 2], [3, 1]]);
    expect(b.countByValue(3).numPartitions).toBe(3);
    expect(Batch.empty().countByValue().collect()).toStrictEqual([]);
  });
});

describe('keyed operations', () => {
  const pairs = (...ps: Pair<string, number>[]) => ps;

  test('partitionBy keeps equal keys together, in their order, in the partition of their hash', () => {
    const records = range(0, 199).map((i): Pair<string, number> => [`k${i % 13}`, i]);
    const b = Batch.of(records, 3).partitionBy(4);
    expect(b.numPartitions).toBe(4);
    expect(sorted(b.collect())).toStrictEqual(sorted(records));
    const home = new Map<string, number>();
    b.partitions.forEach((p, i) => {
      for (const [k] of p) {
        expect(home.get(k) ?? i).toBe(i);
        home.set(k, i);
        expect(partitionOf(k, 4)).toBe(i);
      }
    });
    expect(home.size).toBe(13);
    for (const p of b.partitions) {
      const values = p.map(([, v]) => v);
      expect(values).toStrictEqual([...values].sort((x, y) => x - y));
    }
  });

  test('partitionBy puts tuple keys built separately in one partition', () => {
    const b = Batch.of<Pair<[string, number], string>>(
      [
        [['a', 1], 'x'],
        [['b', 2], 'y'],
        [['a', 1], 'z'],
      ],
      3,
    ).partitionBy(5);
    const withA = b.partitions.filter((p) => p.some(([[k]]) => k === 'a'));
    expect(withA).toHaveLength(1);
    expect(withA[0]!.filter(([[k]]) => k === 'a').map(([, v]) => v)).toStrictEqual(['x', 'z']);
  });

  test('reduceByKey merges the values of each key, across input partitions', () => {
    const b = Batch.of(pairs(['a', 1], ['b', 1], ['a', 1], ['c', 5], ['a', 1], ['b', 2]), 3);
    expect(sorted(b.reduceByKey((x, y) => x + y).collect())).toStrictEqual([['a', 3], ['b', 3], ['c', 5]]);
    expect(b.reduceByKey((x, y) => x + y).numPartitions).toBe(3);
    const into2 = b.reduceByKey((x, y) => x + y, 2);
    expect(into2.numPartitions).toBe(2);
    into2.partitions.forEach((p, i) => {
      for (const [k] of p) expect(partitionOf(k, 2)).toBe(i);
    });
    expect(Batch.empty<Pair<string, number>>().reduceByKey((x, y) => x + y).collect()).toStrictEqual([]);
  });

  test('tuple keys built twice are one key in reduceByKey and join', () => {
    type Key = [string, number];
    const left = Batch.of<Pair<Key, number>>([
      [['a', 1], 10],
      [['a', 1], 5],
      [['a', 2], 1],
    ], 2);
    expect(sorted(left.reduceByKey((x, y) => x + y).collect())).toStrictEqual([
      [['a', 1], 15],
      [['a', 2], 1],
    ]);
    const right = Batch.of<Pair<Key, string>>([[['a', 1], 'x']]);
    expect(sorted(left.join(right).collect())).toStrictEqual([
      [['a', 1], [10, 'x']],
      [['a', 1], [5, 'x']],
    ]);
    // Object keys with fields in another order are the same key too.
    const objs = Batch.of<Pair<object, number>>([
      [{ id: 1, kind: 'u' }, 1],
      [{ kind: 'u', id: 1 }, 2],
    ]);
    expect(objs.reduceByKey((x, y) => x + y).collect()).toStrictEqual([[{ id: 1, kind: 'u' }, 3]]);
  });

  test('combineByKey creates one combiner per key and input partition, then merges them', () => {
    // ['a','a'] | ['a','b']: 'a' gets a combiner in both partitions, merged once.
    const b = Batch.of(pairs(['a', 1], ['a', 2], ['a', 3], ['b', 4]), 2);
    const calls = { create: 0, mergeValue: 0, mergeCombiners: 0 };
    const out = b.combineByKey(
      (v) => (calls.create++, [v, 1] as [number, number]),
      ([sum, n], v) => (calls.mergeValue++, [sum + v, n + 1] as [number, number]),
      ([s1, n1], [s2, n2]) => (calls.mergeCombiners++, [s1 + s2, n1 + n2] as [number, number]),
    );
    expect(sorted(out.collect())).toStrictEqual([['a', [6, 3]], ['b', [4, 1]]]);
    expect(calls).toStrictEqual({ create: 3, mergeValue: 1, mergeCombiners: 1 });
  });

  test('combineByKey handles a combiner that is undefined', () => {
    const b = Batch.of(pairs(['a', 1], ['a', 2]));
    const out = b.combineByKey<string, number, number | undefined>(
      () => undefined,
      (c, v) => (c ?? 0) + v,
      (x, y) => (x ?? 0) + (y ?? 0),
    );
    expect(out.collect()).toStrictEqual([['a', 2]]);
  });

  test('groupByKey groups the values of each key', () => {
    const b = Batch.of(pairs(['a', 1], ['b', 2], ['a', 3], ['a', 4]), 2);
    const grouped = b.groupByKey().collect().map(([k, vs]): Pair<string, number[]> => [k, sorted(vs)]);
    expect(sorted(grouped)).toStrictEqual([['a', [1, 3, 4]], ['b', [2]]]);
    expect(b.groupByKey(4).numPartitions).toBe(4);
  });

  test('mapValues and flatMapValues keep the keys', () => {
    const b = Batch.of(pairs(['a', 1], ['b', 2]));
    expect(b.mapValues((v) => v * 10).collect()).toStrictEqual([['a', 10], ['b', 20]]);
    expect(b.flatMapValues((v) => range(1, v)).collect()).toStrictEqual([['a', 1], ['b', 1], ['b', 2]]);
  });

  describe('cogroup and joins (Spark PairRDDFunctionsSuite data)', () => {
    const rdd1 = Batch.of<Pair<number, number>>([[1, 1], [1, 2], [2, 1], [3, 1]], 2);
    const rdd2 = Batch.of<Pair<number, string>>([[1, 'x'], [2, 'y'], [2, 'z'], [4, 'w']], 2);

    test('cogroup', () => {
      const out = rdd1
        .cogroup(rdd2)
        .collect()
        .map(([k, [vs, ws]]) => [k, [sorted(vs), sorted(ws)]]);
      expect(sorted(out)).toStrictEqual([
        [1, [[1, 2], ['x']]],
        [2, [[1], ['y', 'z']]],
        [3, [[1], []]],
        [4, [[], ['w']]],
      ]);
    });

    /** What join gives: the keys on both sides. */
    const joined = [
      [1, [1, 'x']],
      [1, [2, 'x']],
      [2, [1, 'y']],
      [2, [1, 'z']],
    ];

    // Each outer join gives what join gives plus the keys of one side only.
    const joins: [string, (a: typeof rdd1, b: typeof rdd2) => Batch<unknown>, unknown[]][] = [
      ['join', (a, b) => a.join(b), []],
      ['leftOuterJoin', (a, b) => a.leftOuterJoin(b), [[3, [1, undefined]]]],
      ['rightOuterJoin', (a, b) => a.rightOuterJoin(b), [[4, [undefined, 'w']]]],
      ['fullOuterJoin', (a, b) => a.fullOuterJoin(b), [[3, [1, undefined]], [4, [undefined, 'w']]]],
    ];

    test.each(joins)('%s', (_name, join, oneSideOnly) => {
      expect(sorted(join(rdd1, rdd2).collect())).toStrictEqual([...joined, ...oneSideOnly]);
    });

    test('the number of output partitions defaults to the larger input and can be set', () => {
      const one = Batch.of<Pair<number, string>>([[1, 'x']]);
      expect(rdd1.join(one).numPartitions).toBe(2);
      expect(one.cogroup(Batch.of<Pair<number, number>>([[1, 1]], 3)).numPartitions).toBe(3);
      const into5 = rdd1.fullOuterJoin(rdd2, 5);
      expect(into5.numPartitions).toBe(5);
      into5.partitions.forEach((p, i) => {
        for (const [k] of p) expect(partitionOf(k, 5)).toBe(i);
      });
    });

    test('joins with an empty side', () => {
      const none = Batch.empty<Pair<number, string>>();
      expect(rdd1.join(none).collect()).toStrictEqual([]);
      expect(sorted(rdd1.leftOuterJoin(none).collect())).toStrictEqual([
        [1, [1, undefined]],
        [1, [2, undefined]],
        [2, [1, undefined]],
        [3, [1, undefined]],
      ]);
      expect(rdd1.rightOuterJoin(none).collect()).toStrictEqual([]);
    });
  });

  test('cogroupAll groups any number of inputs, with an empty array where a key is absent', () => {
    const a = Batch.of<Pair<string, number>>([['k', 1], ['only-a', 2]]);
    const b = Batch.of<Pair<string, number>>([['k', 3]], 2);
    const c = Batch.of<Pair<string, number>>([['k', 4], ['only-c', 5], ['k', 6]]);
    const out = cogroupAll([a, b, c], 3);
    expect(out.numPartitions).toBe(3);
    expect(sorted(out.collect())).toStrictEqual([
      ['k', [[1], [3], [4, 6]]],
      ['only-a', [[2], [], []]],
      ['only-c', [[], [], [5]]],
    ]);
  });
});

describe('batches of decoded Arrow records', () => {
  const table = () =>
    tableFromArrays({ sensor: Uint32Array.from([1, 2, 1]), value: Float64Array.from([1.5, 2, 3]), name: ['a', 'b', 'c'] });

  test('keep the table, count it without making rows, and make rows (plain objects) when asked', () => {
    const b = Batch.fromArrow<{ sensor: number; value: number; name: string }>(table());
    expect(b.arrow).toBeDefined();
    expect(b.count()).toBe(3);
    expect(b.take(2)).toEqual([{ sensor: 1, value: 1.5, name: 'a' }, { sensor: 2, value: 2, name: 'b' }]);
    expect(b.collect().map((r) => r.name)).toEqual(['a', 'b', 'c']);
  });

  test('toPairs hands two columns over in columnar form, equal to pairs made from rows', () => {
    const b = Batch.fromArrow<Record<string, unknown>>(table());
    const pairs = b.toPairs<number, number>('sensor', 'value');
    expect(pairs.columns).toBeDefined();
    expect(pairs.collect()).toEqual([[1, 1.5], [2, 2], [1, 3]]);
    const fromRows = Batch.of(b.collect()).toPairs('sensor', 'value');
    expect(fromRows.columns).toBeUndefined();
    expect(fromRows.collect()).toEqual(pairs.collect());
  });

  test('toPairs names a missing field and the fields there are', () => {
    expect(() => Batch.fromArrow(table()).toPairs('sensor', 'temp')).toThrow('toPairs: the records have no field "temp" (fields: sensor, value, name)');
  });
});
