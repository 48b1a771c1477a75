// The kernel benchmark's peers (bench/peers) compute the same per-key sums as an independent
// reference on small data, so that the ratios `npm run bench:kernels` reports compare correct
// implementations. The benchmark itself never runs under `npm test`.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { u32Batch, wordBatch } from '../../bench/lib/data.js';
import { prng } from '../../bench/lib/random.js';
import { mapSumStrings, mapSumU32 } from '../../bench/peers/map.js';
import { StringDictionary, U32SumTable, fmix32, xxh32 } from '../../bench/peers/open-addressing.js';
import { arqueroSum, arqueroTable, arqueroToMap } from '../../bench/peers/arquero.js';
import { DuckDBPeer } from '../../bench/peers/duckdb.js';
import { rxjsSum } from '../../bench/peers/rxjs.js';
import { MapRingWindow } from '../../bench/peers/window.js';
import { NativeReference, gccVersion } from '../../bench/peers/native.js';
import { compareSums, referenceSumsStrings, referenceSumsU32 } from '../../bench/lib/reference.js';

const u32 = u32Batch(20_000, 500, 'zipf', 7);
const uni = u32Batch(20_000, 3_000, 'uniform', 8);
const dense = u32Batch(20_000, 1_000, 'uniform', 10, { keySpace: 'dense' });
/** Enough keys (> 16K) that a table grown from a tiny hint crosses from the in-cache regime to the large one. */
const big = u32Batch(60_000, 50_000, 'uniform', 11);
const words = wordBatch(10_000, 800, 9);

const refU32 = referenceSumsU32(u32.keys, u32.values);
const refUni = referenceSumsU32(uni.keys, uni.values);
const refDense = referenceSumsU32(dense.keys, dense.values);
const refBig = referenceSumsU32(big.keys, big.values);
const refWords = referenceSumsStrings(words.words, words.values);

function sorted<K>(m: Map<K, number>): [K, number][] {
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function expectSame<K>(actual: Map<K, number>, expected: Map<K, number>): void {
  expect(actual.size).toBe(expected.size);
  expect(sorted(actual)).toEqual(sorted(expected));
  expect(compareSums(actual, expected)).toEqual({ ok: true });
}

describe('benchmark data', () => {
  test('is deterministic and has the asked cardinality', () => {
    expect(u32Batch(20_000, 500, 'zipf', 7).keys).toEqual(u32.keys);
    expect(new Set(u32.ids).size).toBe(500);
    expect(Math.max(...u32.keys)).toBeLessThan(2 ** 30); // V8 small integers
    expect(Math.max(...dense.keys)).toBeLessThan(1_000);
    expect(u32.distinct).toBe(refU32.size);
    expect(words.offsets[words.offsets.length - 1]).toBe(words.bytes.length);
    expect(words.distinct).toBe(refWords.size);
    // the reference agrees with plain counting
    const plain = new Map<number, number>();
    u32.keys.forEach((k, i) => plain.set(k, (plain.get(k) ?? 0) + u32.values[i]!));
    expect(sorted(refU32)).toEqual(sorted(plain));
    expect(compareSums(new Map([[1, 2]]), new Map([[1, 3]])).ok).toBe(false);
    // Zipf: the hottest key is far above the mean frequency
    const counts = new Map<number, number>();
    for (const k of u32.keys) counts.set(k, (counts.get(k) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBeGreaterThan(20 * (u32.keys.length / 500));
  });
});

describe('peers compute the reference sums', () => {
  test('plain-JS Map', () => {
    expectSame(mapSumU32(u32.keys, u32.values), refU32);
    expectSame(mapSumU32(uni.keys, uni.values), refUni);
    expectSame(mapSumU32(dense.keys, dense.values), refDense);
    expectSame(mapSumStrings(words.words, words.values), refWords);
  });

  test('JS open addressing: fmix32 and xxh32 match their published vectors', () => {
    // murmur3_32 of "" with seed 1 is fmix32(1); xxh32 vectors from the xxHash sanity tests
    expect(fmix32(1)).toBe(0x514e28b7);
    const enc = new TextEncoder();
    const h = (s: string, seed = 0) => {
      const b = enc.encode(s);
      return xxh32(b, 0, b.length, seed);
    };
    expect(h('')).toBe(0x02cc5d05);
    expect(h('a')).toBe(0x550d7456);
    expect(h('abc')).toBe(0x32d153ff);
    expect(h('Nobody inspects the spammish repetition')).toBe(0xe2293b2f);
  });

  test('JS open addressing: u32 table, growing, cleared and reused', () => {
    const t = new U32SumTable(4); // starts small: must grow
    t.add(u32.keys, u32.values);
    expectSame(t.toMap(), refU32);
    t.clear();
    expect(t.size).toBe(0);
    t.add(uni.keys, uni.values);
    expectSame(t.toMap(), refUni);
    const g = new U32SumTable(4); // grows through both regimes (1 MiB of slots and beyond)
    g.add(big.keys, big.values);
    expect(g.capacity * 16).toBeGreaterThan(1 << 20);
    expectSame(g.toMap(), refBig);
    g.clear();
    g.add(big.keys, big.values); // the large regime from the first row
    expectSame(g.toMap(), refBig);
  });

  test('JS open addressing: dictionary encoding + u32 table', () => {
    const d = new StringDictionary(16);
    const ids = new Uint32Array(words.values.length);
    d.encode(words.offsets, words.bytes, ids.length, ids);
    expect(d.size).toBe(refWords.size);
    const again = new Uint32Array(ids.length);
    d.encode(words.offsets, words.bytes, ids.length, again); // kept across batches: same ids
    expect(again).toEqual(ids);
    const t = new U32SumTable(16);
    t.add(ids, words.values);
    const byWord = new Map<string, number>();
    for (const [id, s] of t.toMap()) byWord.set(d.stringOf(id), s);
    expectSame(byWord, refWords);
  });

  test('arquero groupby().rollup()', () => {
    expectSame(arqueroToMap<number>(arqueroSum(arqueroTable(u32.keys, u32.values))), refU32);
    expectSame(arqueroToMap<string>(arqueroSum(arqueroTable(words.words, words.values))), refWords);
  });

  describe('DuckDB, one thread', () => {
    let db: DuckDBPeer;
    beforeAll(async () => {
      db = await DuckDBPeer.open();
    });
    afterAll(() => db.close());

    test('runs single-threaded', async () => {
      expect(await db.threads()).toBe(1);
    });

    test('appender load + GROUP BY', async () => {
      await db.load('t_u32', u32.keys, u32.values);
      expect((await db.query('t_u32')).rowCount).toBe(refU32.size);
      expectSame(await db.resultMap<number>('t_u32'), refU32);
      await db.load('t_u32', uni.keys, uni.values); // reload replaces
      expectSame(await db.resultMap<number>('t_u32'), refUni);
      await db.load('t_words', words.words, words.values);
      expectSame(await db.resultMap<string>('t_words'), refWords);
    });
  });

  test('RxJS groupBy/mergeMap/reduce', async () => {
    expectSame(new Map(await rxjsSum(u32.keys, u32.values)), refU32);
    expectSame(new Map(await rxjsSum(words.words, words.values)), refWords);
  });

  test('JS Map-of-ring-arrays sliding window', () => {
    const panes = 4;
    const win = new MapRingWindow(panes);
    const rand = prng(3);
    const history: { keys: Uint32Array; values: Float64Array }[] = [];
    for (let b = 0; b < 10; b++) {
      const n = b === 6 ? 0 : 500; // an empty pane too
      const keys = new Uint32Array(n);
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        keys[i] = Math.floor(rand() * (b < 5 ? 50 : 20)); // later panes use fewer keys: keys must leave
        values[i] = Math.floor(rand() * 10) - 3; // zeros and negatives: sums of 0 are not "empty"
      }
      if (b > 0) win.slide();
      win.add(keys, values);
      history.push({ keys, values });
      const inWindow = history.slice(-panes);
      const all = inWindow.flatMap((p) => [...p.keys]);
      const ref = referenceSumsU32(Uint32Array.from(all), Float64Array.from(inWindow.flatMap((p) => [...p.values])));
      expectSame(win.totals(), ref);
    }
  });

  // The C reference must be checked wherever the benchmark is run; CI has gcc.
  // Without gcc: fails under CI=true, else is skipped with the reason in its name.
  const gcc = gccVersion();
  const ci = process.env.CI === 'true';
  const why = gcc !== undefined ? '' : ci ? ' — gcc not found on PATH, required under CI=true' : ' — skipped: gcc not found on PATH (apt-get install gcc)';
  test.skipIf(gcc === undefined && !ci)(`native C reference (gcc -O3 -march=native)${why}`, () => {
    expect(gcc, 'gcc is required under CI=true to prove the C peer correct').toBeDefined();
    const native = NativeReference.build();
    try {
      const file = native.writeData('u32', { kind: 'u32', keys: u32.keys, values: u32.values });
      const { run, result } = native.run('u32', file, 4, { minIters: 2, minMs: 0, warmup: 1, withResult: true });
      expect(run.samplesMs.length).toBeGreaterThanOrEqual(2);
      const m = new Map<number, number>();
      result!.keys.forEach((k, i) => m.set(k, result!.sums[i]!));
      expectSame(m, refU32);

      // both regimes and the growth between them, as the JS table (same algorithm: same slot order)
      const bfile = native.writeData('big', { kind: 'u32', keys: big.keys, values: big.values });
      const b = native.run('u32', bfile, 4, { minIters: 1, minMs: 0, warmup: 0, withResult: true });
      const bm = new Map<number, number>();
      b.result!.keys.forEach((k, i) => bm.set(k, b.result!.sums[i]!));
      expectSame(bm, refBig);
      const js = new U32SumTable(4);
      js.add(big.keys, big.values);
      expect(b.result!.keys).toEqual(js.export().keys);

      const wfile = native.writeData('words', { kind: 'words', offsets: words.offsets, bytes: words.bytes, values: words.values });
      const w = native.run('words', wfile, [16, 16], { minIters: 2, minMs: 0, warmup: 0, withResult: true });
      const byWord = new Map<string, number>();
      w.result!.keys.forEach((id, i) => byWord.set(w.result!.dictionary![id]!, w.result!.sums[i]!));
      expectSame(byWord, refWords);
    } finally {
      native.dispose();
    }
  });
});
