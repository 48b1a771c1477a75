// Unit tests of hash aggregation (assembly/reduce-by-key.ts) against a plain-JS reference, on
// the release and debug builds.
import { describe, expect, test } from 'vitest';
import {
  TARGETS, copyBatch, exportAll, f64KeyBits, fmix32, freeAll, kernels, prng, randomF64, reference,
  type Acc, type Columns, type Exported, type Key, type Val,
} from './test-helpers.js';

const U32 = 0, U64 = 1, F64 = 2;
const VF64 = 0, VI64 = 1, VI32 = 2;
const COUNT = 1, SUM = 2, MIN = 4, MAX = 8, SUMSQ = 16, ALL = 31;
const MASKS = [COUNT, SUM, MIN, MAX, SUM | COUNT, ALL, MIN | MAX, SUMSQ, COUNT | SUMSQ, SUM | MAX];

function same(a: Val, b: Val): boolean {
  return typeof a === 'number' && typeof b === 'number' ? Object.is(a, b) : a === b;
}

/** Exact comparison of an export with the reference, aggregate by aggregate of the mask. */
function expectExact(got: Exported, want: Map<Key, Acc>, mask: number): void {
  expect(got.n).toBe(want.size);
  expect(got.untouched.count).toBe(!(mask & COUNT));
  expect(got.untouched.sum).toBe(!(mask & SUM));
  expect(got.untouched.min).toBe(!(mask & MIN));
  expect(got.untouched.max).toBe(!(mask & MAX));
  expect(got.untouched.sumsq).toBe(!(mask & SUMSQ));
  for (const [key, a] of want) {
    const g = got.rows.get(key);
    expect(g, `key ${key}`).toBeDefined();
    if (mask & COUNT) expect(g!.count).toBe(a.count);
    if (mask & SUM) expect(same(g!.sum, a.sum), `sum of ${key}: ${g!.sum} vs ${a.sum}`).toBe(true);
    if (mask & MIN) expect(same(g!.min, a.min), `min of ${key}: ${g!.min} vs ${a.min}`).toBe(true);
    if (mask & MAX) expect(same(g!.max, a.max), `max of ${key}: ${g!.max} vs ${a.max}`).toBe(true);
    if (mask & SUMSQ) expect(same(g!.sumsq, a.sumsq), `sumsq of ${key}: ${g!.sumsq} vs ${a.sumsq}`).toBe(true);
  }
}

/** A random batch: keys from a pool of `distinct` (with -0/NaN/huge keys for f64), values with specials. */
function randomBatch(r: () => number, keyKind: number, valueKind: number, n: number, distinct: number): Columns {
  let keys: Columns['keys'];
  if (keyKind === U32) keys = Uint32Array.from({ length: n }, () => Math.imul(Math.floor(r() * distinct), 0x9e3779b1) >>> 0);
  else if (keyKind === U64) keys = BigUint64Array.from({ length: n }, () => (BigInt(Math.floor(r() * distinct)) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn);
  else {
    const pool = [-0, 0, NaN, Infinity, -Infinity, 5e-324, 1e308, 2 ** 53 + 2];
    keys = Float64Array.from({ length: n }, () => (r() < 0.1 ? pool[Math.floor(r() * pool.length)]! : Math.floor(r() * distinct) / 4));
  }
  let values: Columns['values'];
  if (valueKind === VF64) values = randomF64(r, n, 0.05);
  else if (valueKind === VI64) {
    const big = [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -(2n ** 60n), 0n];
    values = BigInt64Array.from({ length: n }, () => (r() < 0.05 ? big[Math.floor(r() * big.length)]! : BigInt(Math.floor((r() - 0.5) * 2e12))));
  } else values = Int32Array.from({ length: n }, () => (r() < 0.05 ? [2147483647, -2147483648, 0][Math.floor(r() * 3)]! : Math.floor((r() - 0.5) * 2e6)));
  // Make f64 keys' NaNs differ in payload: still one key.
  if (keyKind === F64) {
    const bits = new BigUint64Array(keys.buffer);
    for (let i = 0; i < n; i += 97) if (Number.isNaN(keys[i] as number)) bits[i] = 0xfff8000000000123n;
  }
  return { keyKind, valueKind, keys, values };
}

describe.each(TARGETS)('reduce-by-key (%s build)', (target) => {
  test('every key kind, value kind and mask matches the JS reference exactly, across batches', async () => {
    const k = await kernels(target);
    const r = prng(42);
    for (const keyKind of [U32, U64, F64]) {
      for (const valueKind of [VF64, VI64, VI32]) {
        const batches = [0, 1, 2].map((b) => randomBatch(r, keyKind, valueKind, b === 1 ? 0 : 1500, 200));
        const want = reference(batches);
        for (const mask of MASKS) {
          const t = k.aggNew(keyKind, valueKind, mask, 16); // small: grows on the way
          for (const b of batches) {
            const p = copyBatch(k, b);
            k.aggAdd(t, p.keys, mask === COUNT ? 0 : p.values, b.keys.length);
            freeAll(k, p.keys, p.values);
          }
          expect(k.aggSize(t)).toBe(want.size);
          expectExact(exportAll(k, t, k.aggSize(t), keyKind, valueKind), want, mask);
          k.aggFree(t);
        }
      }
    }
  });

  test('f64 semantics: the sum of [-0] is -0, NaN and infinities propagate, min/max order -0 < +0', async () => {
    const k = await kernels(target);
    const cases: number[][] = [[-0], [-0, -0], [0, -0], [-0, 0], [NaN, 1], [Infinity, -Infinity], [Infinity, 1e308], [1e308, 1e308, -1e308], [5e-324, 5e-324], [-5e-324, 5e-324]];
    const keys: number[] = [];
    const values: number[] = [];
    cases.forEach((vs, key) => vs.forEach((v) => (keys.push(key), values.push(v))));
    const c: Columns = { keyKind: U32, valueKind: VF64, keys: Uint32Array.from(keys), values: Float64Array.from(values) };
    const t = k.aggNew(U32, VF64, ALL, cases.length);
    const p = copyBatch(k, c);
    k.aggAdd(t, p.keys, p.values, keys.length);
    const got = exportAll(k, t, k.aggSize(t), U32, VF64);
    expectExact(got, reference([c]), ALL);
    expect(Object.is(got.rows.get(0)!.sum, -0)).toBe(true);
    expect(Object.is(got.rows.get(2)!.min, -0) && Object.is(got.rows.get(2)!.max, 0)).toBe(true);
    expect(got.rows.get(7)!.sum).toBe(Infinity); // overflow in row order, as JS's fold
    freeAll(k, p.keys, p.values);
    k.aggFree(t);
  });

  test('f64 keys are compared as SameValueZero: -0 is 0, every NaN is one key', async () => {
    const k = await kernels(target);
    const keys = new Float64Array([0, -0, NaN, NaN, 1, Infinity]);
    new BigUint64Array(keys.buffer)[3] = 0x7ff0000000000001n; // a signalling NaN
    const c: Columns = { keyKind: F64, valueKind: VF64, keys, values: new Float64Array([1, 2, 3, 4, 5, 6]) };
    const t = k.aggNew(F64, VF64, SUM, 4);
    const p = copyBatch(k, c);
    k.aggAdd(t, p.keys, p.values, 6);
    expect(k.aggSize(t)).toBe(4);
    const got = exportAll(k, t, 4, F64, VF64);
    expect(got.rows.get(f64KeyBits(0))!.sum).toBe(3);
    expect(got.rows.get(f64KeyBits(NaN))!.sum).toBe(7);
    expect(got.rows.has(0x8000000000000000n)).toBe(false); // no -0 key
    freeAll(k, p.keys, p.values);
    k.aggFree(t);
  });

  test('u64 keys beyond 2^53 and exact i64 sums (BigInt reference)', async () => {
    const k = await kernels(target);
    const r = prng(3);
    const pool = [2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 63n - 1n, 0n, 1n, 0xdeadbeefcafebaben];
    const n = 3000;
    const c: Columns = {
      keyKind: U64,
      valueKind: VI64,
      keys: BigUint64Array.from({ length: n }, () => pool[Math.floor(r() * pool.length)]!),
      values: BigInt64Array.from({ length: n }, () => 2n ** 60n + BigInt(Math.floor(r() * 1000))), // sums wrap past 2^63
    };
    const t = k.aggNew(U64, VI64, ALL, 4);
    const p = copyBatch(k, c);
    k.aggAdd(t, p.keys, p.values, n);
    expectExact(exportAll(k, t, k.aggSize(t), U64, VI64), reference([c]), ALL);
    freeAll(k, p.keys, p.values);
    k.aggFree(t);
  });

  test('aggMerge folds partial tables: counts, min, max and integer sums exact, float sums within reordering', async () => {
    const k = await kernels(target);
    const r = prng(8);
    for (const [keyKind, valueKind] of [[U32, VF64], [U64, VI32], [F64, VI64], [U32, VI64]] as const) {
      for (const mask of [SUM, COUNT, SUM | COUNT, MIN, ALL]) {
        const rows = randomBatch(r, keyKind, valueKind, 4000, 300);
        if (valueKind === VF64) {
          // No overflowing values: a sum that overflows in one order need not in another.
          const v = rows.values as Float64Array;
          for (let i = 0; i < v.length; i++) if (Math.abs(v[i]!) > 1e300) v[i] = v[i]! > 0 ? Infinity : -Infinity;
        }
        const want = reference([rows]);
        const dst = k.aggNew(keyKind, valueKind, mask, 16);
        const p = copyBatch(k, rows);
        const kb = keyKind === U32 ? 4 : 8, vb = valueKind === VI32 ? 4 : 8;
        for (const [from, to] of [[0, 1000], [1000, 2500], [2500, 4000]] as const) {
          const part = k.aggNew(keyKind, valueKind, mask, 16);
          k.aggAdd(part, p.keys + from * kb, p.values + from * vb, to - from);
          k.aggMerge(dst, part);
          k.aggFree(part);
        }
        const got = exportAll(k, dst, k.aggSize(dst), keyKind, valueKind);
        expect(got.n).toBe(want.size);
        for (const [key, a] of want) {
          const g = got.rows.get(key)!;
          if (mask & COUNT) expect(g.count).toBe(a.count);
          if (mask & MIN) expect(same(g.min, a.min)).toBe(true);
          if (mask & MAX) expect(same(g.max, a.max)).toBe(true);
          if (mask & SUM) {
            if (valueKind !== VF64) expect(g.sum).toBe(a.sum);
            else if (!Number.isFinite(a.sum as number)) expect(Object.is(g.sum, a.sum)).toBe(true);
            else expect(Math.abs((g.sum as number) - (a.sum as number))).toBeLessThanOrEqual(a.abs * a.count * 2 ** -52);
          }
        }
        freeAll(k, p.keys, p.values);
        k.aggFree(dst);
      }
    }
    const a = k.aggNew(U32, VF64, SUM, 16);
    const b = k.aggNew(U32, VF64, MIN, 16);
    expect(() => k.aggMerge(a, b)).toThrow(/differ/);
    k.aggFree(a);
    k.aggFree(b);
  });

  test('aggClear empties a table and keeps its capacity; empty input is a no-op', async () => {
    const k = await kernels(target);
    const t = k.aggNew(U32, VF64, SUM | COUNT, 5000);
    const capOf = () => k.u32[(t + 20) / 4]; // header word: capacity
    const cap = capOf();
    const used = k.heapUsed();
    const r = prng(4);
    for (let round = 0; round < 5; round++) {
      const c = randomBatch(r, U32, VF64, 3000, 2000);
      const p = copyBatch(k, c);
      k.aggAdd(t, p.keys, p.values, 0); // empty input
      expect(k.aggSize(t)).toBe(0);
      k.aggAdd(t, p.keys, p.values, 3000);
      expectExact(exportAll(k, t, k.aggSize(t), U32, VF64), reference([c]), SUM | COUNT);
      k.aggClear(t);
      expect(k.aggSize(t)).toBe(0);
      expect(exportAll(k, t, 0, U32, VF64).n).toBe(0);
      freeAll(k, p.keys, p.values);
    }
    expect(capOf()).toBe(cap);
    expect(k.heapUsed()).toBe(used);
    k.aggFree(t);
  });

  // Generations stay below 2^24 (the dense regime's touch stores rely on the gen word's top
  // byte being 0); the clear that reaches 2^24 wipes the slots, so entries of old generations
  // can never read as live again. 2^24 clears are simulated by writing the header's gen word.
  test('the generation wraps below 2^24 with a wipe: stale entries never come back', async () => {
    const k = await kernels(target);
    const r = prng(24);
    const t = k.aggNew(U32, VF64, SUM | COUNT, 100_000); // dense: 2 MiB of slots
    const a = randomBatch(r, U32, VF64, 50_000, 40_000);
    const add = (c: Columns) => {
      const p = copyBatch(k, c);
      k.aggAdd(t, p.keys, p.values, c.keys.length);
      freeAll(k, p.keys, p.values);
    };
    add(a); // generation 1
    k.u32[(t + 32) / 4] = 2 ** 24 - 2; // as after 2^24 - 3 clears
    k.u32[(t + 24) / 4] = 0;
    expect(k.aggSize(t)).toBe(0);
    const b = randomBatch(r, U32, VF64, 30_000, 20_000);
    add(b);
    expectExact(exportAll(k, t, k.aggSize(t), U32, VF64), reference([b]), SUM | COUNT);
    k.aggClear(t); // 2^24 - 1
    expect(exportAll(k, t, 0, U32, VF64).n).toBe(0);
    add(b);
    k.aggClear(t); // would be 2^24: wipes, back to generation 1, the generation of batch a
    expect(k.u32[(t + 32) / 4]).toBe(1);
    expect(exportAll(k, t, 0, U32, VF64).n).toBe(0);
    const c = randomBatch(r, U32, VF64, 30_000, 40_000);
    add(c);
    expectExact(exportAll(k, t, k.aggSize(t), U32, VF64), reference([c]), SUM | COUNT);
    k.aggFree(t);
  });

  test('dense tables of 8-byte keys (touch stores into the pad) match the reference for every aggregate', async () => {
    const k = await kernels(target);
    const r = prng(25);
    for (const keyKind of [U64, F64]) {
      const batches = [0, 1].map(() => randomBatch(r, keyKind, VF64, 40_000, 30_000));
      const t = k.aggNew(keyKind, VF64, ALL, 30_000); // 64-byte entries: 4 MiB of slots
      for (const c of batches) {
        const p = copyBatch(k, c);
        k.aggAdd(t, p.keys, p.values, c.keys.length);
        freeAll(k, p.keys, p.values);
      }
      expectExact(exportAll(k, t, k.aggSize(t), keyKind, VF64), reference(batches), ALL);
      k.aggFree(t);
    }
  });

  test('freed, foreign and (debug build) out-of-range handles trap instead of corrupting memory', async () => {
    const k = await kernels(target);
    const t = k.aggNew(U32, VF64, SUM, 16);
    const w = k.winNew(U32, VF64, SUM, 2, 16);
    expect(() => k.aggAdd(w, 0, 0, 1)).toThrow(/not a live aggregation table/);
    expect(() => k.winSlide(t)).toThrow(/not a live window/);
    expect(() => k.aggNew(U32, VF64, 0, 16)).toThrow(/bad aggregate mask/);
    expect(() => k.winNew(U32, VF64, SUM, 0, 16)).toThrow(/numPanes/);
    if (target === 'debug') {
      expect(() => k.aggAdd(t, 8, 8, 10)).toThrow(/reserved low memory/);
      expect(() => k.aggAdd(t, k.memory.buffer.byteLength - 16, 2048, 10)).toThrow(/past the end of memory/);
    }
    k.aggFree(t);
    k.winFree(w);
    expect(() => k.aggSize(t)).toThrow(/not a live aggregation table/);
    expect(() => k.winFree(w)).toThrow(/not a live window/);
  });

  test('a single key flooded with 1M rows', async () => {
    const k = await kernels(target);
    const n = 1 << 20;
    const r = prng(6);
    const c: Columns = { keyKind: U32, valueKind: VF64, keys: new Uint32Array(n).fill(77), values: Float64Array.from({ length: n }, () => r() * 10 - 5) };
    const t = k.aggNew(U32, VF64, ALL, 1);
    const p = copyBatch(k, c);
    k.aggAdd(t, p.keys, p.values, n);
    expectExact(exportAll(k, t, 1, U32, VF64), reference([c]), ALL);
    freeAll(k, p.keys, p.values);
    k.aggFree(t);
  });

  // The row loop reads slot j + 1 past the last slot (a spare entry that is never occupied)
  // instead of wrapping; a key whose run wraps to slot 0 must still be found, by the probe loop.
  test.each([
    ['sparse', 4, 16],
    ['dense', 70_000, 1 << 17],
  ])('probe runs that wrap from the last slot to the first (%s table)', async (_regime, hint, cap) => {
    const k = await kernels(target);
    const mask = cap - 1;
    const withHome = (home: number, count: number): number[] => {
      const found: number[] = [];
      for (let x = 1; found.length < count; x++) if ((fmix32(x) & mask) === home) found.push(x);
      return found;
    };
    const [a, b, c] = withHome(mask, 3); // runs: last slot, then slots 0 and 1
    const [d] = withHome(0, 1); // home 0, displaced to slot 2 by the wrapped keys
    const rows = [a, b, c, d, c, b, a, d, a, c].map((x) => x!);
    const keys = Uint32Array.from(rows);
    const values = Float64Array.from(rows, (_, i) => i + 1);
    const t = k.aggNew(U32, VF64, SUM | COUNT, hint);
    const p = copyBatch(k, { keyKind: U32, valueKind: VF64, keys, values });
    k.aggAdd(t, p.keys, p.values, rows.length);
    k.aggAdd(t, p.keys, p.values, rows.length); // found again (now at j + 1 or further), not re-inserted
    expect(k.aggSize(t)).toBe(4);
    const ko = k.allocArray(Uint32Array, 4), co = k.allocArray(Float64Array, 4), so = k.allocArray(Float64Array, 4);
    expect(k.aggExport(t, ko, co, so, 0, 0, 0)).toBe(4);
    // slot order: the wrapped keys in slots 0 and 1, d in slot 2, a in the last slot
    expect([...k.copyOut(ko, 4, Uint32Array)]).toEqual([b, c, d, a]);
    const sumOf = (x: number) => 2 * rows.reduce((s, r, i) => (r === x ? s + i + 1 : s), 0);
    const countOf = (x: number) => 2 * rows.filter((r) => r === x).length;
    expect([...k.copyOut(so, 4, Float64Array)]).toEqual([b, c, d, a].map((x) => sumOf(x!)));
    expect([...k.copyOut(co, 4, Float64Array)]).toEqual([b, c, d, a].map((x) => countOf(x!)));
    freeAll(k, p.keys, p.values, ko, co, so);
    k.aggFree(t);
  });

  test('1M distinct keys grow a table from 16 slots', async () => {
    const k = await kernels(target);
    const n = 1 << 20;
    const r = prng(7);
    const keys = Uint32Array.from({ length: n }, (_, i) => i * 3 + 1);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
    }
    const values = Float64Array.from(keys, (x) => x / 2);
    const t = k.aggNew(U32, VF64, SUM | COUNT, 1);
    const kp = k.copyIn(keys), vp = k.copyIn(values);
    k.aggAdd(t, kp, vp, n);
    k.aggAdd(t, kp, vp, n); // every key again: found, not re-inserted
    expect(k.aggSize(t)).toBe(n);
    const ko = k.allocArray(Uint32Array, n), co = k.allocArray(Float64Array, n), so = k.allocArray(Float64Array, n);
    expect(k.aggExport(t, ko, co, so, 0, 0, 0)).toBe(n);
    const ks = k.copyOut(ko, n, Uint32Array), cs = k.copyOut(co, n, Float64Array), ss = k.copyOut(so, n, Float64Array);
    let bad = 0;
    for (let i = 0; i < n; i++) if (cs[i] !== 2 || ss[i] !== ks[i]! || ks[i]! % 3 !== 1) bad++;
    expect(bad).toBe(0);
    expect(new Set(ks).size).toBe(n);
    freeAll(k, kp, vp, ko, co, so);
    k.aggFree(t);
  });
});
