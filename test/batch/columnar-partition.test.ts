// partitionBy on a columnar batch: the columns are scattered by key hash, with every row in the
// partition the row path would give its [key, value] tuple, in the same order, and no tuple made.
import { makeVector, vectorFromArray, Dictionary, Int32, Uint32, Utf8, DateDay, TimestampMillisecond, Table } from 'apache-arrow';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { Batch, type Pair } from '../../src/index.js';
import { keyColumnOf, type KeyColumn, type PairColumns, type ValueColumn } from '../../src/batch/columns.js';
import { partitionOf } from '../../src/batch/keys.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A small deterministic generator (LCG), so that failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const encoder = new TextEncoder();

/** A UTF-8 key column of raw byte strings, starting `skip` bytes into its buffer (offsets[0] ≠ 0). */
function utf8Column(strings: readonly Uint8Array[], skip = 0): KeyColumn {
  const offsets = new Int32Array(strings.length + 1);
  let used = skip;
  offsets[0] = skip;
  strings.forEach((s, i) => (offsets[i + 1] = used += s.length));
  const bytes = new Uint8Array(used).fill(0x7a);
  strings.forEach((s, i) => bytes.set(s, offsets[i]!));
  return { kind: 'utf8', offsets, bytes };
}

/** Keys the row path hashes in every way it can: each key kind with its edge cases. */
const keySamples: Record<KeyColumn['kind'], (n: number, random: () => number) => KeyColumn> = {
  u32: (n, random) => ({ kind: 'u32', data: Uint32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? [0, 1, 0xffffffff][i % 3]! : Math.floor(random() * 40))) }),
  i32: (n, random) => ({ kind: 'i32', data: Int32Array.from({ length: n }, (_, i) => (i % 4 === 0 ? [-(2 ** 31), 2 ** 31 - 1, -1][i % 3]! : Math.floor(random() * 40) - 20)) }),
  f64: (n, random) => {
    const edges = [1.5, -0, 0, NaN, Infinity, -Infinity, 2 ** 32, -(2 ** 31) - 1, -(2 ** 31), 0xffffffff, 1e300, -7, 0.1 + 0.2];
    return { kind: 'f64', data: Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? edges[i % edges.length]! : Math.floor(random() * 30) / 4)) };
  },
  i64: (n, random) => {
    const edges = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 12_345_678_901_234n];
    return { kind: 'i64', data: BigInt64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? edges[i % edges.length]! : BigInt(Math.floor(random() * 20)))) };
  },
  utf8: (n, random) => {
    const words = ['', 'a', 'b', 'héllo', '日本', '😀x', 'a\uFEFF', 'k1', 'k2', 'k3'].map((s) => encoder.encode(s));
    // Bytes that decode to another string: a leading BOM (dropped), ill-formed sequences (U+FFFD).
    const odd = [
      [0xef, 0xbb, 0xbf, 0x61],
      [0xff],
      [0xc0, 0x80],
      [0xed, 0xa0, 0x80],
      [0xe2, 0x82],
      [0xf4, 0x90, 0x80, 0x80],
      [0x61, 0xf0, 0x9f, 0x98],
    ].map((b) => Uint8Array.from(b));
    const all = [...words, ...odd];
    return utf8Column(
      Array.from({ length: n }, () => all[Math.floor(random() * all.length)]!),
      3,
    );
  },
  dict: (n, random) => {
    const dictionary = ['x', 'y', 'zz', 'héllo', '', '7'];
    return { kind: 'dict', ids: Int32Array.from({ length: n }, () => Math.floor(random() * dictionary.length)), dictionary };
  },
};

const valueSamples: Record<string, (n: number) => ValueColumn> = {
  f64: (n) => ({ kind: 'f64', data: Float64Array.from({ length: n }, (_, i) => i + 0.5) }),
  f32: (n) => ({ kind: 'f32', data: Float32Array.from({ length: n }, (_, i) => i / 4) }),
  i32: (n) => ({ kind: 'i32', data: Int32Array.from({ length: n }, (_, i) => i - 10) }),
  u32: (n) => ({ kind: 'u32', data: Uint32Array.from({ length: n }, (_, i) => i * 3) }),
  i64: (n) => ({ kind: 'i64', data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 1_000_000_000_000n) }),
  stats: (n) => {
    const col = (f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
    return { kind: 'stats', count: col((i) => i + 1), mean: col((i) => i / 2), min: col((i) => -i), max: col((i) => i * 2), stddev: col((i) => i / 10) };
  },
  'keys only': () => ({ kind: 'f64', data: new Float64Array(0) }),
};

/** Partitions of the given sizes, keys of `keyKind`, values of `valueKind`. */
function columnar(keyKind: KeyColumn['kind'], valueKind: string, sizes: readonly number[], seed = 1): PairColumns[] {
  const random = lcg(seed);
  return sizes.map((n) => ({ length: n, keys: keySamples[keyKind](n, random), values: valueSamples[valueKind]!(n) }));
}

/**
 * The row path's result: the same records, as JS tuples in their partitions, partitioned by
 * `Batch.fromPartitions(rows).partitionBy(n)`.
 */
function rowPath(parts: readonly PairColumns[], n: number): unknown[][] {
  const rows = Batch.fromColumns<unknown, unknown>(parts).partitions;
  return Batch.fromPartitions(rows).partitionBy(n).partitions.map((p) => [...p]);
}

function columnarPath(parts: readonly PairColumns[], n: number): Batch<Pair<unknown, unknown>> {
  return Batch.fromColumns<unknown, unknown>(parts).partitionBy(n);
}

const keyKinds = Object.keys(keySamples) as KeyColumn['kind'][];

describe('partitionBy of a columnar batch', () => {
  test.each(keyKinds)('%s keys: the same partitions, in the same order, as the row path', (keyKind) => {
    for (const n of [1, 2, 3, 7]) {
      const parts = columnar(keyKind, 'f64', [40, 1, 25], n);
      const out = columnarPath(parts, n);
      expect(out.columns).toBeDefined();
      expect(out.numPartitions).toBe(n);
      expect(out.partitions).toStrictEqual(rowPath(parts, n));
    }
  });

  test.each(Object.keys(valueSamples))('%s values are scattered with their keys', (valueKind) => {
    for (const keyKind of ['u32', 'utf8'] as const) {
      const parts = columnar(keyKind, valueKind, [30, 17], 7);
      const out = columnarPath(parts, 4);
      expect(out.columns).toBeDefined();
      expect(out.columns!.every((c) => (c.values.kind === 'stats' ? 'stats' : c.values.kind) === parts[0]!.values.kind)).toBe(true);
      expect(out.partitions).toStrictEqual(rowPath(parts, 4));
    }
  });

  test('every row is in the partition of its key, as partitionOf computes it', () => {
    const parts = columnar('utf8', 'i32', [200, 100], 3);
    columnarPath(parts, 5).partitions.forEach((p, i) => {
      for (const [k] of p) expect(partitionOf(k, 5)).toBe(i);
    });
  });

  test('stays columnar and makes no record: only the columns are read', () => {
    const batch = Batch.fromColumns<unknown, unknown>(columnar('dict', 'stats', [50, 50], 5));
    const rows = vi.spyOn(Batch.prototype, 'partitions', 'get');
    const out = batch.partitionBy(3);
    expect(out.columns).toBeDefined();
    expect(out.columns).toHaveLength(3);
    expect(out.count()).toBe(100);
    expect(out.columns!.every((c) => c.keys.kind === 'dict' && c.values.kind === 'stats')).toBe(true);
    expect(rows).not.toHaveBeenCalled();
  });

  test('keeps empty partitions, columnar too, so the batch has the partitions asked for', () => {
    const parts: PairColumns[] = [{ length: 3, keys: { kind: 'u32', data: Uint32Array.of(4, 4, 4) }, values: valueSamples.f64!(3) }];
    const out = columnarPath(parts, 8);
    expect(out.numPartitions).toBe(8);
    expect(out.columns).toHaveLength(8);
    expect(out.columns!.filter((c) => c.length > 0)).toHaveLength(1);
    expect(out.partitions.map((p) => p.length)).toStrictEqual(rowPath(parts, 8).map((p) => p.length));
    expect(out.isEmpty()).toBe(false);
    // Partitioned again (empty input partitions included), and with strings, whose empty column has one offset.
    expect(out.partitionBy(3).partitions).toStrictEqual(rowPath(parts, 3));
    const words = columnarPath([{ length: 2, keys: keyColumnOf(['a', 'a'])!, values: valueSamples.f64!(2) }], 4);
    expect(words.numPartitions).toBe(4);
    for (const c of words.columns!) expect(c.keys.kind === 'utf8' && c.keys.offsets.length).toBe(c.length + 1);
  });

  test('dictionary keys of different dictionaries (one per Arrow record batch) share one dictionary after', () => {
    const a: PairColumns = { length: 4, keys: { kind: 'dict', ids: Int32Array.of(0, 1, 2, 0), dictionary: ['p', 'q', 'r'] }, values: valueSamples.f64!(4) };
    const b: PairColumns = { length: 3, keys: { kind: 'dict', ids: Uint32Array.of(1, 0, 1), dictionary: ['r', 's'] }, values: valueSamples.f64!(3) };
    const out = columnarPath([a, b], 3);
    expect(out.columns).toBeDefined();
    const dictionaries = new Set(out.columns!.map((c) => (c.keys.kind === 'dict' ? c.keys.dictionary : undefined)));
    expect(dictionaries.size).toBe(1);
    expect([...dictionaries][0]).toStrictEqual(['p', 'q', 'r', 's']);
    expect(out.partitions).toStrictEqual(rowPath([a, b], 3));
  });

  test('an id outside its dictionary is the key undefined, as on the row path', () => {
    const shared = ['p', 'q'];
    const parts: PairColumns[] = [
      { length: 3, keys: { kind: 'dict', ids: Int32Array.of(0, 5, -1), dictionary: shared }, values: valueSamples.f64!(3) },
      { length: 2, keys: { kind: 'dict', ids: Int32Array.of(1, 0), dictionary: shared }, values: valueSamples.f64!(2) },
    ];
    expect(columnarPath(parts, 4).partitions).toStrictEqual(rowPath(parts, 4));
    // Over two dictionaries such a key cannot be re-coded: the records are partitioned instead.
    const other: PairColumns = { length: 1, keys: { kind: 'dict', ids: Int32Array.of(0), dictionary: ['p'] }, values: valueSamples.f64!(1) };
    expect(columnarPath([...parts, other], 4).partitions).toStrictEqual(rowPath([...parts, other], 4));
  });

  test('a union of columns of different types is partitioned as records, with the same result', () => {
    const u32 = columnar('u32', 'f64', [10], 1);
    const strings = columnar('utf8', 'f64', [10], 2);
    const ints = columnar('u32', 'i32', [10], 3);
    for (const parts of [[...u32, ...strings], [...u32, ...ints]]) {
      const out = Batch.union([Batch.fromColumns<unknown, unknown>(parts.slice(0, 1)), Batch.fromColumns<unknown, unknown>(parts.slice(1))]).partitionBy(3);
      expect(out.columns).toBeUndefined();
      expect(out.partitions).toStrictEqual(rowPath(parts, 3));
    }
  });

  test('Arrow tables of several record batches: the same partitions as their rows', () => {
    const chunk = (first: number, size: number) => {
      const words = Array.from({ length: size }, (_, i) => `w${(first + i) % 7}`);
      return new Table({
        key: vectorFromArray(words, new Dictionary(new Utf8(), new Int32())),
        value: makeVector(Float64Array.from({ length: size }, (_, i) => first + i)),
      });
    };
    const dict = chunk(0, 20).concat(chunk(20, 15), chunk(35, 9));
    const utf8 = (keys: string[], values: Int32Array) => new Table({ key: vectorFromArray(keys, new Utf8()), value: makeVector(values) });
    const utf8Table = utf8(['a', 'b', 'é', 'c'], Int32Array.of(1, 2, 3, 4)).concat(utf8(['c', 'a'], Int32Array.of(5, 6)));
    const ints = (keys: Int32Array, values: BigInt64Array) => new Table({ key: makeVector(keys), value: makeVector(values) });
    const intTable = ints(Int32Array.of(-3, 5, -3), BigInt64Array.of(1n, 2n, 3n)).concat(ints(Int32Array.of(5, 9), BigInt64Array.of(4n, 5n)));
    for (const table of [dict, utf8Table, intTable]) {
      expect(table.batches.length).toBeGreaterThan(1);
      const batch = Batch.fromArrow<Pair<unknown, unknown>>(table);
      expect(batch.columns).toHaveLength(table.batches.length);
      for (const n of [2, 3, 5]) {
        const out = batch.partitionBy(n);
        expect(out.columns).toBeDefined();
        expect(out.partitions).toStrictEqual(Batch.fromPartitions(Batch.fromArrow<Pair<unknown, unknown>>(table).partitions).partitionBy(n).partitions);
      }
    }
  });
});

describe('fromArrow reads as columns only the types whose rows are their buffer', () => {
  test('date and timestamp keys are not read as their stored integers', () => {
    const cases = [
      vectorFromArray([new Date(86_400_000), new Date(0)], new DateDay()),
      vectorFromArray([1000, 2000], new TimestampMillisecond()),
    ];
    for (const key of cases) {
      const table = new Table({ key, value: vectorFromArray([1.5, 2.5]) });
      const batch = Batch.fromArrow<Pair<number, number>>(table);
      const rows = (table.toArray() as { key: unknown; value: unknown }[]).map((r) => [r.key, r.value]);
      expect(batch.collect()).toStrictEqual(rows);
      expect(typeof batch.collect()[0]![0]).toBe('number');
    }
    // A timestamp value, too, stays what its row says (a number, not a bigint).
    const t = new Table({ key: vectorFromArray([1, 2], new Uint32()), value: vectorFromArray([5, 6], new TimestampMillisecond()) });
    expect(Batch.fromArrow(t).collect()).toStrictEqual([
      [1, 5],
      [2, 6],
    ]);
  });
});
