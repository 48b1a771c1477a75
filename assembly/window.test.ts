// Unit tests of pane-based sliding windows (assembly/window.ts) against brute force over each
// window's values, on the release and debug builds.
import { describe, expect, test } from 'vitest';
import type { Kernels } from '../src/kernels/wasm.js';
import { TARGETS, exportAll, freeAll, keyOf, kernels, prng, type Columns, type Exported } from './test-helpers.js';

const U32 = 0, U64 = 1, F64 = 2;
const VF64 = 0, VI64 = 1, VI32 = 2;
const COUNT = 1, SUM = 2, MIN = 4, MAX = 8, SUMSQ = 16, ALL = 31;

type Key = number | bigint;

/** Values for window sums: specials, but none whose sums could overflow in one order and not another. */
const SPECIALS = [NaN, 0, -0, Infinity, -Infinity, 5e-324, -5e-324, 2 ** 53, -(2 ** 53), 1e300, -1e300];

/** A brute-force window: the raw rows of its last N panes. */
class BruteWindow {
  panes: Columns[][] = [[]];
  /** The panes of the last two windows: what running totals between re-anchors may still carry rounding from. */
  recent: Columns[][] = [[]];
  constructor(readonly numPanes: number) {}
  add(c: Columns): void {
    this.panes[this.panes.length - 1]!.push(c);
    this.recent[this.recent.length - 1]!.push(c);
  }
  slide(): void {
    this.panes.push([]);
    if (this.panes.length > this.numPanes) this.panes.shift();
    this.recent.push([]);
    if (this.recent.length > 2 * this.numPanes + 1) this.recent.shift();
  }
  /** Per key: Σ|x| and Σx² of the finite values of the last two windows. */
  scale(): Map<Key, { abs: number; sq: number }> {
    const m = new Map<Key, { abs: number; sq: number }>();
    for (const pane of this.recent) {
      for (const c of pane) {
        for (let i = 0; i < c.keys.length; i++) {
          const key = keyOf(c, i);
          const x = Number(c.values[i]!);
          let a = m.get(key);
          if (!a) m.set(key, (a = { abs: 0, sq: 0 }));
          if (Number.isFinite(x)) a.abs += Math.abs(x);
          if (Number.isFinite(x * x)) a.sq += x * x;
        }
      }
    }
    return m;
  }
  /** Per key: its values in the window, oldest first. */
  values(): Map<Key, (number | bigint)[]> {
    const m = new Map<Key, (number | bigint)[]>();
    for (const pane of this.panes) {
      for (const c of pane) {
        for (let i = 0; i < c.keys.length; i++) {
          const key = keyOf(c, i);
          let vs = m.get(key);
          if (!vs) m.set(key, (vs = []));
          vs.push(c.values[i]!);
        }
      }
    }
    return m;
  }
}

/** Checks a window export against brute force: exact where exact arithmetic allows it. */
function expectWindow(got: Exported, brute: BruteWindow, mask: number, valueKind: number): void {
  const want = brute.values();
  expect(got.n).toBe(want.size);
  for (const agg of [[COUNT, 'count'], [SUM, 'sum'], [MIN, 'min'], [MAX, 'max'], [SUMSQ, 'sumsq']] as const) {
    expect(got.untouched[agg[1]]).toBe(got.n === 0 || !(mask & agg[0]));
  }
  for (const [key, vs] of want) {
    const g = got.rows.get(key);
    expect(g, `key ${key}`).toBeDefined();
    if (mask & COUNT) expect(g!.count).toBe(vs.length);
    if (valueKind !== VF64) {
      const xs = vs.map((v) => BigInt(v));
      if (mask & SUM) expect(g!.sum).toBe(BigInt.asIntN(64, xs.reduce((a, b) => a + b, 0n)));
      if (mask & MIN) expect(g!.min).toBe(xs.reduce((a, b) => (b < a ? b : a)));
      if (mask & MAX) expect(g!.max).toBe(xs.reduce((a, b) => (b > a ? b : a)));
      if (mask & SUMSQ) {
        const q = xs.reduce((a, b) => a + Number(b) * Number(b), 0);
        expect(Math.abs((g!.sumsq as number) - q)).toBeLessThanOrEqual(2 ** -40 * q + vs.length * Number.EPSILON * q);
      }
      continue;
    }
    const xs = vs as number[];
    if (mask & MIN) expect(Object.is(g!.min, xs.reduce((a, b) => Math.min(a, b), Infinity)), `min of ${key}`).toBe(true);
    if (mask & MAX) expect(Object.is(g!.max, xs.reduce((a, b) => Math.max(a, b), -Infinity)), `max of ${key}`).toBe(true);
    // Subtract-on-evict re-anchors whenever its error bound passes 2^-44 of the total, so the
    // sum is within reordering of the window's own values (no residue of values that left),
    // non-finite results and the sign of zero exact.
    const n = xs.length;
    const abs = xs.reduce((a, b) => (Number.isFinite(b) ? a + Math.abs(b) : a), 0);
    const sq = xs.reduce((a, b) => (Number.isFinite(b * b) ? a + b * b : a), 0);
    const close = (got: number, want: number, scale: number) =>
      Math.abs(got - want) <= 2 ** -40 * Math.max(Math.abs(got), Math.abs(want)) + n * Number.EPSILON * scale;
    if (mask & SUM) {
      const s = xs.reduce((a, b) => a + b, -0);
      const gs = g!.sum as number;
      if (!Number.isFinite(s) || Object.is(s, -0)) expect(Object.is(gs, s), `sum of ${key}: ${gs} vs ${s}`).toBe(true);
      else expect(close(gs, s, abs), `sum of ${key}: ${gs} vs ${s}`).toBe(true);
    }
    if (mask & SUMSQ) {
      const q = xs.reduce((a, b) => a + b * b, -0);
      const gq = g!.sumsq as number;
      if (!Number.isFinite(q)) expect(Object.is(gq, q)).toBe(true);
      else expect(close(gq, q, sq), `sumsq of ${key}: ${gq} vs ${q}`).toBe(true);
    }
  }
}

function batch(r: () => number, keyKind: number, valueKind: number, n: number, lo: number, span: number): Columns {
  const pick = () => lo + Math.floor(r() * span);
  let keys: Columns['keys'];
  if (keyKind === U32) keys = Uint32Array.from({ length: n }, pick);
  else if (keyKind === U64) keys = BigUint64Array.from({ length: n }, () => 2n ** 60n + BigInt(pick()) * 0x10001n);
  else keys = Float64Array.from({ length: n }, () => (pick() % 50 === 0 ? [-0, 0, NaN][pick() % 3]! : pick() / 8));
  let values: Columns['values'];
  if (valueKind === VF64) values = Float64Array.from({ length: n }, () => (r() < 0.04 ? SPECIALS[Math.floor(r() * SPECIALS.length)]! : Math.round((r() - 0.5) * 2e6) / 64));
  else if (valueKind === VI64) values = BigInt64Array.from({ length: n }, () => (r() < 0.03 ? 2n ** 62n : BigInt(Math.floor((r() - 0.5) * 1e9))));
  else values = Int32Array.from({ length: n }, () => Math.floor((r() - 0.5) * 2e9));
  return { keyKind, valueKind, keys, values };
}

function addBatch(k: Kernels, w: number, c: Columns, withValues = true): void {
  const kp = k.copyIn(c.keys), vp = withValues ? k.copyIn(c.values) : 0;
  k.winAdd(w, kp, vp, c.keys.length); // a COUNT window ignores values: none are passed
  freeAll(k, kp, vp);
}

/** Runs `slides` slides of churning keys, checking every export against brute force. */
function run(k: Kernels, seed: number, keyKind: number, valueKind: number, mask: number, numPanes: number, slides: number, rows = 120): void {
  const r = prng(seed);
  const w = k.winNew(keyKind, valueKind, mask, numPanes, 16);
  const brute = new BruteWindow(numPanes);
  for (let s = 0; s < slides; s++) {
    // Keys drift: the live range moves 15 keys per pane, so old keys leave the window for good.
    const parts = r() < 0.3 ? 2 : r() < 0.1 ? 0 : 1;
    for (let p = 0; p < parts; p++) {
      const c = batch(r, keyKind, valueKind, Math.floor(r() * rows), s * 15, 60);
      addBatch(k, w, c, mask !== COUNT);
      brute.add(c);
    }
    expect(k.winSize(w)).toBe(brute.values().size);
    if (s % 3 === 0 || s > slides - 3) expectWindow(exportAll(k, w, k.winSize(w), keyKind, valueKind, true), brute, mask, valueKind);
    k.winSlide(w);
    brute.slide();
  }
  k.winFree(w);
}

describe.each(TARGETS)('pane windows (%s build)', (target) => {
  test.each([1, 2, 3, 7])('every mask and value kind matches brute force over churning keys, %i panes', async (numPanes) => {
    const k = await kernels(target);
    for (const valueKind of [VF64, VI64, VI32]) {
      for (const mask of [SUM, COUNT, SUM | COUNT, MIN, MAX, MIN | MAX, SUMSQ, ALL]) {
        run(k, numPanes * 100 + mask * 7 + valueKind, U32, valueKind, mask, numPanes, target === 'release' ? 20 : 14);
      }
    }
  });

  test('u64 and f64 keys', async () => {
    const k = await kernels(target);
    run(k, 1, U64, VF64, ALL, 4, 25);
    run(k, 2, F64, VI64, ALL, 4, 25);
    run(k, 3, F64, VF64, SUM | COUNT, 3, 25);
  });

  test('min/max over many slides (two-stack flips) match brute force', async () => {
    const k = await kernels(target);
    run(k, 11, U32, VF64, MIN | MAX, 5, target === 'release' ? 80 : 40, 60);
    run(k, 12, U32, VI32, MIN | MAX, 9, target === 'release' ? 80 : 40, 60);
  });

  test('memory stays flat with churning keys: dead keys are reclaimed', async () => {
    const k = await kernels(target);
    const r = prng(5);
    const w = k.winNew(U32, VF64, ALL, 4, 16);
    const used: number[] = [];
    for (let s = 0; s < 400; s++) {
      addBatch(k, w, batch(r, U32, VF64, 200, s * 40, 80)); // ~80 new keys per pane, all gone 4 panes later
      k.winSlide(w);
      used.push(k.heapUsed());
      expect(k.winSize(w)).toBeLessThanOrEqual(4 * 80);
    }
    expect(used[399]).toBeLessThanOrEqual(used[50]!); // no growth after warm-up
    for (let s = 0; s < 4; s++) k.winSlide(w);
    expect(k.winSize(w)).toBe(0); // everything slid out
    const before = k.heapUsed();
    k.winFree(w);
    expect(k.heapUsed()).toBeLessThan(before);
  });

  test('sums re-anchor: a huge value that left the window leaves no drift behind', async () => {
    const k = await kernels(target);
    const n = 4;
    const w = k.winNew(U32, VF64, SUM | SUMSQ, n, 4);
    const one = (v: number) => addBatch(k, w, { keyKind: U32, valueKind: VF64, keys: Uint32Array.of(9), values: Float64Array.of(v) });
    one(1e17);
    k.winSlide(w);
    const sums: number[] = [];
    for (let s = 0; s < 3 * n; s++) {
      one(1);
      sums.push(exportAll(k, w, 1, U32, VF64, true).rows.get(9)!.sum as number);
      k.winSlide(w);
    }
    // As soon as 1e17 has left the window, the sum is exactly the ones in it.
    // (While 1e17 is in it, 1e17 + a few ones rounds to 1e17, as the JS fold does.)
    expect(sums).toEqual(Array.from({ length: 3 * n }, (_, i) => (i < n - 1 ? 1e17 : 4)));
    k.winFree(w);
  });

  test('non-finite and signed-zero sums are exact: NaN, ±Infinity, overflow and -0 come and go', async () => {
    const k = await kernels(target);
    const w = k.winNew(U32, VF64, SUM | SUMSQ | MIN, 2, 4);
    const brute = new BruteWindow(2);
    const panes = [[-0], [-0], [Infinity], [1], [-Infinity, 2], [NaN], [1e308], [1e308], [-1e308], [3], [-0, 0], [-0], [-0], [0.5], [-0], [-0], [7], [-7]];
    for (const vs of panes) {
      const c: Columns = { keyKind: U32, valueKind: VF64, keys: new Uint32Array(vs.length).fill(1), values: Float64Array.from(vs) };
      addBatch(k, w, c);
      brute.add(c);
      const got = exportAll(k, w, 1, U32, VF64, true).rows.get(1)!;
      const xs = brute.values().get(1) as number[];
      const label = `window ${JSON.stringify(xs.map(String))}`;
      // Exact, even right after ±1e308 left: the drift bound forces a re-anchor.
      expect(Object.is(got.sum, xs.reduce((a, b) => a + b, -0)), label).toBe(true);
      expect(Object.is(got.sumsq, xs.reduce((a, b) => a + b * b, -0)), label).toBe(true);
      expect(Object.is(got.min, Math.min(...xs)), label).toBe(true);
      k.winSlide(w);
      brute.slide();
    }
    k.winFree(w);
  });

  test('a key flooded with 1M rows in one pane, and empty input', async () => {
    const k = await kernels(target);
    const n = 1 << 20;
    const w = k.winNew(U32, VI32, ALL, 3, 1);
    const values = Int32Array.from({ length: n }, (_, i) => (i % 1000) - 500);
    const c: Columns = { keyKind: U32, valueKind: VI32, keys: new Uint32Array(n).fill(5), values };
    addBatch(k, w, c);
    k.winAdd(w, 0, 0, 0);
    const brute = new BruteWindow(3);
    brute.add(c);
    expectWindow(exportAll(k, w, 1, U32, VI32, true), brute, ALL, VI32);
    k.winFree(w);
  });
});
