/**
 * The low-level loader of the WebAssembly kernels (assembly/, ABI in ./abi.ts).
 *
 * One module is compiled per process and build; every thread instantiates it on the one shared
 * `WebAssembly.Memory` (SharedArrayBuffer-backed, so it can be posted to worker threads). The
 * allocator keeps its state in that memory, so the first instance on a fresh memory runs
 * `heapInit` and every further instance (`attachKernels`, in workers) just joins it.
 *
 * Views: a grown shared memory gives `memory.buffer` a new, longer SharedArrayBuffer; views
 * made before keep the old length (and a non-shared memory detaches them). The `u8`, `f64`, ...
 * getters re-create the views whenever `memory.buffer.byteLength` changed, so use them fresh
 * after any call that may allocate (any kernel call that adds keys, `alloc`, `copyIn`), never
 * keep one across such a call.
 */
import { readFileSync } from 'node:fs';
import type { KernelExports } from './abi.js';

export type KernelTarget = 'release' | 'debug';

/** Bytes of one WebAssembly page. */
export const WASM_PAGE = 65536;
/** The kernels' maximum memory (4 GiB), as declared by the module (asconfig.json). */
export const MAX_PAGES = 65536;
/** Default initial size of a memory the loader creates (4 MiB); the allocator grows it. */
export const DEFAULT_INITIAL_PAGES = 64;

// The allocator's root record (assembly/alloc.ts): below the static data, never in a data segment.
const ROOT = 512;
const ROOT_MAGIC = 0x534c4345;

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export interface TypedArrayConstructor<A extends TypedArray> {
  new (length: number): A;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): A;
  readonly BYTES_PER_ELEMENT: number;
}

/** The kernels of one instance, with helpers to move data in and out of their memory. */
export interface Kernels extends KernelExports {
  readonly target: KernelTarget;
  /** The compiled module (postable to worker threads, with `memory`, for `attachKernels`). */
  readonly module: WebAssembly.Module;
  /** Views over the whole memory, re-created whenever it has grown. Do not keep them across calls that may allocate. */
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  readonly i64: BigInt64Array;
  readonly u64: BigUint64Array;
  /** A fresh view of `length` elements at `ptr` (`ptr` aligned to the element size). */
  view<A extends TypedArray>(Ctor: TypedArrayConstructor<A>, ptr: number, length: number): A;
  /** Copies `data` into a new block (`alloc`); returns its address. Throws a RangeError when memory is exhausted. */
  copyIn(data: TypedArray): number;
  /** A copy, in JS memory, of `length` elements of type `Ctor` at `ptr`. */
  copyOut<A extends TypedArray>(ptr: number, length: number, Ctor: TypedArrayConstructor<A>): A;
  /** A new block for `length` elements of `Ctor` (not zeroed); returns its address. Throws a RangeError when memory is exhausted. */
  allocArray(Ctor: TypedArrayConstructor<TypedArray>, length: number): number;
}

export interface CompileOptions {
  /** 'release' (default: -O3, unchecked) or 'debug' (unoptimised, with checks). */
  target?: KernelTarget;
  /** A different .wasm file (for tools and tests); by default `build/<target>.wasm` of this package. */
  wasmUrl?: URL | string;
}

export interface LoadKernelsOptions extends CompileOptions {
  /** A memory to run on. A fresh one (no heap yet) gets its heap initialised; one already initialised is joined. */
  memory?: WebAssembly.Memory;
  /** A precompiled module (e.g. posted from another thread). */
  module?: WebAssembly.Module;
  /** Initial pages of a memory the loader creates (default 64 = 4 MiB). */
  initialPages?: number;
  /** Maximum pages of a memory the loader creates (default and limit 65536 = 4 GiB). */
  maximumPages?: number;
}

export interface AttachKernelsOptions extends CompileOptions {
  module?: WebAssembly.Module;
}

/** The build's .wasm file, resolved relative to this package (works from src/ and dist/). */
export function kernelWasmUrl(target: KernelTarget = 'release'): URL {
  return new URL(`../../build/${target}.wasm`, import.meta.url);
}

const compiled = new Map<string, WebAssembly.Module>();
const heapBases = new WeakMap<WebAssembly.Module, number>();

/** The compiled kernel module of a build: compiled once per process. */
export function compileKernels(options: CompileOptions | KernelTarget = {}): WebAssembly.Module {
  const opts = typeof options === 'string' ? { target: options } : options;
  const url = opts.wasmUrl !== undefined ? new URL(opts.wasmUrl, import.meta.url) : kernelWasmUrl(opts.target ?? 'release');
  const key = url.href;
  let module = compiled.get(key);
  if (module === undefined) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(url));
    } catch (error) {
      throw new Error(`The WebAssembly kernels are not built (${url.pathname}): run \`npm run build:wasm\``, { cause: error });
    }
    module = new WebAssembly.Module(bytes);
    compiled.set(key, module);
  }
  return module;
}

/** A new shared memory for the kernels. */
export function createKernelMemory(initialPages = DEFAULT_INITIAL_PAGES, maximumPages = MAX_PAGES): WebAssembly.Memory {
  if (!(maximumPages >= 2 && maximumPages <= MAX_PAGES)) throw new RangeError(`maximumPages must be in 2..${MAX_PAGES}, got ${maximumPages}`);
  const initial = Math.min(Math.max(2, initialPages), maximumPages);
  return new WebAssembly.Memory({ initial, maximum: maximumPages, shared: true });
}

/**
 * Loads the kernels: compiles the module (once per process), creates a shared memory or takes
 * the given one, instantiates, and initialises the heap if this memory has none yet.
 */
export async function loadKernels(options: LoadKernelsOptions = {}): Promise<Kernels> {
  const target = options.target ?? 'release';
  const module = options.module ?? compileKernels(options);
  const memory = options.memory ?? createKernelMemory(options.initialPages, options.maximumPages);
  return instantiateKernels(module, memory, { target, initHeap: true });
}

/**
 * One more instance on a memory whose heap is already initialised (worker threads): the heap
 * is joined, never re-initialised. Throws if the memory has no heap or belongs to another build.
 */
export async function attachKernels(memory: WebAssembly.Memory, options: AttachKernelsOptions | KernelTarget = {}): Promise<Kernels> {
  const opts = typeof options === 'string' ? { target: options } : options;
  const module = opts.module ?? compileKernels(opts);
  return instantiateKernels(module, memory, { target: opts.target ?? 'release', initHeap: false });
}

/** The `__heap_base` of a module, found once by instantiating it on a throwaway 1 MiB memory. */
function heapBaseOf(module: WebAssembly.Module): number {
  let base = heapBases.get(module);
  if (base === undefined) {
    const scratch = new WebAssembly.Memory({ initial: 16, maximum: 16, shared: true });
    const probe = new WebAssembly.Instance(module, { env: { memory: scratch, abort: () => undefined } });
    base = ((probe.exports.heapBase as () => number)() >>> 0);
    heapBases.set(module, base);
  }
  return base;
}

/**
 * Instantiates `module` on `memory` (synchronously: worker threads may call this at start-up).
 * With `initHeap`, a memory without a heap gets one; without it, the memory must have one.
 */
export function instantiateKernels(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  { target = 'release', initHeap = false }: { target?: KernelTarget; initHeap?: boolean } = {},
): Kernels {
  // Instantiating writes the module's static data, so refuse a memory whose heap another build
  // (with other static data) laid out: that would overwrite live blocks.
  const root = new Uint32Array(memory.buffer, ROOT, 3);
  const ready = Atomics.load(root, 0) === ROOT_MAGIC;
  const base = heapBaseOf(module);
  if (ready && Atomics.load(root, 2) !== base) {
    throw new Error(`This memory's kernel heap was laid out by another kernel build (heap base ${Atomics.load(root, 2)}, this build ${base}): instantiate the same build on it`);
  }
  if (!ready && !initHeap) {
    throw new Error('This memory has no kernel heap: load the kernels on it with loadKernels() first (on one thread), then attach');
  }

  const abort = (msgPtr: number, filePtr: number, line: number, column: number): never => {
    const message = readAsString(memory, msgPtr) ?? 'abort';
    const file = readAsString(memory, filePtr);
    throw new Error(`Sluice kernel abort: ${message}${file ? ` (${file}:${line}:${column})` : ''}`);
  };
  const instance = new WebAssembly.Instance(module, { env: { memory, abort } });
  const raw = instance.exports as unknown as Record<string, (...args: number[]) => number>;
  if (!ready) raw.heapInit!((raw.heapBase!() + 63) & ~63);
  return wrap(raw, memory, module, target);
}

/** An AssemblyScript string (UTF-16, byte length at ptr - 4) from memory, or undefined. */
function readAsString(memory: WebAssembly.Memory, ptr: number): string | undefined {
  ptr >>>= 0;
  const buffer = memory.buffer;
  if (ptr < 4 || ptr + 4 > buffer.byteLength) return undefined;
  const bytes = new DataView(buffer).getUint32(ptr - 4, true);
  if (bytes > 4096 || ptr + bytes > buffer.byteLength) return undefined;
  const units = new Uint16Array(buffer.slice(ptr, ptr + (bytes & ~1)));
  return String.fromCharCode(...units);
}

/** The names of Kernels' views over the whole memory. */
const VIEW_NAMES = ['u8', 'i32', 'u32', 'f64', 'i64', 'u64'] as const;

/** Kernels' views over one buffer, with that buffer's length. */
type Views = Pick<Kernels, (typeof VIEW_NAMES)[number]> & { readonly byteLength: number };

function makeViews(buffer: ArrayBufferLike): Views {
  return {
    byteLength: buffer.byteLength,
    u8: new Uint8Array(buffer),
    i32: new Int32Array(buffer),
    u32: new Uint32Array(buffer),
    f64: new Float64Array(buffer),
    i64: new BigInt64Array(buffer),
    u64: new BigUint64Array(buffer),
  };
}

// Exports that return a u32 (pointers, sizes, hashes): WASM hands i32 to JS, so >>> 0 them.
const U32_RESULTS = [
  'heapBase', 'alloc', 'heapUsed', 'hashU32', 'xxh32',
  'dictNew', 'dictSize', 'dictBytesOf', 'dictLengthOf',
  'aggNew', 'aggSize', 'aggExport',
  'winNew', 'winSize', 'winExport',
] as const;
const VOID_EXPORTS = [
  'heapInit', 'free', 'hashU32Batch', 'hashUtf8Batch',
  'dictEncode', 'dictFree',
  'aggAdd', 'aggMerge', 'aggClear', 'aggFree',
  'winAdd', 'winSlide', 'winFree',
  'partition',
] as const;

function wrap(raw: Record<string, (...args: number[]) => number>, memory: WebAssembly.Memory, module: WebAssembly.Module, target: KernelTarget): Kernels {
  let views = makeViews(memory.buffer);
  const current = (): Views => {
    const buffer = memory.buffer;
    if (buffer.byteLength !== views.byteLength) views = makeViews(buffer);
    return views;
  };
  const exported = (name: string): ((...args: number[]) => number) => {
    const f = raw[name];
    if (typeof f !== 'function') throw new Error(`The kernel module lacks the export ${name}: rebuild it (npm run build:wasm)`);
    return f;
  };
  const fns: Record<string, (...args: number[]) => number | void> = {};
  for (const name of U32_RESULTS) {
    const f = exported(name);
    fns[name] = (...args: number[]) => f(...args) >>> 0;
  }
  for (const name of VOID_EXPORTS) fns[name] = exported(name);
  const alloc = fns.alloc as (size: number) => number;
  const allocOrThrow = (bytes: number): number => {
    const ptr = alloc(bytes);
    if (ptr === 0) throw new RangeError(`The kernels' memory is exhausted (allocating ${bytes} bytes; maximum 4 GiB)`);
    return ptr;
  };
  const kernels = {
    ...fns,
    memory,
    module,
    target,
    view<A extends TypedArray>(Ctor: TypedArrayConstructor<A>, ptr: number, length: number): A {
      return new Ctor(memory.buffer, ptr >>> 0, length);
    },
    copyIn(data: TypedArray): number {
      const ptr = allocOrThrow(data.byteLength);
      new Uint8Array(memory.buffer, ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return ptr;
    },
    copyOut<A extends TypedArray>(ptr: number, length: number, Ctor: TypedArrayConstructor<A>): A {
      const out = new Ctor(length);
      const bytes = length * Ctor.BYTES_PER_ELEMENT;
      new Uint8Array(out.buffer, out.byteOffset, bytes).set(new Uint8Array(memory.buffer, ptr >>> 0, bytes));
      return out;
    },
    allocArray(Ctor: TypedArrayConstructor<TypedArray>, length: number): number {
      return allocOrThrow(length * Ctor.BYTES_PER_ELEMENT);
    },
  };
  // u8, i32, …: getters of the current views, as object-literal getters would be (enumerable, configurable).
  for (const name of VIEW_NAMES) Object.defineProperty(kernels, name, { get: () => current()[name], enumerable: true, configurable: true });
  return kernels as unknown as Kernels;
}
