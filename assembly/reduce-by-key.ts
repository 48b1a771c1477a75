// Hash aggregation (reduce-by-key): open addressing, linear probing, power-of-two capacity.
//
// Table header (64 bytes, then the row loop's scratch):
//   +0  u32 keyKind      +4  u32 valueKind    +8  u32 mask (as requested)
//   +12 u32 variant      the stored aggregate set: COUNT, SUM, MIN, MAX, SUM|COUNT, or ALL
//   +16 u32 slots        +20 u32 cap          +24 u32 size        +28 u32 growAt
//   +32 u32 gen          generation: a slot is occupied iff its gen word equals this; below
//                        2^24, so the gen word's top byte is always 0 (see the touch stores)
//   +36 u32 entryShift   log2 of the entry size
//   +40 u32 (unused)
//   +44 u32 magic        AGG_MAGIC while the table is live
// then the row loop's scratch for the block of rows being added: BLOCK u64 probe words, then
// BLOCK u32 home-entry addresses (per table, so threads aggregating into their own tables
// never share it).
//
// Entry (one per slot, a power of two in size, so with the 64-byte-aligned slot array no
// entry straddles a cache line: a probe that hits touches one line):
//   u32 keys:      +0 u32 key, +4 u32 gen, then the aggregates
//   u64/f64 keys:  +0 u64 key, +8 u32 gen, +12 pad, then the aggregates
//   aggregates, 8 bytes each, in this order when stored: count (u64), sum (f64 | i64),
//   min (f64 | i64), max (f64 | i64), sumsq (f64)
//   sizes: u32 keys 16 (one aggregate), 32 (SUM|COUNT), 64 (ALL); 8-byte keys 32, 32, 64.
//
// A mask that is not one of the specialised sets is stored as the smallest one containing it
// (SUMSQ alone or MIN|MAX as ALL), so every row loop is a straight-line specialisation with no
// mask branches. The gen word makes aggClear O(1): it bumps the generation, and every slot of
// an older generation reads as empty.

import { allocOrTrap, free } from './alloc';
import {
  AGG_MAGIC, ALL, COUNT, I64_MAX, I64_MIN, KEY_F64, KEY_U32, KEY_U64, MAX, MIN, SUM, SUMSQ, VAL_F64, VAL_I32, VAL_I64,
  SPARSE_BYTES, capacityFor, checkRange, keyBytes, valueBytes, growAtOf, hashByKind, hashOf, intAt, keyAt,
} from './common';

// ---- layout helpers (all constant-folded in the specialised loops)

/** The stored aggregate set for a requested mask. */
export function variantOf(mask: u32): u32 {
  if (mask == COUNT || mask == SUM || mask == MIN || mask == MAX || mask == (SUM | COUNT)) return mask;
  if ((mask & ~(SUM | COUNT)) == 0) return SUM | COUNT;
  return ALL;
}

// @ts-ignore: decorator
@inline
function headerBytes(keySize: usize): usize {
  return keySize == 4 ? 8 : 16;
}

// @ts-ignore: decorator
@inline
export function offCount(h: usize, v: u32): usize {
  return h;
}
// @ts-ignore: decorator
@inline
export function offSum(h: usize, v: u32): usize {
  return h + (v & COUNT ? 8 : 0);
}
// @ts-ignore: decorator
@inline
export function offMin(h: usize, v: u32): usize {
  return offSum(h, v) + (v & SUM ? 8 : 0);
}
// @ts-ignore: decorator
@inline
export function offMax(h: usize, v: u32): usize {
  return offMin(h, v) + (v & MIN ? 8 : 0);
}
// @ts-ignore: decorator
@inline
export function offSumsq(h: usize, v: u32): usize {
  return offMax(h, v) + (v & MAX ? 8 : 0);
}
// @ts-ignore: decorator
@inline
function entryShiftOf(h: usize, v: u32): u32 {
  const bytes = offSumsq(h, v) + (v & SUMSQ ? 8 : 0);
  return bytes <= 16 ? 4 : bytes <= 32 ? 5 : 6;
}

/**
 * Bytes of a slot array of `cap` slots: one spare entry past the last slot, never occupied (its
 * gen word stays 0), lets the sparse row loop read slot j + 1 without wrapping j; a key whose
 * run wraps to slot 0 is still found by the probe loop, which wraps.
 */
// @ts-ignore: decorator
@inline
function slotBytes(cap: u32, shift: u32): usize {
  return (<usize>cap + 1) << shift;
}

// ---- entries

/** Writes the identity of every stored aggregate into entry e. */
// @ts-ignore: decorator
@inline
function initAggs(e: usize, h: usize, v: u32, intValues: bool): void {
  if (v & COUNT) store<u64>(e + offCount(h, v), 0);
  if (intValues) {
    if (v & SUM) store<i64>(e + offSum(h, v), 0);
    if (v & MIN) store<i64>(e + offMin(h, v), I64_MAX);
    if (v & MAX) store<i64>(e + offMax(h, v), I64_MIN);
  } else {
    // The sum starts at -0, as a JS fold `(a, b) => a + b` from -0 does: the sum of [-0] is -0.
    if (v & SUM) store<f64>(e + offSum(h, v), -0.0);
    if (v & MIN) store<f64>(e + offMin(h, v), Infinity);
    if (v & MAX) store<f64>(e + offMax(h, v), -Infinity);
  }
  if (v & SUMSQ) store<f64>(e + offSumsq(h, v), -0.0);
}

/** Folds one f64 value into entry e. f64 min/max are WASM's: NaN wins, -0 < +0 (Math.min/max). */
// @ts-ignore: decorator
@inline
function foldF64(e: usize, h: usize, v: u32, x: f64): void {
  if (v & COUNT) store<u64>(e + offCount(h, v), load<u64>(e + offCount(h, v)) + 1);
  if (v & SUM) store<f64>(e + offSum(h, v), load<f64>(e + offSum(h, v)) + x);
  if (v & MIN) store<f64>(e + offMin(h, v), min<f64>(load<f64>(e + offMin(h, v)), x));
  if (v & MAX) store<f64>(e + offMax(h, v), max<f64>(load<f64>(e + offMax(h, v)), x));
  if (v & SUMSQ) store<f64>(e + offSumsq(h, v), load<f64>(e + offSumsq(h, v)) + x * x);
}

/** Folds one integer value into entry e: exact (wrapping) i64 sum, i64 min/max, f64 sum of squares. */
// @ts-ignore: decorator
@inline
function foldInt(e: usize, h: usize, v: u32, x: i64): void {
  if (v & COUNT) store<u64>(e + offCount(h, v), load<u64>(e + offCount(h, v)) + 1);
  if (v & SUM) store<i64>(e + offSum(h, v), load<i64>(e + offSum(h, v)) + x);
  if (v & MIN) {
    const m = load<i64>(e + offMin(h, v));
    store<i64>(e + offMin(h, v), select<i64>(x, m, x < m));
  }
  if (v & MAX) {
    const m = load<i64>(e + offMax(h, v));
    store<i64>(e + offMax(h, v), select<i64>(x, m, x > m));
  }
  if (v & SUMSQ) {
    const f = <f64>x;
    store<f64>(e + offSumsq(h, v), load<f64>(e + offSumsq(h, v)) + f * f);
  }
}

/** Combines entry s (of another table of the same layout) into entry d. */
// @ts-ignore: decorator
@inline
function combine(d: usize, s: usize, h: usize, v: u32, intValues: bool): void {
  if (v & COUNT) store<u64>(d + offCount(h, v), load<u64>(d + offCount(h, v)) + load<u64>(s + offCount(h, v)));
  if (intValues) {
    if (v & SUM) store<i64>(d + offSum(h, v), load<i64>(d + offSum(h, v)) + load<i64>(s + offSum(h, v)));
    if (v & MIN) {
      const a = load<i64>(d + offMin(h, v));
      const b = load<i64>(s + offMin(h, v));
      store<i64>(d + offMin(h, v), select<i64>(b, a, b < a));
    }
    if (v & MAX) {
      const a = load<i64>(d + offMax(h, v));
      const b = load<i64>(s + offMax(h, v));
      store<i64>(d + offMax(h, v), select<i64>(b, a, b > a));
    }
  } else {
    if (v & SUM) store<f64>(d + offSum(h, v), load<f64>(d + offSum(h, v)) + load<f64>(s + offSum(h, v)));
    if (v & MIN) store<f64>(d + offMin(h, v), min<f64>(load<f64>(d + offMin(h, v)), load<f64>(s + offMin(h, v))));
    if (v & MAX) store<f64>(d + offMax(h, v), max<f64>(load<f64>(d + offMax(h, v)), load<f64>(s + offMax(h, v))));
  }
  if (v & SUMSQ) store<f64>(d + offSumsq(h, v), load<f64>(d + offSumsq(h, v)) + load<f64>(s + offSumsq(h, v)));
}

// ---- table

/** Generations stay below 2^24, so the top byte of every gen word is 0 (see the touch stores). */
// @ts-ignore: decorator
@inline const GEN_LIMIT: u32 = 1 << 24;

export function aggNew(keyKind: u32, valueKind: u32, aggMask: u32, capacityHint: i32): usize {
  assert(keyKind <= KEY_F64, 'aggNew: bad key kind');
  assert(valueKind <= VAL_I32, 'aggNew: bad value kind');
  assert(aggMask != 0 && aggMask <= ALL, 'aggNew: bad aggregate mask');
  const v = variantOf(aggMask);
  const h = headerBytes(keyKind == KEY_U32 ? 4 : 8);
  const shift = entryShiftOf(h, v);
  const cap = capacityFor(capacityHint, shift);
  const t = allocOrTrap(HEADER_BYTES);
  memory.fill(t, 0, HEADER_BYTES);
  const bytes = slotBytes(cap, shift);
  const slots = allocOrTrap(bytes);
  memory.fill(slots, 0, bytes);
  store<u32>(t, keyKind, 0);
  store<u32>(t, valueKind, 4);
  store<u32>(t, aggMask, 8);
  store<u32>(t, v, 12);
  store<u32>(t, <u32>slots, 16);
  store<u32>(t, cap, 20);
  store<u32>(t, 0, 24);
  store<u32>(t, growAtOf(cap, shift), 28);
  store<u32>(t, 1, 32);
  store<u32>(t, shift, 36);
  store<u32>(t, AGG_MAGIC, 44);
  return t;
}

export function aggFree(t: usize): void {
  if (t == 0) return;
  assert(load<u32>(t, 44) == AGG_MAGIC, 'aggFree: not a live aggregation table');
  store<u32>(t, 0, 44);
  free(<usize>load<u32>(t, 16));
  free(t);
}

export function aggSize(t: usize): u32 {
  assert(t != 0 && load<u32>(t, 44) == AGG_MAGIC, 'aggSize: not a live aggregation table');
  return load<u32>(t, 24);
}

export function aggClear(t: usize): void {
  assert(t != 0 && load<u32>(t, 44) == AGG_MAGIC, 'aggClear: not a live aggregation table');
  let gen = load<u32>(t, 32) + 1;
  if (gen == GEN_LIMIT) {
    // 2^24 clears: wipe the slots so no stale generation can match again.
    memory.fill(<usize>load<u32>(t, 16), 0, <usize>load<u32>(t, 20) << load<u32>(t, 36));
    gen = 1;
  }
  store<u32>(t, gen, 32);
  store<u32>(t, 0, 24);
}

/** Doubles the table, moving the live entries (noinline: off the row loop's hot path). */
export function growTable(t: usize): void {
  const keyKind = load<u32>(t, 0);
  const shift = load<u32>(t, 36);
  const oldSlots = <usize>load<u32>(t, 16);
  const oldCap = load<u32>(t, 20);
  const gen = load<u32>(t, 32);
  const cap = oldCap << 1;
  if (cap == 0 || (<u64>cap << shift) > 0xe0000000) abort('aggregation table exceeds memory');
  const mask = cap - 1;
  const bytes = slotBytes(cap, shift);
  const slots = allocOrTrap(bytes);
  memory.fill(slots, 0, bytes);
  const words = (<usize>1 << shift) >>> 3;
  const genOff: usize = keyKind == KEY_U32 ? 4 : 8;
  for (let i: u32 = 0; i < oldCap; i++) {
    const s = oldSlots + (<usize>i << shift);
    if (load<u32>(s + genOff) != gen) continue;
    const k = keyKind == KEY_U32 ? <u64>load<u32>(s) : load<u64>(s);
    let j = hashByKind(keyKind, k) & mask;
    while (load<u32>(slots + (<usize>j << shift) + genOff) == gen) j = (j + 1) & mask;
    const d = slots + (<usize>j << shift);
    for (let w: usize = 0; w < words; w++) store<u64>(d + (w << 3), load<u64>(s + (w << 3)));
  }
  free(oldSlots);
  store<u32>(t, <u32>slots, 16);
  store<u32>(t, cap, 20);
  store<u32>(t, growAtOf(cap, shift), 28);
}

/**
 * Rows per block of the row loop. Pass 1 of a block hashes its keys (four per i32x4 for u32
 * keys) into the table's scratch, as probe words and home-entry addresses (blockWords); in the
 * dense regime it then touches each row's home slot, so that the block's cache misses are all
 * in flight at once; pass 2 probes and folds the rows in input order.
 *
 * WASM has no prefetch instruction. The touch is a store of a zero byte into a byte that is
 * always zero: the gen word's top byte (generations stay below 2^24), or the pad after an
 * 8-byte key's gen word. A store retires without waiting for its line (it waits in the store
 * buffer while the line is fetched for writing), so 32 of them act as x86's prefetchw; a load,
 * the earlier stand-in, holds up retirement until its line arrives. Measured (1M rows, M rows/s,
 * same run, load → store): 100K keys uniform 179 → 191, Zipf 330 → 351; 1M 91 → 99 / 259 →
 * 277 (docs/kernels.md).
 */
// @ts-ignore: decorator
@inline const BLOCK: usize = 32;
/** The table header, then the block's scratch: BLOCK probe words (u64), then BLOCK home entries (u32). */
// @ts-ignore: decorator
@inline const HEADER_BYTES: usize = 64 + BLOCK * 12;
/** Where the home entries start in the scratch. */
// @ts-ignore: decorator
@inline const HOMES: usize = BLOCK << 3;
// @ts-ignore: decorator
@inline const SCRATCH: usize = 64;

/**
 * Pass 1 of a block, rows [b, be): each row's probe word into `scratch` (u64: gen << 32 | key
 * for u32 keys, the one-load compare of an entry's first 8 bytes; the key for 8-byte keys) and
 * the address of its home slot after them (u32, at scratch + HOMES).
 */
// @ts-ignore: decorator
@inline
function blockWords<KIN>(keys: usize, b: usize, be: usize, slots: usize, mask: u32, shift: u32, genWord: u64, scratch: usize): void {
  let i = b;
  if (sizeof<KIN>() == 4) {
    const m = i32x4.splat(mask);
    const base = i32x4.splat(<u32>slots);
    const g = i64x2.splat(genWord);
    for (; i + 4 <= be; i += 4) {
      const k = v128.load(keys + (i << 2));
      const r = (i - b);
      v128.store(scratch + (r << 3), v128.or(i64x2.extend_low_i32x4_u(k), g));
      v128.store(scratch + (r << 3), v128.or(i64x2.extend_high_i32x4_u(k), g), 16);
      // fmix32 (hash.ts) on four keys
      let h = v128.xor(k, i32x4.shr_u(k, 16));
      h = i32x4.mul(h, i32x4.splat(0x85ebca6b));
      h = v128.xor(h, i32x4.shr_u(h, 13));
      h = i32x4.mul(h, i32x4.splat(0xc2b2ae35));
      h = v128.xor(h, i32x4.shr_u(h, 16));
      v128.store(scratch + HOMES + (r << 2), i32x4.add(base, i32x4.shl(v128.and(h, m), shift)));
    }
  }
  for (; i < be; i++) {
    const k = keyAt<KIN>(keys, i);
    const r = i - b;
    store<u64>(scratch + (r << 3), sizeof<KIN>() == 4 ? genWord | k : k);
    store<u32>(scratch + HOMES + (r << 2), <u32>(slots + (<usize>(hashOf<KIN>(k) & mask) << shift)));
  }
}

/** Folds row i's value into entry e. */
// @ts-ignore: decorator
@inline
function foldRow<VIN>(e: usize, h: usize, v: u32, vals: usize, i: usize): void {
  if (isFloat<VIN>()) foldF64(e, h, v, v == COUNT ? 0 : load<f64>(vals + (i << 3)));
  else foldInt(e, h, v, v == COUNT ? 0 : intAt<VIN>(vals, i));
}

/**
 * Writes row i's value into a new entry e as its aggregates: the fold of the identities with
 * that one value, bit for bit (-0 + x is x, min(+Inf, x) is x, and so on), without reading
 * them back.
 */
// @ts-ignore: decorator
@inline
function firstRow<VIN>(e: usize, h: usize, v: u32, vals: usize, i: usize): void {
  if (v & COUNT) store<u64>(e + offCount(h, v), 1);
  if (isFloat<VIN>()) {
    const x = v == COUNT ? 0 : load<f64>(vals + (i << 3));
    if (v & SUM) store<f64>(e + offSum(h, v), x);
    if (v & MIN) store<f64>(e + offMin(h, v), x);
    if (v & MAX) store<f64>(e + offMax(h, v), x);
    if (v & SUMSQ) store<f64>(e + offSumsq(h, v), x * x);
  } else {
    const x = v == COUNT ? 0 : intAt<VIN>(vals, i);
    if (v & SUM) store<i64>(e + offSum(h, v), x);
    if (v & MIN) store<i64>(e + offMin(h, v), x);
    if (v & MAX) store<i64>(e + offMax(h, v), x);
    if (v & SUMSQ) {
      const f = <f64>x;
      store<f64>(e + offSumsq(h, v), f * f);
    }
  }
}

/**
 * The row loop from row `from`, specialised per key type KIN (u32 | u64 | f64), value type VIN
 * (f64 | i64 | i32), stored set v and regime SPARSE (u8 sparse, u16 dense), all constants, so
 * the aggregate and regime branches fold away. Returns the row it stopped at: `count`, or a
 * row whose key found the table at its growth limit (the caller grows it and calls again).
 *
 *   sparse (slot array <= 1 MiB, in cache): the home slot j and slot j + 1 are compared
 *     without a branch (j + 1 may be the spare entry past the end: see slotBytes);
 *   dense (a cache miss a row): each block's home slots are loaded first (see BLOCK), then the
 *     home slot is compared.
 * Then, in both: a key whose home slot is empty is new and goes there; otherwise the probe
 * loop runs on from the home slot. A new entry takes the row's value as its aggregates
 * (firstRow), so an insert writes the entry once.
 *
 * This is a function of its own, with no calls, and its loop over a block's rows keeps few
 * values live: V8 has about 11 registers for them and otherwise spills and reloads values on
 * every row. The row reads its probe word and home entry from the scratch (so neither the key
 * column nor the generation is live), and the probe loop and inserts read the slot array,
 * mask, size and growth limit from the table header. Measured against the previous loop, which
 * kept all of those in locals (1M rows, M rows/s, same run): 1K keys uniform 387 -> 554,
 * Zipf 428 -> 615; 100K 164 -> 175 / 264 -> 315; 1M 57 -> 84 / 207 -> 237.
 */
function addRowsFrom<KIN, VIN, V, SPARSE>(t: usize, keys: usize, vals: usize, from: usize, count: usize): usize {
  const v = variantOfType<V>();
  const sparse = sizeof<SPARSE>() == 1;
  const ks: usize = sizeof<KIN>() == 4 ? 4 : 8;
  const h = headerBytes(ks);
  const shift = entryShiftOf(h, v);
  const entry: usize = <usize>1 << shift;
  const scratch = t + SCRATCH;
  for (let b = from; b < count; b += BLOCK) {
    const nb = min<usize>(BLOCK, count - b);
    const genWord = <u64>load<u32>(t, 32) << 32;
    blockWords<KIN>(keys, b, b + nb, <usize>load<u32>(t, 16), load<u32>(t, 20) - 1, shift, genWord, scratch);
    if (!sparse) {
      // the touch (see BLOCK): a zero byte into the always-zero top byte of the gen word (u32
      // keys) or the pad after it (8-byte keys)
      for (let r: usize = 0; r < nb; r++) store<u8>(<usize>load<u32>(scratch + HOMES + (r << 2)), 0, ks == 4 ? 7 : 12);
    }
    const vb = vals + (b << (sizeof<VIN>() == 4 ? 2 : 3));
    for (let r: usize = 0; r < nb; r++) {
      const w = load<u64>(scratch + (r << 3));
      let e = <usize>load<u32>(scratch + HOMES + (r << 2));
      let hit0: bool, hit1: bool = false, empty: bool;
      if (ks == 4) {
        const x = load<u64>(e);
        hit0 = x == w;
        if (sparse) hit1 = load<u64>(e + entry) == w;
        empty = <u32>(x >>> 32) != <u32>(w >>> 32);
      } else {
        const gen = load<u32>(t, 32);
        empty = load<u32>(e, 8) != gen;
        hit0 = (load<u64>(e) == w) & !empty;
        if (sparse) hit1 = (load<u64>(e + entry) == w) & (load<u32>(e + entry, 8) == gen);
      }
      if (sparse ? hit0 | hit1 : hit0) {
        foldRow<VIN>(sparse ? select<usize>(e, e + entry, hit0) : e, h, v, vb, r);
        continue;
      }
      if (!empty) {
        // the home slot holds another key: probe on
        e = probe<KIN>(t, e, w, shift);
        if (!(e & 1)) {
          foldRow<VIN>(e, h, v, vb, r);
          continue;
        }
        e--;
      }
      // absent: insert at e, the empty slot that ends the run
      const size = load<u32>(t, 24);
      if (size >= load<u32>(t, 28)) {
        return b + r; // full: the caller grows the table and restarts at this row
      }
      store<u32>(t, size + 1, 24);
      store<u64>(e, w);
      if (ks != 4) store<u32>(e, load<u32>(t, 32), 8);
      firstRow<VIN>(e, h, v, vb, r);
    }
  }
  return count;
}

/**
 * The probe loop from the occupied home entry e of the row with probe word w (see
 * blockWords): its key's entry, or, when the key is absent, the empty slot that ends its run
 * plus 1 (entries are 16-byte aligned, so bit 0 is free to say so).
 */
// @ts-ignore: decorator
@inline
function probe<KIN>(t: usize, e: usize, w: u64, shift: u32): usize {
  const ks: usize = sizeof<KIN>() == 4 ? 4 : 8;
  const slots = <usize>load<u32>(t, 16);
  const mask = load<u32>(t, 20) - 1;
  const gen = ks == 4 ? <u32>(w >>> 32) : load<u32>(t, 32);
  let j = <u32>((e - slots) >>> shift);
  while (true) {
    j = (j + 1) & mask;
    e = slots + (<usize>j << shift);
    if (ks == 4) {
      const x = load<u64>(e);
      if (x == w) return e;
      if (<u32>(x >>> 32) != gen) return e + 1;
    } else {
      if (load<u32>(e, 8) != gen) return e + 1;
      if (load<u64>(e) == w) return e;
    }
  }
  return 0; // unreachable: the table is never full
}

/** The row loop over all rows, re-picking the regime after each growth. */
// @ts-ignore: decorator
@inline
function addRows<KIN, VIN, V>(t: usize, keys: usize, vals: usize, n: i32): void {
  const ks: usize = sizeof<KIN>() == 4 ? 4 : 8;
  const shift = entryShiftOf(headerBytes(ks), variantOfType<V>());
  const count = <usize>n;
  let i: usize = 0;
  while (true) {
    if ((<u64>load<u32>(t, 20) << shift) <= SPARSE_BYTES) i = addRowsFrom<KIN, VIN, V, u8>(t, keys, vals, i, count);
    else i = addRowsFrom<KIN, VIN, V, u16>(t, keys, vals, i, count);
    if (i >= count) break;
    growTable(t);
  }
}

/** The variant a marker type stands for (so each variant's row loop can be its own function). */
// @ts-ignore: decorator
@inline
function variantOfType<V>(): u32 {
  if (sizeof<V>() == 1) return isSigned<V>() ? COUNT : SUM;
  if (sizeof<V>() == 2) return isSigned<V>() ? MIN : MAX;
  return isSigned<V>() ? SUM | COUNT : ALL;
}

/** One (key, value, variant) row loop as its own function: a small function keeps V8's register allocator from spilling the loop state. */
function addRowsV<KIN, VIN, V>(t: usize, keys: usize, vals: usize, n: i32): void {
  addRows<KIN, VIN, V>(t, keys, vals, n);
}

// @ts-ignore: decorator
@inline
function addByVariant<KIN, VIN>(t: usize, keys: usize, vals: usize, n: i32, v: u32): void {
  switch (v) {
    case COUNT: addRowsV<KIN, VIN, i8>(t, keys, vals, n); break;
    case SUM: addRowsV<KIN, VIN, u8>(t, keys, vals, n); break;
    case MIN: addRowsV<KIN, VIN, i16>(t, keys, vals, n); break;
    case MAX: addRowsV<KIN, VIN, u16>(t, keys, vals, n); break;
    case SUM | COUNT: addRowsV<KIN, VIN, i32>(t, keys, vals, n); break;
    default: addRowsV<KIN, VIN, u32>(t, keys, vals, n); break;
  }
}

// One exported-level function per (key, value) pair keeps each function a manageable size.
function addU32F64(t: usize, k: usize, x: usize, n: i32, v: u32): void { addByVariant<u32, f64>(t, k, x, n, v); }
function addU32I64(t: usize, k: usize, x: usize, n: i32, v: u32): void { addByVariant<u32, i64>(t, k, x, n, v); }
function addU32I32(t: usize, k: usize, x: usize, n: i32, v: u32): void { addByVariant<u32, i32>(t, k, x, n, v); }
function addU64F64(t: usize, k: usize, x: usize, n: i32, v: u32): void { addByVariant<u64, f64>(t, k, x, n, v); }
function addU64I64(t: usize, k: usize, x: usize, n: i32, v: u32): void { addByVariant<u64, i64>(t, k, x, n, v); }
function addU64I32(t: usize, k: usize, x: usize, n: i32, v: u32): void { addByVariant<u64, i32>(t, k, x, n, v); }
function addF64F64(t: usize, k: usize, x: usize, n: i32, v: u32): void { addByVariant<f64, f64>(t, k, x, n, v); }
function addF64I64(t: usize, k: usize, x: usize, n: i32, v: u32): void { addByVariant<f64, i64>(t, k, x, n, v); }
function addF64I32(t: usize, k: usize, x: usize, n: i32, v: u32): void { addByVariant<f64, i32>(t, k, x, n, v); }

export function aggAdd(t: usize, keysPtr: usize, valuesPtr: usize, n: i32): void {
  assert(t != 0 && load<u32>(t, 44) == AGG_MAGIC, 'aggAdd: not a live aggregation table');
  if (n <= 0) return;
  const keyKind = load<u32>(t, 0);
  const valueKind = load<u32>(t, 4);
  const v = load<u32>(t, 12);
  checkRange(keysPtr, <u64>n * keyBytes(keyKind));
  if (v != COUNT) checkRange(valuesPtr, <u64>n * valueBytes(valueKind));
  if (keyKind == KEY_U32) {
    if (valueKind == VAL_F64) addU32F64(t, keysPtr, valuesPtr, n, v);
    else if (valueKind == VAL_I64) addU32I64(t, keysPtr, valuesPtr, n, v);
    else addU32I32(t, keysPtr, valuesPtr, n, v);
  } else if (keyKind == KEY_U64) {
    if (valueKind == VAL_F64) addU64F64(t, keysPtr, valuesPtr, n, v);
    else if (valueKind == VAL_I64) addU64I64(t, keysPtr, valuesPtr, n, v);
    else addU64I32(t, keysPtr, valuesPtr, n, v);
  } else {
    if (valueKind == VAL_F64) addF64F64(t, keysPtr, valuesPtr, n, v);
    else if (valueKind == VAL_I64) addF64I64(t, keysPtr, valuesPtr, n, v);
    else addF64I32(t, keysPtr, valuesPtr, n, v);
  }
}

/** Entry of key k (hash `hash`) in t, inserted with identity aggregates if absent. */
function findOrInsert(t: usize, k: u64, hash: u32): usize {
  const keyKind = load<u32>(t, 0);
  const ks: usize = keyKind == KEY_U32 ? 4 : 8;
  const genOff: usize = ks == 4 ? 4 : 8;
  const shift = load<u32>(t, 36);
  const gen = load<u32>(t, 32);
  let slots = <usize>load<u32>(t, 16);
  let mask = load<u32>(t, 20) - 1;
  let j = hash & mask;
  while (true) {
    const e = slots + (<usize>j << shift);
    if (load<u32>(e + genOff) != gen) break;
    if ((ks == 4 ? <u64>load<u32>(e) : load<u64>(e)) == k) return e;
    j = (j + 1) & mask;
  }
  let size = load<u32>(t, 24);
  if (size >= load<u32>(t, 28)) {
    growTable(t);
    slots = <usize>load<u32>(t, 16);
    mask = load<u32>(t, 20) - 1;
    j = hash & mask;
    while (load<u32>(slots + (<usize>j << shift) + genOff) == gen) j = (j + 1) & mask;
  }
  const e = slots + (<usize>j << shift);
  if (ks == 4) store<u32>(e, <u32>k);
  else store<u64>(e, k);
  store<u32>(e + genOff, gen);
  const v = load<u32>(t, 12);
  const intValues = load<u32>(t, 4) != VAL_F64;
  const h = headerBytes(ks);
  switch (v) {
    case COUNT: initAggs(e, h, COUNT, intValues); break;
    case SUM: initAggs(e, h, SUM, intValues); break;
    case MIN: initAggs(e, h, MIN, intValues); break;
    case MAX: initAggs(e, h, MAX, intValues); break;
    case SUM | COUNT: initAggs(e, h, SUM | COUNT, intValues); break;
    default: initAggs(e, h, ALL, intValues); break;
  }
  store<u32>(t, size + 1, 24);
  return e;
}

// @ts-ignore: decorator
@inline
function mergeRows(dst: usize, src: usize, ks: usize, v: u32, intValues: bool): void {
  const h = headerBytes(ks);
  const genOff: usize = ks == 4 ? 4 : 8;
  const shift = load<u32>(src, 36);
  const gen = load<u32>(src, 32);
  const slots = <usize>load<u32>(src, 16);
  const cap = load<u32>(src, 20);
  for (let i: u32 = 0; i < cap; i++) {
    const s = slots + (<usize>i << shift);
    if (load<u32>(s + genOff) != gen) continue;
    const k = ks == 4 ? <u64>load<u32>(s) : load<u64>(s);
    const d = findOrInsert(dst, k, ks == 4 ? fmix32Of(k) : hashOf<u64>(k));
    combine(d, s, h, v, intValues);
  }
}

// @ts-ignore: decorator
@inline
function fmix32Of(k: u64): u32 {
  return hashOf<u32>(k);
}

// @ts-ignore: decorator
@inline
function mergeByVariant(dst: usize, src: usize, ks: usize, v: u32, intValues: bool): void {
  switch (v) {
    case COUNT: mergeRows(dst, src, ks, COUNT, intValues); break;
    case SUM: mergeRows(dst, src, ks, SUM, intValues); break;
    case MIN: mergeRows(dst, src, ks, MIN, intValues); break;
    case MAX: mergeRows(dst, src, ks, MAX, intValues); break;
    case SUM | COUNT: mergeRows(dst, src, ks, SUM | COUNT, intValues); break;
    default: mergeRows(dst, src, ks, ALL, intValues); break;
  }
}

export function aggMerge(dst: usize, src: usize): void {
  assert(dst != 0 && load<u32>(dst, 44) == AGG_MAGIC, 'aggMerge: dst is not a live aggregation table');
  assert(src != 0 && load<u32>(src, 44) == AGG_MAGIC, 'aggMerge: src is not a live aggregation table');
  assert(dst != src, 'aggMerge: a table cannot be merged into itself');
  assert(
    load<u32>(dst, 0) == load<u32>(src, 0) && load<u32>(dst, 4) == load<u32>(src, 4) && load<u32>(dst, 12) == load<u32>(src, 12),
    'aggMerge: tables differ in key kind, value kind or aggregates',
  );
  const ks: usize = load<u32>(src, 0) == KEY_U32 ? 4 : 8;
  const v = load<u32>(src, 12);
  if (load<u32>(src, 4) == VAL_F64) {
    if (ks == 4) mergeByVariant(dst, src, 4, v, false);
    else mergeByVariant(dst, src, 8, v, false);
  } else {
    if (ks == 4) mergeByVariant(dst, src, 4, v, true);
    else mergeByVariant(dst, src, 8, v, true);
  }
}

/**
 * Writes every entry, in slot order, to the output columns given (0 = skip): keys u32 or u64
 * (f64 keys as their normalised f64), count f64, sum/min/max f64 (i64 for integer values),
 * sumsq f64. Columns of aggregates the table was not asked for are not written.
 */
export function aggExport(t: usize, keysOut: usize, countOut: usize, sumOut: usize, minOut: usize, maxOut: usize, sumsqOut: usize): u32 {
  assert(t != 0 && load<u32>(t, 44) == AGG_MAGIC, 'aggExport: not a live aggregation table');
  const keyKind = load<u32>(t, 0);
  const mask = load<u32>(t, 8);
  const v = load<u32>(t, 12);
  const ks: usize = keyKind == KEY_U32 ? 4 : 8;
  const h = headerBytes(ks);
  const genOff: usize = ks == 4 ? 4 : 8;
  const shift = load<u32>(t, 36);
  const gen = load<u32>(t, 32);
  const slots = <usize>load<u32>(t, 16);
  const cap = load<u32>(t, 20);
  if (!(mask & COUNT)) countOut = 0;
  if (!(mask & SUM)) sumOut = 0;
  if (!(mask & MIN)) minOut = 0;
  if (!(mask & MAX)) maxOut = 0;
  if (!(mask & SUMSQ)) sumsqOut = 0;
  const oc = offCount(h, v);
  let os: usize = 0, omin: usize = 0, omax: usize = 0, osq: usize = 0;
  // Runtime offsets: export is a sequential pass, not worth 6 specialisations.
  os = h + (v & COUNT ? 8 : 0);
  omin = os + (v & SUM ? 8 : 0);
  omax = omin + (v & MIN ? 8 : 0);
  osq = omax + (v & MAX ? 8 : 0);
  let o: usize = 0;
  for (let i: u32 = 0; i < cap; i++) {
    const e = slots + (<usize>i << shift);
    if (load<u32>(e + genOff) != gen) continue;
    if (keysOut) {
      if (ks == 4) store<u32>(keysOut + (o << 2), load<u32>(e));
      else store<u64>(keysOut + (o << 3), load<u64>(e));
    }
    const o8 = o << 3;
    if (countOut) store<f64>(countOut + o8, <f64>load<u64>(e + oc));
    if (sumOut) store<u64>(sumOut + o8, load<u64>(e + os));
    if (minOut) store<u64>(minOut + o8, load<u64>(e + omin));
    if (maxOut) store<u64>(maxOut + o8, load<u64>(e + omax));
    if (sumsqOut) store<u64>(sumsqOut + o8, load<u64>(e + osq));
    o++;
  }
  return <u32>o;
}
