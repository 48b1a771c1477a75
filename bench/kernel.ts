/**
 * The kernel under test, through its loader `src/kernels/wasm.ts` (build/release.wasm). Nothing
 * here implements a kernel: when the loader or the build is missing, the kernel cases are
 * reported as pending with the reason.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { KernelExports } from '../src/kernels/abi.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const LOADER = join(ROOT, 'src', 'kernels', 'wasm.ts');
export const RELEASE_WASM = join(ROOT, 'build', 'release.wasm');

/** abi.ts's const enums, as values. */
export const KeyKind = { U32: 0, U64: 1, F64: 2 } as const;
export const ValueKind = { F64: 0, I64: 1, I32: 2 } as const;
export const Agg = { COUNT: 1, SUM: 2, MIN: 4, MAX: 8, SUMSQ: 16 } as const;

/** Exports that every kernel case needs; a build lacking one is not the kernel of the ABI yet. */
const REQUIRED: (keyof KernelExports)[] = [
  'memory', 'alloc', 'free', 'aggNew', 'aggAdd', 'aggExport', 'aggClear', 'aggFree', 'aggSize',
  'dictNew', 'dictEncode', 'dictSize', 'dictBytesOf', 'dictLengthOf', 'dictFree',
  'winNew', 'winAdd', 'winSlide', 'winSize', 'winExport', 'winFree',
];

export type KernelLoad = { ok: true; kernels: KernelExports; loader: string } | { ok: false; reason: string };

export async function loadKernel(): Promise<KernelLoad> {
  if (!existsSync(LOADER)) return { ok: false, reason: 'src/kernels/wasm.ts (the kernel loader) does not exist yet' };
  if (!existsSync(RELEASE_WASM)) return { ok: false, reason: 'build/release.wasm is missing: run npm run build' };
  let mod: { loadKernels?: (opts?: { target?: 'release' | 'debug' }) => Promise<KernelExports> };
  try {
    mod = (await import(pathToFileURL(LOADER).href)) as typeof mod;
  } catch (e) {
    return { ok: false, reason: `src/kernels/wasm.ts failed to load: ${(e as Error).message}` };
  }
  if (typeof mod.loadKernels !== 'function') return { ok: false, reason: 'src/kernels/wasm.ts exports no loadKernels()' };
  let kernels: KernelExports;
  try {
    kernels = await mod.loadKernels({ target: 'release' });
  } catch (e) {
    return { ok: false, reason: `loadKernels({ target: 'release' }) failed: ${(e as Error).message}` };
  }
  const missing = REQUIRED.filter((name) => kernels[name] === undefined);
  if (missing.length > 0) return { ok: false, reason: `build/release.wasm lacks ABI exports: ${missing.join(', ')}` };
  return { ok: true, kernels, loader: 'src/kernels/wasm.ts loadKernels({ target: "release" })' };
}

/** Columns in the kernel's linear memory. Views are made afresh on every access (memory may grow). */
export class KernelMemory {
  private readonly owned: number[] = [];

  constructor(readonly k: KernelExports) {}

  alloc(bytes: number): number {
    const p = this.k.alloc(Math.max(bytes, 8));
    if (p === 0) throw new Error(`kernel alloc(${bytes}) failed: memory exhausted`);
    this.owned.push(p);
    return p;
  }

  /** Copies a typed array into fresh kernel memory; returns its pointer. */
  copyIn(src: Uint32Array | Int32Array | Float64Array | Uint8Array): number {
    const p = this.alloc(src.byteLength);
    new Uint8Array(this.k.memory.buffer, p, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    return p;
  }

  u32(ptr: number, n: number): Uint32Array {
    return new Uint32Array(this.k.memory.buffer, ptr, n);
  }

  f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.k.memory.buffer, ptr, n);
  }

  bytes(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.k.memory.buffer, ptr, n);
  }

  freeAll(): void {
    for (const p of this.owned) this.k.free(p);
    this.owned.length = 0;
  }
}

/** An aggregation table's entries as (key, sum) pairs, through aggExport. */
export function exportSums(mem: KernelMemory, table: number, size: number, win = false): Map<number, number> {
  const k = mem.k;
  const keysOut = mem.alloc(size * 4);
  const sumOut = mem.alloc(size * 8);
  const n = win ? k.winExport(table, keysOut, 0, sumOut, 0, 0, 0) : k.aggExport(table, keysOut, 0, sumOut, 0, 0, 0);
  const keys = mem.u32(keysOut, n);
  const sums = mem.f64(sumOut, n);
  const m = new Map<number, number>();
  for (let i = 0; i < n; i++) m.set(keys[i]!, sums[i]!);
  return m;
}
