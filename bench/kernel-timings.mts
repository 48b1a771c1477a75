// Quick single-thread timings of the WASM kernels (not a test): `npx tsx bench/kernel-timings.mts [filter]`.
// Needs `npm run build:wasm`. Prints rows/s (median of the repetitions) per case.
import { loadKernels, type Kernels } from '../src/kernels/wasm.js';
import { prng } from './lib/random.js';

const filter = process.argv[2] ?? '';
const N = 1 << 20; // rows per batch
const REPS = Number(process.env.REPS ?? 15);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function report(name: string, rows: number, times: number[]): void {
  const t = median(times);
  console.log(`${name.padEnd(48)} ${(rows / t / 1e3).toFixed(1).padStart(8)} M rows/s   (${t.toFixed(2)} ms median of ${times.length})`);
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const k: Kernels = await loadKernels({ target: (process.env.TARGET as 'release' | 'debug') ?? 'release', initialPages: 4096 });

function randomKeys(n: number, distinct: number, seed: number): Uint32Array {
  const r = prng(seed);
  const keys = new Uint32Array(n);
  // Distinct keys spread over the u32 range, drawn uniformly.
  for (let i = 0; i < n; i++) keys[i] = Math.imul(Math.floor(r() * distinct), 0x9e3779b1) >>> 0;
  return keys;
}

const values = new Float64Array(N);
{
  const r = prng(7);
  for (let i = 0; i < N; i++) values[i] = r() * 100;
}
const valuesPtr = k.copyIn(values);

/** aggAdd of the whole batch into a table emptied before each repetition. */
function timeAggAdd(name: string, keyKind: number, mask: number, capacity: number, keysPtr: number): void {
  const t = k.aggNew(keyKind, 0, mask, capacity);
  const times: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    k.aggClear(t);
    times.push(time(() => k.aggAdd(t, keysPtr, valuesPtr, N)));
  }
  report(name, N, times);
  k.aggFree(t);
}

/** winAdd of the whole batch then winSlide, per repetition; reports both. */
function timeWindow(name: string, mask: number, panes: number, distinct: number, keysPtr: number): void {
  const w = k.winNew(0, 0, mask, panes, distinct);
  const times: number[] = [];
  const slides: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    times.push(time(() => k.winAdd(w, keysPtr, valuesPtr, N)));
    slides.push(time(() => k.winSlide(w)));
  }
  report(name, N, times);
  console.log(`${'  winSlide'.padEnd(48)} ${median(slides).toFixed(2).padStart(8)} ms per slide (${k.winSize(w)} keys)`);
  k.winFree(w);
}

// ---- reduce-by-key: u32 keys, f64 values
const masks: [string, number][] = [
  ['SUM', 2],
  ['COUNT', 1],
  ['SUM|COUNT', 3],
  ['MIN', 4],
  ['all five', 31],
];
for (const distinct of [1_000, 100_000, 1_000_000]) {
  const keysPtr = k.copyIn(randomKeys(N, distinct, distinct));
  for (const [mname, mask] of masks) {
    const name = `aggAdd u32/f64 ${mname} ${distinct} keys`;
    if (name.includes(filter)) timeAggAdd(name, 0, mask, distinct, keysPtr);
  }
  {
    const name = `aggAdd u32/f64 SUM ${distinct} keys, growing from 1K`;
    if (name.includes(filter)) {
      const times: number[] = [];
      for (let rep = 0; rep < Math.min(REPS, 7); rep++) {
        const t = k.aggNew(0, 0, 2, 1024);
        times.push(time(() => k.aggAdd(t, keysPtr, valuesPtr, N)));
        k.aggFree(t);
      }
      report(name, N, times);
    }
  }
  const win10 = `winAdd u32/f64 SUM 10 panes ${distinct} keys`;
  if (win10.includes(filter)) timeWindow(win10, 2, 10, distinct, keysPtr);
  const win60 = `winAdd u32/f64 all five 60 panes ${distinct} keys`;
  // 60 panes of all five aggregates are 3.4 KB per key: 1M keys would need 3.4 GB.
  if (win60.includes(filter) && distinct <= 100_000) timeWindow(win60, 31, 60, distinct, keysPtr);
  {
    const name = `partition u32/f64 P=16 ${distinct} keys`;
    if (name.includes(filter)) {
      const ko = k.allocArray(Uint32Array, N);
      const vo = k.allocArray(Float64Array, N);
      const off = k.allocArray(Uint32Array, 17);
      const times: number[] = [];
      for (let rep = 0; rep < REPS; rep++) times.push(time(() => k.partition(0, 0, keysPtr, valuesPtr, N, 16, ko, vo, off)));
      report(name, N, times);
      k.free(ko);
      k.free(vo);
      k.free(off);
    }
  }
  k.free(keysPtr);
}

// ---- u64 keys
{
  const name = 'aggAdd u64/f64 SUM 100000 keys';
  if (name.includes(filter)) {
    const r = prng(3);
    const keys = new BigUint64Array(N);
    for (let i = 0; i < N; i++) keys[i] = BigInt(Math.floor(r() * 100_000)) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn;
    const keysPtr = k.copyIn(keys);
    timeAggAdd(name, 1, 2, 100_000, keysPtr);
    k.free(keysPtr);
  }
}

// ---- strings: dictionary and hashing
{
  const name = 'dictEncode 100000 distinct words';
  const name2 = 'hashUtf8Batch 100000 distinct words';
  if (name.includes(filter) || name2.includes(filter)) {
    const r = prng(11);
    const enc = new TextEncoder();
    const words = Array.from({ length: 100_000 }, (_, i) => `w${i.toString(36)}-${Math.floor(r() * 1e6)}`);
    const parts: Uint8Array[] = [];
    const offsets = new Int32Array(N + 1);
    let at = 0;
    for (let i = 0; i < N; i++) {
      const b = enc.encode(words[Math.floor(r() * words.length)]!);
      parts.push(b);
      at += b.length;
      offsets[i + 1] = at;
    }
    const bytes = new Uint8Array(at);
    at = 0;
    for (const b of parts) {
      bytes.set(b, at);
      at += b.length;
    }
    const offPtr = k.copyIn(offsets);
    const dataPtr = k.copyIn(bytes);
    const out = k.allocArray(Uint32Array, N);
    if (name2.includes(filter)) {
      const times: number[] = [];
      for (let rep = 0; rep < REPS; rep++) times.push(time(() => k.hashUtf8Batch(offPtr, dataPtr, N, 0, out)));
      report(name2, N, times);
    }
    if (name.includes(filter)) {
      const d = k.dictNew(1024);
      const times: number[] = [];
      for (let rep = 0; rep < REPS; rep++) times.push(time(() => k.dictEncode(d, offPtr, dataPtr, N, out)));
      report(`${name} (first batch grows)`, N, times);
      k.dictFree(d);
    }
  }
}
console.log(`heapUsed ${(k.heapUsed() / 2 ** 20).toFixed(1)} MiB, memory ${(k.memory.buffer.byteLength / 2 ** 20).toFixed(0)} MiB`);
