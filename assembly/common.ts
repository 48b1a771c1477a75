// Constants and small helpers shared by the table kernels (reduce-by-key, window, partition).

import { fmix32, f64KeyBits, hash64 } from './hash';

// Key kinds (src/kernels/abi.ts KeyKind).
// @ts-ignore: decorator
@inline export const KEY_U32: u32 = 0;
// @ts-ignore: decorator
@inline export const KEY_U64: u32 = 1;
// @ts-ignore: decorator
@inline export const KEY_F64: u32 = 2;

// Value kinds (ValueKind).
// @ts-ignore: decorator
@inline export const VAL_F64: u32 = 0;
// @ts-ignore: decorator
@inline export const VAL_I64: u32 = 1;
// @ts-ignore: decorator
@inline export const VAL_I32: u32 = 2;

// Aggregate bits (Agg).
// @ts-ignore: decorator
@inline export const COUNT: u32 = 1;
// @ts-ignore: decorator
@inline export const SUM: u32 = 2;
// @ts-ignore: decorator
@inline export const MIN: u32 = 4;
// @ts-ignore: decorator
@inline export const MAX: u32 = 8;
// @ts-ignore: decorator
@inline export const SUMSQ: u32 = 16;
// @ts-ignore: decorator
@inline export const ALL: u32 = 31;

// @ts-ignore: decorator
@inline export const I64_MAX: i64 = 0x7fffffffffffffff;
// @ts-ignore: decorator
@inline export const I64_MIN: i64 = 0x8000000000000000;

// Handle magics: the header word that marks a live structure of each kind (cleared on free), so
// a freed, foreign or wild handle traps with a message instead of corrupting memory.
// @ts-ignore: decorator
@inline export const AGG_MAGIC: u32 = 0x41474731; // "AGG1"
// @ts-ignore: decorator
@inline export const WIN_MAGIC: u32 = 0x57494e31; // "WIN1"
// @ts-ignore: decorator
@inline export const DICT_MAGIC: u32 = 0x44494331; // "DIC1"

/**
 * Debug build only (KERNEL_CHECKS, asconfig.json): traps when [ptr, ptr + bytes) is not inside
 * the memory or starts in the reserved low 1 KiB (null and small pointers). The release build
 * relies on WASM's own bounds checks, which catch reads and writes past the memory's end.
 */
// @ts-ignore: decorator
@inline
export function checkRange(ptr: usize, bytes: u64): void {
  if (KERNEL_CHECKS) {
    if (bytes != 0) {
      assert(ptr >= 1024, 'a column pointer is null or in the reserved low memory');
      assert(<u64>ptr + bytes <= (<u64>memory.size() << 16), 'a column extends past the end of memory');
    }
  }
}

/** The smallest power of two >= x (x <= 2^31). */
// @ts-ignore: decorator
@inline
export function nextPow2(x: u32): u32 {
  return x <= 1 ? 1 : <u32>1 << (32 - clz<u32>(x - 1));
}

/** Slot arrays up to this size are kept sparse (see growAtOf). */
// @ts-ignore: decorator
@inline export const SPARSE_BYTES: u64 = 1 << 20;

/**
 * The size at which an open-addressing table of `cap` slots of 2^shift bytes doubles: its
 * maximum load factor, which depends on the table's size (docs/kernels.md, "Load factor").
 *
 *   * Up to SPARSE_BYTES (1 MiB, so L2-resident) the table doubles at 1/4 full. A probe there
 *     costs no cache miss; what costs is the branch that ends the probe: at load a about a/2 of
 *     the lookups need a second slot, a misprediction each. Measured on 1M rows, u32 keys, SUM,
 *     1000 keys: 116M rows/s at load 0.49, 186M at 0.24, 261M at 0.12. The memory is small.
 *   * Above it, where every row is a cache miss, it doubles at 3/4: linear probing then costs
 *     ~2.5 slots per hit and ~8.5 per miss, but entries are 16-64 bytes in 64-byte lines, so a
 *     probe run stays within one or two lines, while a sparser table only spreads the same
 *     misses over more memory (measured: 1M keys, load 0.48 -> 31M rows/s, 0.24 -> 30.6M).
 */
// @ts-ignore: decorator
@inline
export function growAtOf(cap: u32, shift: u32): u32 {
  return (<u64>cap << shift) <= SPARSE_BYTES ? cap >>> 2 : cap - (cap >>> 2);
}

/** Capacity (a power of two, >= 16) that holds `hint` keys without growing, for slots of 2^shift bytes. */
export function capacityFor(hint: i32, shift: u32): u32 {
  const h = <u32>max<i32>(hint, 1);
  let cap: u32 = 16;
  while (growAtOf(cap, shift) < h && cap < (1 << 30)) cap <<= 1;
  return cap;
}

/** Key bytes of an input key column. */
// @ts-ignore: decorator
@inline
export function keyBytes(keyKind: u32): usize {
  return keyKind == KEY_U32 ? 4 : 8;
}

/** Value bytes of an input value column. */
// @ts-ignore: decorator
@inline
export function valueBytes(valueKind: u32): usize {
  return valueKind == VAL_I32 ? 4 : 8;
}

/** Row i's key as stored: u32 zero-extended, u64 as is, f64 as normalised bits. KIN: u32 | u64 | f64. */
// @ts-ignore: decorator
@inline
export function keyAt<KIN>(keys: usize, i: usize): u64 {
  if (sizeof<KIN>() == 4) return <u64>load<u32>(keys + (i << 2));
  else if (isFloat<KIN>()) return f64KeyBits(load<f64>(keys + (i << 3)));
  else return load<u64>(keys + (i << 3));
}

/** The 32-bit hash of a stored key. */
// @ts-ignore: decorator
@inline
export function hashOf<KIN>(k: u64): u32 {
  if (sizeof<KIN>() == 4) return fmix32(<u32>k);
  else return hash64(k);
}

/** Hash of a stored key by key kind (for the non-specialised paths). */
// @ts-ignore: decorator
@inline
export function hashByKind(keyKind: u32, k: u64): u32 {
  return keyKind == KEY_U32 ? fmix32(<u32>k) : hash64(k);
}

/** Row i's value widened to i64 (integer value kinds). VIN: i64 | i32. */
// @ts-ignore: decorator
@inline
export function intAt<VIN>(vals: usize, i: usize): i64 {
  if (sizeof<VIN>() == 4) return <i64>load<i32>(vals + (i << 2));
  else return load<i64>(vals + (i << 3));
}
