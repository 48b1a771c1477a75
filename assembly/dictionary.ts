// String dictionary: UTF-8 strings -> dense u32 ids (0, 1, 2, ... in first-seen order), kept
// across batches. Input is an Arrow Utf8 column: i32 offsets[n + 1] and the bytes they index.
//
// Layout (all blocks from the shared allocator):
//   header (64 bytes)
//     +0  u32 slots      open-addressing table, `cap` slots of { u32 hash, u32 id + 1 (0 = empty),
//                        u32 arena offset, u32 byte length }
//     +4  u32 cap        power of two
//     +8  u32 size       number of ids
//     +12 u32 growAt     size at which the slot table doubles (cap / 2)
//     +16 u32 entries    per id { u32 arena offset, u32 byte length }
//     +20 u32 entryCap
//     +24 u32 arena      the strings' bytes, back to back, in id order
//     +28 u32 arenaUsed
//     +32 u32 arenaCap
//     +36 u32 magic      DICT_MAGIC while live
// A lookup hashes the bytes (xxHash32), probes linearly comparing the stored 32-bit hash first,
// then the length, then the bytes; growth rehashes from the stored hashes (no bytes touched).
// A slot carries the string's arena offset and length, so a lookup reads one slot and the
// string's bytes (two cache lines), never the per-id entries, which only dictBytesOf and
// dictLengthOf read. The slot table stays at most half full (32+ bytes per string; a quarter
// while it is under 1 MiB), which keeps misses (new strings) to ~2.5 probes.

import { allocOrTrap, free } from './alloc';
import { xxh32Inline } from './hash';
import { DICT_MAGIC, SPARSE_BYTES, checkRange } from './common';

// @ts-ignore: decorator
@inline const SEED: u32 = 0;

/** Size at which the slot table doubles: at 1/4 full while it is <= 1 MiB (in cache, where probe
 *  mispredictions are the cost), at 1/2 above (see growAtOf in common.ts). */
// @ts-ignore: decorator
@inline
function slotsGrowAt(cap: u32): u32 {
  return (<u64>cap << 4) <= SPARSE_BYTES ? cap >>> 2 : cap >>> 1;
}

export function dictNew(capacityHint: i32): usize {
  const hint = <u32>min<i32>(max<i32>(capacityHint, 8), 1 << 24);
  let cap: u32 = 16;
  while (slotsGrowAt(cap) < hint) cap <<= 1;
  const d = allocOrTrap(64);
  memory.fill(d, 0, 64);
  const slots = allocOrTrap(<usize>cap << 4);
  memory.fill(slots, 0, <usize>cap << 4);
  store<u32>(d, <u32>slots, 0);
  store<u32>(d, cap, 4);
  store<u32>(d, 0, 8);
  store<u32>(d, slotsGrowAt(cap), 12);
  store<u32>(d, <u32>allocOrTrap(<usize>hint << 3), 16);
  store<u32>(d, hint, 20);
  const arenaCap = hint * 16;
  store<u32>(d, <u32>allocOrTrap(arenaCap), 24);
  store<u32>(d, 0, 28);
  store<u32>(d, arenaCap, 32);
  store<u32>(d, DICT_MAGIC, 36);
  return d;
}

export function dictFree(d: usize): void {
  if (d == 0) return;
  assert(load<u32>(d, 36) == DICT_MAGIC, 'dictFree: not a live dictionary');
  store<u32>(d, 0, 36);
  free(<usize>load<u32>(d, 0));
  free(<usize>load<u32>(d, 16));
  free(<usize>load<u32>(d, 24));
  free(d);
}

export function dictSize(d: usize): u32 {
  assert(d != 0 && load<u32>(d, 36) == DICT_MAGIC, 'dictSize: not a live dictionary');
  return load<u32>(d, 8);
}

export function dictBytesOf(d: usize, id: u32): usize {
  assert(d != 0 && load<u32>(d, 36) == DICT_MAGIC, 'dictBytesOf: not a live dictionary');
  assert(id < load<u32>(d, 8), 'dictBytesOf: no such id');
  return <usize>load<u32>(d, 24) + <usize>load<u32>(<usize>load<u32>(d, 16) + (<usize>id << 3));
}

export function dictLengthOf(d: usize, id: u32): u32 {
  assert(d != 0 && load<u32>(d, 36) == DICT_MAGIC, 'dictLengthOf: not a live dictionary');
  assert(id < load<u32>(d, 8), 'dictLengthOf: no such id');
  return load<u32>(<usize>load<u32>(d, 16) + (<usize>id << 3), 4);
}

/**
 * Whether `len` bytes at a and b are equal. Short strings (the common case for keys) compare
 * with two overlapping loads and no loop: 8..16 bytes as the first and last 8, 4..7 as the
 * first and last 4, 1..3 as the first, middle and last byte.
 */
// @ts-ignore: decorator
@inline
function bytesEqual(a: usize, b: usize, len: usize): bool {
  if (len >= 8) {
    for (let i: usize = 0; i + 16 < len; i += 8) {
      if (load<u64>(a + i) != load<u64>(b + i)) return false;
    }
    const tail = len - 8;
    const head = len > 16 ? len - 16 : 0;
    return (load<u64>(a + head) == load<u64>(b + head)) & (load<u64>(a + tail) == load<u64>(b + tail));
  }
  if (len >= 4) return (load<u32>(a) == load<u32>(b)) & (load<u32>(a + len - 4) == load<u32>(b + len - 4));
  if (len == 0) return true;
  const mid = len >>> 1;
  return (load<u8>(a) == load<u8>(b)) & (load<u8>(a + mid) == load<u8>(b + mid)) & (load<u8>(a + len - 1) == load<u8>(b + len - 1));
}

/** Doubles the slot table, reinserting by the stored hashes. */
// @ts-ignore: decorator
@inline
function growSlots(d: usize): void {
  const oldSlots = <usize>load<u32>(d, 0);
  const oldCap = load<u32>(d, 4);
  const cap = oldCap << 1;
  const mask = cap - 1;
  if ((<u64>cap << 4) > 0xe0000000) abort('dictionary exceeds memory');
  const slots = allocOrTrap(<usize>cap << 4);
  memory.fill(slots, 0, <usize>cap << 4);
  for (let i: u32 = 0; i < oldCap; i++) {
    const s = oldSlots + (<usize>i << 4);
    const w = load<u64>(s);
    if (<u32>(w >>> 32) == 0) continue;
    let j = <u32>w & mask;
    while (load<u32>(slots + (<usize>j << 4), 4) != 0) j = (j + 1) & mask;
    const dst = slots + (<usize>j << 4);
    store<u64>(dst, w);
    store<u64>(dst, load<u64>(s, 8), 8);
  }
  free(oldSlots);
  store<u32>(d, <u32>slots, 0);
  store<u32>(d, cap, 4);
  store<u32>(d, slotsGrowAt(cap), 12);
}

/** Appends a new entry for `len` bytes at `src`; returns its id. */
// @ts-ignore: decorator
@inline
function appendEntry(d: usize, src: usize, len: u32): u32 {
  const id = load<u32>(d, 8);
  let entryCap = load<u32>(d, 20);
  if (id == entryCap) {
    const old = <usize>load<u32>(d, 16);
    entryCap <<= 1;
    const entries = allocOrTrap(<usize>entryCap << 3);
    memory.copy(entries, old, <usize>id << 3);
    free(old);
    store<u32>(d, <u32>entries, 16);
    store<u32>(d, entryCap, 20);
  }
  const used = load<u32>(d, 28);
  let arenaCap = load<u32>(d, 32);
  if (<u64>used + <u64>len > <u64>arenaCap) {
    let cap = <u64>arenaCap << 1;
    if (cap < <u64>used + <u64>len) cap = <u64>used + <u64>len;
    if (cap > 0xe0000000) cap = 0xe0000000;
    if (<u64>used + <u64>len > cap) abort('dictionary arena exceeds 3.5 GiB');
    const old = <usize>load<u32>(d, 24);
    const arena = allocOrTrap(<usize>cap);
    memory.copy(arena, old, used);
    free(old);
    arenaCap = <u32>cap;
    store<u32>(d, <u32>arena, 24);
    store<u32>(d, arenaCap, 32);
  }
  memory.copy(<usize>load<u32>(d, 24) + used, src, len);
  const e = <usize>load<u32>(d, 16) + (<usize>id << 3);
  store<u32>(e, used, 0);
  store<u32>(e, len, 4);
  store<u32>(d, used + len, 28);
  store<u32>(d, id + 1, 8);
  return id;
}

export function dictEncode(d: usize, offsetsPtr: usize, dataPtr: usize, n: i32, idsOut: usize): void {
  assert(d != 0 && load<u32>(d, 36) == DICT_MAGIC, 'dictEncode: not a live dictionary');
  if (n <= 0) return;
  checkRange(offsetsPtr, (<u64>n + 1) << 2);
  checkRange(idsOut, <u64>n << 2);
  if (KERNEL_CHECKS) {
    const lo = load<i32>(offsetsPtr), hi = load<i32>(offsetsPtr + (<usize>n << 2));
    assert(lo >= 0 && hi >= lo, 'dictEncode: offsets must be non-negative and non-decreasing');
    checkRange(dataPtr + <usize>lo, <u64>(hi - lo));
  }
  let slots = <usize>load<u32>(d, 0);
  let mask = load<u32>(d, 4) - 1;
  let arena = <usize>load<u32>(d, 24);
  let start = load<i32>(offsetsPtr);
  for (let i = 0; i < n; i++) {
    const end = load<i32>(offsetsPtr + ((<usize>i + 1) << 2));
    const src = dataPtr + <usize>start;
    const len = <u32>(end - start);
    start = end;
    const h = xxh32Inline(src, len, SEED);
    let j = h & mask;
    let id: u32 = 0;
    while (true) {
      const slot = slots + (<usize>j << 4);
      const w = load<u64>(slot);
      const id1 = <u32>(w >>> 32);
      if (id1 == 0) {
        // A new string.
        if (load<u32>(d, 8) >= load<u32>(d, 12)) {
          growSlots(d);
          slots = <usize>load<u32>(d, 0);
          mask = load<u32>(d, 4) - 1;
          j = h & mask;
          while (load<u32>(slots + (<usize>j << 4), 4) != 0) j = (j + 1) & mask;
        }
        id = appendEntry(d, src, len);
        const at = slots + (<usize>j << 4);
        store<u64>(at, (<u64>(id + 1) << 32) | <u64>h);
        store<u32>(at, load<u32>(<usize>load<u32>(d, 16) + (<usize>id << 3)), 8);
        store<u32>(at, len, 12);
        arena = <usize>load<u32>(d, 24);
        break;
      }
      if ((<u32>w == h) & (load<u32>(slot, 12) == len)) {
        if (bytesEqual(arena + <usize>load<u32>(slot, 8), src, len)) {
          id = id1 - 1;
          break;
        }
      }
      j = (j + 1) & mask;
    }
    store<u32>(idsOut + (<usize>i << 2), id);
  }
}
