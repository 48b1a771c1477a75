// Shared helpers of the kernel unit tests (assembly/*.test.ts): loading each build once per
// test file, seeded data, and plain-JS references of the kernels' hashing.
import { fmix32 } from '../src/batch/keys.js';
import { loadKernels, type Kernels, type KernelTarget } from '../src/kernels/wasm.js';
import { xxh32 } from '../bench/peers/open-addressing.js';

export { fmix32 };
/** The seeded PRNG (mulberry32) shared with the benchmarks and the other tests. */
export { prng } from '../bench/lib/random.js';
export const TARGETS = ['release', 'debug'] as const satisfies readonly KernelTarget[];

const loaded = new Map<KernelTarget, Promise<Kernels>>();

/** One kernel instance (and memory) per build per test file. */
export function kernels(target: KernelTarget): Promise<Kernels> {
  let k = loaded.get(target);
  if (k === undefined) {
    k = loadKernels({ target });
    loaded.set(target, k);
  }
  return k;
}

/** f64 values worth testing: NaN, ±0, ±Infinity, huge and tiny. */
export const SPECIAL_F64 = [NaN, 0, -0, Infinity, -Infinity, 1e308, -1e308, 1.7976931348623157e308, 5e-324, -5e-324, 1, -1, 0.1, 2 ** 53, -(2 ** 53)];

/** Random f64 values: mostly moderate, some special. */
export function randomF64(r: () => number, n: number, specialRate = 0.05): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = r() < specialRate ? SPECIAL_F64[Math.floor(r() * SPECIAL_F64.length)]! : (r() - 0.5) * 2000;
  }
  return out;
}

const MASK64 = (1n << 64n) - 1n;

/** murmur3 fmix64 (BigInt reference). */
export function fmix64(h: bigint): bigint {
  h &= MASK64;
  h ^= h >> 33n;
  h = (h * 0xff51afd7ed558ccdn) & MASK64;
  h ^= h >> 33n;
  h = (h * 0xc4ceb9fe1a85ec53n) & MASK64;
  h ^= h >> 33n;
  return h;
}

/** The kernels' hash of a 64-bit key: fmix64 folded to 32 bits. */
export function hash64(k: bigint): number {
  const h = fmix64(k);
  return Number((h ^ (h >> 32n)) & 0xffffffffn);
}

const f64Scratch = new Float64Array(1);
const u64Scratch = new BigUint64Array(f64Scratch.buffer);

/** The normalised bits of an f64 key (−0 → +0, one NaN), as the kernels store it. */
export function f64KeyBits(x: number): bigint {
  if (Number.isNaN(x)) return 0x7ff8000000000000n;
  f64Scratch[0] = x === 0 ? 0 : x;
  return u64Scratch[0]!;
}

/** The partition of a hash, as the kernels compute it: (hash * P) >>> 32. */
export function partitionOfHash(hash: number, p: number): number {
  return Number((BigInt(hash >>> 0) * BigInt(p)) >> 32n);
}

/**
 * xxHash32 of `bytes` (plain-JS reference): the benchmark's JS peer implementation, which its
 * own test checks against the published xxHash vectors, as hash.test.ts does here.
 */
export function xxh32Ref(bytes: Uint8Array, seed = 0): number {
  return xxh32(bytes, 0, bytes.length, seed);
}

/** An Arrow Utf8 column: i32 offsets[n + 1] and the UTF-8 bytes. */
export function utf8Column(strings: readonly string[], firstOffset = 0): { offsets: Int32Array; bytes: Uint8Array } {
  const enc = new TextEncoder();
  const parts = strings.map((s) => enc.encode(s));
  const total = parts.reduce((a, b) => a + b.length, 0);
  const bytes = new Uint8Array(firstOffset + total);
  const offsets = new Int32Array(strings.length + 1);
  let at = firstOffset;
  offsets[0] = at;
  parts.forEach((b, i) => {
    bytes.set(b, at);
    at += b.length;
    offsets[i + 1] = at;
  });
  return { offsets, bytes };
}

/** Same f64 bits, treating every NaN as one (what SameValueZero-free bitwise checks need). */
export function sameF64(a: number, b: number): boolean {
  return Object.is(a, b);
}

/** Frees every pointer given (0 ignored). */
export function freeAll(k: Kernels, ...ptrs: number[]): void {
  for (const p of ptrs) if (p !== 0) k.free(p);
}

// ---- tables: columns, the JS reference of reduce-by-key, and exports

export type Key = number | bigint;
export type Val = number | bigint;

export interface Acc {
  count: number;
  sum: Val;
  min: Val;
  max: Val;
  sumsq: number;
  /** Σ|x| (f64 values): the scale of a reordered sum's rounding error. */
  abs: number;
}

export interface Columns {
  keyKind: number;
  valueKind: number;
  keys: Uint32Array | BigUint64Array | Float64Array;
  values: Float64Array | BigInt64Array | Int32Array;
}

/** The key as the kernels store it: u32 number, u64 bigint, f64 normalised bits (bigint). */
export function keyOf(c: Columns, i: number): Key {
  if (c.keyKind === 2) return f64KeyBits(c.keys[i] as number);
  return c.keys[i]!;
}

/** The reference: a JS Map folding each key's values in row order, as `(a, b) => a + b` from -0 does. */
export function reference(batches: Columns[]): Map<Key, Acc> {
  const m = new Map<Key, Acc>();
  for (const c of batches) {
    const ints = c.valueKind !== 0;
    for (let i = 0; i < c.keys.length; i++) {
      const key = keyOf(c, i);
      let a = m.get(key);
      if (!a) {
        a = ints
          ? { count: 0, sum: 0n, min: 2n ** 63n - 1n, max: -(2n ** 63n), sumsq: -0, abs: 0 }
          : { count: 0, sum: -0, min: Infinity, max: -Infinity, sumsq: -0, abs: 0 };
        m.set(key, a);
      }
      a.count++;
      if (ints) {
        const x = BigInt(c.values[i]!);
        a.sum = BigInt.asIntN(64, (a.sum as bigint) + x);
        if (x < (a.min as bigint)) a.min = x;
        if (x > (a.max as bigint)) a.max = x;
        a.sumsq += Number(x) * Number(x);
      } else {
        const x = c.values[i] as number;
        a.sum = (a.sum as number) + x;
        a.min = Math.min(a.min as number, x);
        a.max = Math.max(a.max as number, x);
        a.sumsq += x * x;
        if (Number.isFinite(x)) a.abs += Math.abs(x);
      }
    }
  }
  return m;
}

/** Copies a batch into kernel memory. */
export function copyBatch(k: Kernels, c: Columns): { keys: number; values: number } {
  return { keys: k.copyIn(c.keys), values: k.copyIn(c.values) };
}

const SENTINEL = 0x5a5a5a5a5a5a5a5an;

export interface Exported {
  n: number;
  rows: Map<Key, { count: number; sum: Val; min: Val; max: Val; sumsq: number }>;
  untouched: Record<'count' | 'sum' | 'min' | 'max' | 'sumsq', boolean>;
}

/** Exports a table (or window) through every output column; reports columns left untouched. */
export function exportAll(k: Kernels, table: number, size: number, keyKind: number, valueKind: number, win = false): Exported {
  const cap = Math.max(size, 1);
  const keysOut = k.alloc(cap * 8);
  const cols = [0, 1, 2, 3, 4].map(() => {
    const p = k.alloc(cap * 8);
    k.view(BigUint64Array, p, cap).fill(SENTINEL);
    return p;
  });
  const [countOut, sumOut, minOut, maxOut, sumsqOut] = cols as [number, number, number, number, number];
  const n = (win ? k.winExport : k.aggExport)(table, keysOut, countOut, sumOut, minOut, maxOut, sumsqOut);
  const ints = valueKind !== 0;
  const keys = keyKind === 0 ? k.copyOut(keysOut, n, Uint32Array) : k.copyOut(keysOut, n, BigUint64Array);
  const f = (p: number) => k.copyOut(p, n, Float64Array);
  const vals = (p: number): Val[] => (ints ? Array.from(k.copyOut(p, n, BigInt64Array)) : Array.from(f(p)));
  const count = f(countOut), sum = vals(sumOut), min = vals(minOut), max = vals(maxOut), sumsq = f(sumsqOut);
  const untouched = (p: number) => k.copyOut(p, cap, BigUint64Array).every((x) => x === SENTINEL);
  const rows = new Map<Key, { count: number; sum: Val; min: Val; max: Val; sumsq: number }>();
  for (let i = 0; i < n; i++) rows.set(keys[i]!, { count: count[i]!, sum: sum[i]!, min: min[i]!, max: max[i]!, sumsq: sumsq[i]! });
  const result: Exported = {
    n,
    rows,
    untouched: { count: untouched(countOut), sum: untouched(sumOut), min: untouched(minOut), max: untouched(maxOut), sumsq: untouched(sumsqOut) },
  };
  freeAll(k, keysOut, ...cols);
  return result;
}

