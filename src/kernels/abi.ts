/**
 * The ABI of the WebAssembly kernels (assembly/index.ts), types only: the one contract between
 * the AssemblyScript side and the TypeScript side. All pointers are byte offsets into the one
 * shared `WebAssembly.Memory` that every thread instantiates the module with; all lengths are
 * element counts. Kernels allocate only through the shared allocator (`alloc`/`free`), whose
 * state lives in that memory behind a lock, so any thread may call any kernel on any table —
 * but one table must only be used by one thread at a time (the scheduler guarantees that).
 */

/** Key column types. f64 keys are normalised (−0 → +0, one NaN) so equality is SameValueZero, as in a JS Map. */
export const enum KeyKind {
  U32 = 0,
  /** i64, u64, and f64 keys by their (normalised) bit pattern. */
  U64 = 1,
  F64 = 2,
}

/** Value column types. Integer values are summed exactly in i64. */
export const enum ValueKind {
  F64 = 0,
  I64 = 1,
  I32 = 2,
}

/** Aggregates a table keeps, as a bit mask. mean = SUM|COUNT; stats = all five. */
export const enum Agg {
  COUNT = 1,
  SUM = 2,
  MIN = 4,
  MAX = 8,
  SUMSQ = 16,
}

export interface KernelExports {
  readonly memory: WebAssembly.Memory;

  // ---- shared allocator (assembly/alloc.ts)
  /** First byte after the module's static data: where the host may start the heap. */
  heapBase(): number;
  /** Sets up the allocator's control block at `start` (64-byte aligned). Once, by one thread. */
  heapInit(start: number): void;
  /** A 64-byte-aligned block of at least `size` bytes (grows memory if needed; not zeroed), or 0 when memory is exhausted. */
  alloc(size: number): number;
  free(ptr: number): void;
  /** Bytes currently allocated (for tests and metrics). */
  heapUsed(): number;

  // ---- hashing (assembly/hash.ts)
  /** murmur3 fmix32. */
  hashU32(x: number): number;
  hashU32Batch(keysPtr: number, n: number, outPtr: number): void;
  /** xxHash32 of `len` bytes at `ptr`. */
  xxh32(ptr: number, len: number, seed: number): number;
  /** xxHash32 of each string of an Arrow Utf8 column (i32 offsets[n + 1], bytes). */
  hashUtf8Batch(offsetsPtr: number, dataPtr: number, n: number, seed: number, outPtr: number): void;

  // ---- string dictionary (assembly/dictionary.ts): strings → dense u32 ids, kept across batches
  dictNew(capacityHint: number): number;
  /** Writes the id of each string of an Arrow Utf8 column to idsOut; new strings get the next ids. */
  dictEncode(dict: number, offsetsPtr: number, dataPtr: number, n: number, idsOut: number): void;
  dictSize(dict: number): number;
  /** Pointer to the UTF-8 bytes of entry `id`, and their length. The pointer is valid until the next dictEncode on this dictionary (its arena may move). */
  dictBytesOf(dict: number, id: number): number;
  dictLengthOf(dict: number, id: number): number;
  dictFree(dict: number): void;

  // ---- hash aggregation (assembly/reduce-by-key.ts): open addressing, linear probing, power-of-two capacity
  aggNew(keyKind: KeyKind, valueKind: ValueKind, aggMask: number, capacityHint: number): number;
  /** Folds n (key, value) rows into the table; `valuesPtr` is ignored when the mask is COUNT only. */
  aggAdd(table: number, keysPtr: number, valuesPtr: number, n: number): void;
  /** Folds every entry of `src` into `dst` (same kinds and mask). */
  aggMerge(dst: number, src: number): void;
  aggSize(table: number): number;
  /**
   * Writes every entry (in slot order) to the output columns, skipping any given as 0: keys as
   * u32 or u64 per key kind (f64 keys as f64); count as f64; sum as f64, or i64 for integer
   * values; min/max as f64 (i64 for integer values); sumsq as f64. Columns of aggregates the
   * table was not created with are not written. Returns the entry count.
   */
  aggExport(table: number, keysOut: number, countOut: number, sumOut: number, minOut: number, maxOut: number, sumsqOut: number): number;
  /** Empties the table, keeping its capacity. */
  aggClear(table: number): void;
  aggFree(table: number): void;

  // ---- pane-based sliding windows (assembly/window.ts)
  /** A window of `numPanes` panes; the current pane is the newest. */
  winNew(keyKind: KeyKind, valueKind: ValueKind, aggMask: number, numPanes: number, capacityHint: number): number;
  /** Adds rows to the current pane; `valuesPtr` is ignored when the mask is COUNT only. */
  winAdd(win: number, keysPtr: number, valuesPtr: number, n: number): void;
  /** Starts a new, empty current pane; the oldest pane leaves the window. */
  winSlide(win: number): void;
  /** Keys with at least one value in the window. */
  winSize(win: number): number;
  /** Like aggExport (in no particular order), over the whole window, for keys with at least one value in it. */
  winExport(win: number, keysOut: number, countOut: number, sumOut: number, minOut: number, maxOut: number, sumsqOut: number): number;
  winFree(win: number): void;

  // ---- partitioning (assembly/partition.ts): p = (fmix32(key) * P) >>> 32 for u32 keys (u64: fmix64 folded), branch-free
  /**
   * Scatters n rows into P contiguous partitions of keysOut/valuesOut (same element sizes as
   * the inputs) and writes the P + 1 partition start offsets to offsetsOut (u32). Rows keep their
   * input order within a partition; with `valuesPtr` or `valuesOut` 0 only keys are scattered.
   */
  partition(keyKind: KeyKind, valueKind: ValueKind, keysPtr: number, valuesPtr: number, n: number, numPartitions: number, keysOut: number, valuesOut: number, offsetsOut: number): void;
}
