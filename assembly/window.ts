// Pane-based sliding windows.
//
// A window is `numPanes` (N) panes; the current pane is the newest and the only one rows are
// added to. Per key, a record holds a ring of N pane partials (slot = global pane index mod N,
// the same for every key) and running totals over the completed panes in the window. The ring
// is stored pane-major: one array per ring slot, indexed by record, so the current panes of all
// keys are contiguous and winAdd's working set is (keys x pane size) whatever N is:
//
//   * COUNT, SUM, SUMSQ are inverted: a slide adds the completed pane and subtracts the evicted
//     one. f64 subtraction is not exact and IEEE non-finite values do not subtract, so f64 sums
//     keep only finite values; each pane keeps flag bits (has NaN, +Inf, -Inf, a value that is
//     not -0, a value whose square overflows) and each key counts the panes in its window with
//     each flag. The emitted sum is NaN / +Inf / -Inf / the finite sum (signed zero from the
//     "not -0" count), as IEEE summation of the window's values would give; sumsq likewise.
//     An infinity wins over finite values even when they overflow together ([-1e308, -1e308,
//     +Inf] is +Inf, the extended-real sum; a left-to-right fold gives NaN): both are sums in
//     some order, and this one does not depend on which pane a value arrived in.
//     Every key re-anchors its totals from its panes once every N slides, so drift stays bounded
//     to about two windows of rounding; and sooner when it matters: each record keeps a bound on
//     its running sums' error (every add or subtract adds |result| * 2^-53, the most it can round
//     off), and re-anchors as soon as that bound exceeds 2^-44 of the total (or the total
//     overflows). A window whose values cancel, or whose big values have left, thus emits what
//     its panes sum to, not the residue of values long gone (a total of 1e17 + 1 - 1e17 is 1).
//   * MIN, MAX cannot be inverted: the completed panes form a two-stack queue inside the ring.
//     The `front` oldest panes carry suffix aggregates (sufMin = min of that pane and every
//     newer front pane); the newer `back` panes are folded into one running backMin. Evicting
//     pops the front; when the front is empty the key flips: it recomputes the suffixes over
//     all its panes, O(N) once per N slides, so a slide is amortised O(1) per key. New keys
//     start with a front length of (record index mod N) so flips spread over slides.
//   * A key whose window holds no value after a slide is reclaimed: its index slot is removed
//     by backward-shift deletion (no tombstones) and its record goes to a free list, already
//     reset to identities, so memory stays flat with churning keys.
//
// Window header (128 bytes):
//   +0 keyKind  +4 valueKind  +8 mask  +12 mm (1 if MIN or MAX)  +16 N  +20 cur pane slot
//   +24 index slots  +28 index cap  +32 live keys  +36 growAt
//   +40 record headers  +44 panes (N arrays of slab-capacity panes)  +48 slab capacity (records)
//   +52 high water  +56 free head (idx + 1)
//   +60 pane size  +64 magic (WIN_MAGIC while live)
// Index slot: u32 keys { u32 key, u32 record + 1 } (8 bytes); 8-byte keys { u64 key, u32 record + 1, pad } (16).
// Record header (HDR = 96 bytes; record r at headers + r * HDR):
//   +0 u64 key  +8 u32 frontLen (next free when free)  +12 u32 live (1) / free (0)  +16 u64 count  +24 sum (f64 finite-only | i64)
//   +32 f64 sumsq (finite squares)  +40 u32 panes with NaN  +44 with +Inf  +48 with -Inf
//   +52 with a value that is not -0  +56 with an overflowing square  +64 backMin  +72 backMax
//   +80 f64 error bound of sum  +88 f64 error bound of sumsq
// Pane j of record r: panes + (j * slab capacity + r) * pane size.
// Pane: +0 u32 count  +4 u32 flags  +8 sum  +16 f64 sumsq  [+24 min  +32 max  +40 sufMin  +48 sufMax]

import { allocOrTrap, free } from './alloc';
import {
  WIN_MAGIC, COUNT, I64_MAX, I64_MIN, KEY_F64, KEY_U32, MAX, MIN, SUM, SUMSQ, VAL_F64, VAL_I32, ALL,
  capacityFor, checkRange, keyBytes, valueBytes, growAtOf, hashByKind, hashOf, intAt, keyAt,
} from './common';

// @ts-ignore: decorator
@inline const HDR: usize = 96;
// @ts-ignore: decorator
@inline const F_NAN: u32 = 1;
// @ts-ignore: decorator
@inline const F_PINF: u32 = 2;
// @ts-ignore: decorator
@inline const F_NINF: u32 = 4;
// @ts-ignore: decorator
@inline const F_NNZ: u32 = 8;
// @ts-ignore: decorator
@inline const F_SQINF: u32 = 16;
// @ts-ignore: decorator
@inline const NEG_ZERO_BITS: u64 = 0x8000000000000000;
// @ts-ignore: decorator
@inline const MAX_PANES: u32 = 1 << 16;
/** The most one f64 add can round off, relative to its result. */
// @ts-ignore: decorator
@inline const ROUNDING: f64 = 1.1102230246251565e-16; // 2^-53
/** A running sum re-anchors once its error bound exceeds this fraction of it. */
// @ts-ignore: decorator
@inline const DRIFT: f64 = 5.684341886080802e-14; // 2^-44

// @ts-ignore: decorator
@inline
function paneSizeOf(mm: bool): usize {
  return mm ? 56 : 24;
}

/** Pane j (ring slot) of record r. */
// @ts-ignore: decorator
@inline
function paneAt(panes: usize, slabCap: u32, j: u32, r: u32, ps: usize): usize {
  return panes + (<usize>j * <usize>slabCap + <usize>r) * ps;
}

/** Writes identities into pane p. */
// @ts-ignore: decorator
@inline
function clearPane(p: usize, intValues: bool, mm: bool): void {
  store<u64>(p, 0); // count, flags
  if (intValues) store<i64>(p, 0, 8);
  else store<f64>(p, -0.0, 8);
  store<f64>(p, -0.0, 16);
  if (mm) {
    if (intValues) {
      store<i64>(p, I64_MAX, 24);
      store<i64>(p, I64_MIN, 32);
      store<i64>(p, I64_MAX, 40);
      store<i64>(p, I64_MIN, 48);
    } else {
      store<f64>(p, Infinity, 24);
      store<f64>(p, -Infinity, 32);
      store<f64>(p, Infinity, 40);
      store<f64>(p, -Infinity, 48);
    }
  }
}

/** Resets a record's totals and back aggregates to identities. */
// The running totals of a record at their identities: count 0, sums −0 (or 0 for integers),
// no non-finite or non-zero flags. Shared by a record's reset and its re-anchoring.
// @ts-ignore: decorator
@inline
function resetSums(r: usize, intValues: bool): void {
  store<u64>(r, 0, 16);
  if (intValues) store<i64>(r, 0, 24);
  else store<f64>(r, -0.0, 24);
  store<f64>(r, -0.0, 32);
  store<u64>(r, 0, 40);
  store<u64>(r, 0, 48);
  store<u64>(r, 0, 56);
  store<f64>(r, 0, 80);
  store<f64>(r, 0, 88);
}

// @ts-ignore: decorator
@inline
function clearTotals(r: usize, intValues: bool): void {
  resetSums(r, intValues);
  if (intValues) {
    store<i64>(r, I64_MAX, 64);
    store<i64>(r, I64_MIN, 72);
  } else {
    store<f64>(r, Infinity, 64);
    store<f64>(r, -Infinity, 72);
  }
}

// ---- min/max on f64 (WASM semantics: NaN wins, -0 < +0) or i64

// @ts-ignore: decorator
@inline
function minOf(a: u64, b: u64, intValues: bool): u64 {
  if (intValues) return <u64>select<i64>(<i64>a, <i64>b, <i64>a < <i64>b);
  return reinterpret<u64>(min<f64>(reinterpret<f64>(a), reinterpret<f64>(b)));
}
// @ts-ignore: decorator
@inline
function maxOf(a: u64, b: u64, intValues: bool): u64 {
  if (intValues) return <u64>select<i64>(<i64>a, <i64>b, <i64>a > <i64>b);
  return reinterpret<u64>(max<f64>(reinterpret<f64>(a), reinterpret<f64>(b)));
}

// ---- window

export function winNew(keyKind: u32, valueKind: u32, aggMask: u32, numPanes: u32, capacityHint: i32): usize {
  assert(keyKind <= KEY_F64, 'winNew: bad key kind');
  assert(valueKind <= VAL_I32, 'winNew: bad value kind');
  assert(aggMask != 0 && aggMask <= ALL, 'winNew: bad aggregate mask');
  assert(numPanes >= 1 && numPanes <= MAX_PANES, 'winNew: numPanes must be in 1..65536');
  const mm = (aggMask & (MIN | MAX)) != 0;
  const ps = paneSizeOf(mm);
  const recSize = HDR + <usize>numPanes * ps;
  const ishift: usize = keyKind == KEY_U32 ? 3 : 4;
  const cap = capacityFor(capacityHint, <u32>ishift);
  const w = allocOrTrap(128);
  memory.fill(w, 0, 128);
  const idx = allocOrTrap(<usize>cap << ishift);
  memory.fill(idx, 0, <usize>cap << ishift);
  let slabCap = <u32>max<i32>(capacityHint, 16);
  if (<u64>slabCap * <u64>recSize > 0x10000000) slabCap = max<u32>(16, <u32>(0x10000000 / <u64>recSize));
  store<u32>(w, keyKind, 0);
  store<u32>(w, valueKind, 4);
  store<u32>(w, aggMask, 8);
  store<u32>(w, mm ? 1 : 0, 12);
  store<u32>(w, numPanes, 16);
  store<u32>(w, 0, 20);
  store<u32>(w, <u32>idx, 24);
  store<u32>(w, cap, 28);
  store<u32>(w, 0, 32);
  store<u32>(w, growAtOf(cap, <u32>ishift), 36);
  store<u32>(w, <u32>allocOrTrap(<usize>slabCap * HDR), 40);
  store<u32>(w, <u32>allocOrTrap(<usize>slabCap * <usize>numPanes * ps), 44);
  store<u32>(w, slabCap, 48);
  store<u32>(w, 0, 52);
  store<u32>(w, 0, 56);
  store<u32>(w, <u32>ps, 60);
  store<u32>(w, WIN_MAGIC, 64);
  return w;
}

export function winFree(w: usize): void {
  if (w == 0) return;
  assert(load<u32>(w, 64) == WIN_MAGIC, 'winFree: not a live window');
  store<u32>(w, 0, 64);
  free(<usize>load<u32>(w, 24));
  free(<usize>load<u32>(w, 40));
  free(<usize>load<u32>(w, 44));
  free(w);
}

export function winSize(w: usize): u32 {
  assert(w != 0 && load<u32>(w, 64) == WIN_MAGIC, 'winSize: not a live window');
  return load<u32>(w, 32);
}

/** A record for a new key (reused from the free list, or fresh): returns its index. */
function newRecord(w: usize, key: u64): u32 {
  const n = load<u32>(w, 16);
  const ps = <usize>load<u32>(w, 60);
  let r: u32;
  const head = load<u32>(w, 56);
  if (head != 0) {
    r = head - 1;
    const rec = <usize>load<u32>(w, 40) + <usize>r * HDR;
    store<u32>(w, load<u32>(rec, 8), 56); // free records are already all identities
  } else {
    r = load<u32>(w, 52);
    const slabCap = load<u32>(w, 48);
    if (r == slabCap) {
      // Double the slab: the headers, and each of the N pane arrays.
      const newCap = slabCap << 1;
      if (<u64>newCap * (<u64>HDR + <u64>n * <u64>ps) > 0xe0000000) abort('window state exceeds memory');
      const oldHdr = <usize>load<u32>(w, 40);
      const oldPanes = <usize>load<u32>(w, 44);
      const hdr = allocOrTrap(<usize>newCap * HDR);
      memory.copy(hdr, oldHdr, <usize>r * HDR);
      free(oldHdr);
      const panes = allocOrTrap(<usize>newCap * <usize>n * ps);
      for (let j: u32 = 0; j < n; j++) {
        memory.copy(paneAt(panes, newCap, j, 0, ps), paneAt(oldPanes, slabCap, j, 0, ps), <usize>r * ps);
      }
      free(oldPanes);
      store<u32>(w, <u32>hdr, 40);
      store<u32>(w, <u32>panes, 44);
      store<u32>(w, newCap, 48);
    }
    store<u32>(w, r + 1, 52);
    const rec = <usize>load<u32>(w, 40) + <usize>r * HDR;
    const intValues = load<u32>(w, 4) != VAL_F64;
    const mm = load<u32>(w, 12) != 0;
    const panes = <usize>load<u32>(w, 44);
    const cap = load<u32>(w, 48);
    clearTotals(rec, intValues);
    for (let j: u32 = 0; j < n; j++) {
      const p = paneAt(panes, cap, j, r, ps);
      if (intValues) {
        if (mm) clearPane(p, true, true);
        else clearPane(p, true, false);
      } else {
        if (mm) clearPane(p, false, true);
        else clearPane(p, false, false);
      }
    }
  }
  const rec = <usize>load<u32>(w, 40) + <usize>r * HDR;
  store<u64>(rec, key, 0);
  store<u32>(rec, r % n, 8); // frontLen: any split of an all-empty ring is valid; stagger flips
  store<u32>(rec, 1, 12); // live
  return r;
}

/** Doubles the key index (noinline). */
function growIndex(w: usize): void {
  const keyKind = load<u32>(w, 0);
  const ishift: usize = keyKind == KEY_U32 ? 3 : 4;
  const recOff: usize = keyKind == KEY_U32 ? 4 : 8;
  const old = <usize>load<u32>(w, 24);
  const oldCap = load<u32>(w, 28);
  const cap = oldCap << 1;
  if (cap == 0 || (<u64>cap << ishift) > 0xe0000000) abort('window index exceeds memory');
  const mask = cap - 1;
  const idx = allocOrTrap(<usize>cap << ishift);
  memory.fill(idx, 0, <usize>cap << ishift);
  for (let i: u32 = 0; i < oldCap; i++) {
    const s = old + (<usize>i << ishift);
    const r1 = load<u32>(s + recOff);
    if (r1 == 0) continue;
    const k = keyKind == KEY_U32 ? <u64>load<u32>(s) : load<u64>(s);
    let j = hashByKind(keyKind, k) & mask;
    while (load<u32>(idx + (<usize>j << ishift) + recOff) != 0) j = (j + 1) & mask;
    const d = idx + (<usize>j << ishift);
    if (keyKind == KEY_U32) store<u64>(d, load<u64>(s));
    else {
      store<u64>(d, k);
      store<u64>(d, load<u64>(s, 8), 8);
    }
  }
  free(old);
  store<u32>(w, <u32>idx, 24);
  store<u32>(w, cap, 28);
  store<u32>(w, growAtOf(cap, <u32>ishift), 36);
}

/** Removes key k from the index by backward-shift deletion. */
function indexDelete(w: usize, k: u64): void {
  const keyKind = load<u32>(w, 0);
  const ishift: usize = keyKind == KEY_U32 ? 3 : 4;
  const recOff: usize = keyKind == KEY_U32 ? 4 : 8;
  const idx = <usize>load<u32>(w, 24);
  const mask = load<u32>(w, 28) - 1;
  let i = hashByKind(keyKind, k) & mask;
  while (true) {
    const s = idx + (<usize>i << ishift);
    if (load<u32>(s + recOff) == 0) return; // absent (cannot happen)
    if ((keyKind == KEY_U32 ? <u64>load<u32>(s) : load<u64>(s)) == k) break;
    i = (i + 1) & mask;
  }
  // Shift back every later entry of the run whose home slot is not in (i, j].
  let j = i;
  while (true) {
    j = (j + 1) & mask;
    const s = idx + (<usize>j << ishift);
    if (load<u32>(s + recOff) == 0) break;
    const kj = keyKind == KEY_U32 ? <u64>load<u32>(s) : load<u64>(s);
    const home = hashByKind(keyKind, kj) & mask;
    // The entry at j may move to i iff its home is cyclically outside (i, j].
    if (((j - home) & mask) >= ((j - i) & mask)) {
      const d = idx + (<usize>i << ishift);
      store<u64>(d, load<u64>(s));
      if (ishift == 4) store<u64>(d, load<u64>(s, 8), 8);
      i = j;
    }
  }
  const d = idx + (<usize>i << ishift);
  store<u64>(d, 0);
  if (ishift == 4) store<u64>(d, 0, 8);
}

/** The row loop, specialised per key type, value type and min/max presence. */
// @ts-ignore: decorator
@inline
function addRows<KIN, VIN>(w: usize, keys: usize, vals: usize, n: i32, mm: bool, countOnly: bool = false): void {
  const ks: usize = sizeof<KIN>() == 4 ? 4 : 8;
  const ishift: usize = ks == 4 ? 3 : 4;
  const recOff: usize = ks == 4 ? 4 : 8;
  const intValues = !isFloat<VIN>();
  const ps = paneSizeOf(mm);
  const cur = load<u32>(w, 20);
  let idx = <usize>load<u32>(w, 24);
  let mask = load<u32>(w, 28) - 1;
  // The current pane's array: row r1 - 1's pane is curPanes + (r1 - 1) * ps.
  let curPanes = paneAt(<usize>load<u32>(w, 44), load<u32>(w, 48), cur, 0, ps);
  const count = <usize>n;
  for (let i: usize = 0; i < count; i++) {
    const k = keyAt<KIN>(keys, i);
    const hash = hashOf<KIN>(k);
    let j = hash & mask;
    let r1: u32 = 0;
    while (true) {
      const s = idx + (<usize>j << ishift);
      r1 = load<u32>(s + recOff);
      if (r1 == 0) break;
      if ((ks == 4 ? <u64>load<u32>(s) : load<u64>(s)) == k) break;
      j = (j + 1) & mask;
    }
    if (r1 == 0) {
      const live = load<u32>(w, 32);
      if (live >= load<u32>(w, 36)) {
        growIndex(w);
        idx = <usize>load<u32>(w, 24);
        mask = load<u32>(w, 28) - 1;
        j = hash & mask;
        while (load<u32>(idx + (<usize>j << ishift) + recOff) != 0) j = (j + 1) & mask;
      }
      r1 = newRecord(w, k) + 1;
      curPanes = paneAt(<usize>load<u32>(w, 44), load<u32>(w, 48), cur, 0, ps);
      const s = idx + (<usize>j << ishift);
      if (ks == 4) store<u64>(s, (<u64>r1 << 32) | k);
      else {
        store<u64>(s, k);
        store<u32>(s, r1, 8);
      }
      store<u32>(w, live + 1, 32);
    }
    const p = curPanes + <usize>(r1 - 1) * ps;
    store<u32>(p, load<u32>(p) + 1);
    if (countOnly) {
      // COUNT only: values are not read (the caller may pass none).
    } else if (intValues) {
      const x = intAt<VIN>(vals, i);
      store<i64>(p, load<i64>(p, 8) + x, 8);
      const f = <f64>x;
      store<f64>(p, load<f64>(p, 16) + f * f, 16);
      if (mm) {
        const lo = load<i64>(p, 24);
        store<i64>(p, select<i64>(x, lo, x < lo), 24);
        const hi = load<i64>(p, 32);
        store<i64>(p, select<i64>(x, hi, x > hi), 32);
      }
    } else {
      const x = load<f64>(vals + (i << 3));
      const sq = x * x;
      const finite = x - x == 0;
      const sqFinite = sq - sq == 0;
      const flags =
        select<u32>(F_NAN, 0, x != x) |
        select<u32>(F_PINF, 0, x == Infinity) |
        select<u32>(F_NINF, 0, x == -Infinity) |
        select<u32>(F_NNZ, 0, reinterpret<u64>(x) != NEG_ZERO_BITS) |
        select<u32>(F_SQINF, 0, sq == Infinity);
      store<u32>(p, load<u32>(p, 4) | flags, 4);
      store<f64>(p, load<f64>(p, 8) + select<f64>(x, -0.0, finite), 8);
      store<f64>(p, load<f64>(p, 16) + select<f64>(sq, -0.0, sqFinite), 16);
      if (mm) {
        store<f64>(p, min<f64>(load<f64>(p, 24), x), 24);
        store<f64>(p, max<f64>(load<f64>(p, 32), x), 32);
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function addMm<KIN, VIN>(w: usize, k: usize, x: usize, n: i32): void {
  if (load<u32>(w, 12)) addRows<KIN, VIN>(w, k, x, n, true);
  else addRows<KIN, VIN>(w, k, x, n, false);
}

function winAddCountU32(w: usize, k: usize, n: i32): void { addRows<u32, f64>(w, k, 0, n, false, true); }
function winAddCountU64(w: usize, k: usize, n: i32): void { addRows<u64, f64>(w, k, 0, n, false, true); }
function winAddCountF64(w: usize, k: usize, n: i32): void { addRows<f64, f64>(w, k, 0, n, false, true); }

function winAddU32F64(w: usize, k: usize, x: usize, n: i32): void { addMm<u32, f64>(w, k, x, n); }
function winAddU32I64(w: usize, k: usize, x: usize, n: i32): void { addMm<u32, i64>(w, k, x, n); }
function winAddU32I32(w: usize, k: usize, x: usize, n: i32): void { addMm<u32, i32>(w, k, x, n); }
function winAddU64F64(w: usize, k: usize, x: usize, n: i32): void { addMm<u64, f64>(w, k, x, n); }
function winAddU64I64(w: usize, k: usize, x: usize, n: i32): void { addMm<u64, i64>(w, k, x, n); }
function winAddU64I32(w: usize, k: usize, x: usize, n: i32): void { addMm<u64, i32>(w, k, x, n); }
function winAddF64F64(w: usize, k: usize, x: usize, n: i32): void { addMm<f64, f64>(w, k, x, n); }
function winAddF64I64(w: usize, k: usize, x: usize, n: i32): void { addMm<f64, i64>(w, k, x, n); }
function winAddF64I32(w: usize, k: usize, x: usize, n: i32): void { addMm<f64, i32>(w, k, x, n); }

export function winAdd(w: usize, keysPtr: usize, valuesPtr: usize, n: i32): void {
  assert(w != 0 && load<u32>(w, 64) == WIN_MAGIC, 'winAdd: not a live window');
  if (n <= 0) return;
  const keyKind = load<u32>(w, 0);
  const valueKind = load<u32>(w, 4);
  checkRange(keysPtr, <u64>n * keyBytes(keyKind));
  if (load<u32>(w, 8) == COUNT) {
    // COUNT only: valuesPtr is ignored, as in aggAdd.
    if (keyKind == KEY_U32) winAddCountU32(w, keysPtr, n);
    else if (keyKind == KEY_F64) winAddCountF64(w, keysPtr, n);
    else winAddCountU64(w, keysPtr, n);
    return;
  }
  checkRange(valuesPtr, <u64>n * valueBytes(valueKind));
  if (keyKind == KEY_U32) {
    if (valueKind == VAL_F64) winAddU32F64(w, keysPtr, valuesPtr, n);
    else if (valueKind == VAL_I32) winAddU32I32(w, keysPtr, valuesPtr, n);
    else winAddU32I64(w, keysPtr, valuesPtr, n);
  } else if (keyKind == KEY_F64) {
    if (valueKind == VAL_F64) winAddF64F64(w, keysPtr, valuesPtr, n);
    else if (valueKind == VAL_I32) winAddF64I32(w, keysPtr, valuesPtr, n);
    else winAddF64I64(w, keysPtr, valuesPtr, n);
  } else {
    if (valueKind == VAL_F64) winAddU64F64(w, keysPtr, valuesPtr, n);
    else if (valueKind == VAL_I32) winAddU64I32(w, keysPtr, valuesPtr, n);
    else winAddU64I64(w, keysPtr, valuesPtr, n);
  }
}

/** Adds pane p's invertible partials to record r's totals (sign +1) or subtracts them (-1). */
// @ts-ignore: decorator
@inline
function applyPane(r: usize, p: usize, intValues: bool, add: bool): void {
  const c = <u64>load<u32>(p);
  store<u64>(r, add ? load<u64>(r, 16) + c : load<u64>(r, 16) - c, 16);
  if (intValues) {
    const s = load<i64>(p, 8);
    store<i64>(r, add ? load<i64>(r, 24) + s : load<i64>(r, 24) - s, 24);
  } else {
    const s = load<f64>(p, 8);
    const t = add ? load<f64>(r, 24) + s : load<f64>(r, 24) - s;
    store<f64>(r, t, 24);
    store<f64>(r, load<f64>(r, 80) + abs<f64>(t) * ROUNDING, 80);
    const f = load<u32>(p, 4);
    if (f) {
      const d: u32 = add ? 1 : <u32>-1;
      if (f & F_NAN) store<u32>(r, load<u32>(r, 40) + d, 40);
      if (f & F_PINF) store<u32>(r, load<u32>(r, 44) + d, 44);
      if (f & F_NINF) store<u32>(r, load<u32>(r, 48) + d, 48);
      if (f & F_NNZ) store<u32>(r, load<u32>(r, 52) + d, 52);
      if (f & F_SQINF) store<u32>(r, load<u32>(r, 56) + d, 56);
    }
  }
  const q = load<f64>(p, 16);
  const tq = add ? load<f64>(r, 32) + q : load<f64>(r, 32) - q;
  store<f64>(r, tq, 32);
  store<f64>(r, load<f64>(r, 88) + abs<f64>(tq) * ROUNDING, 88);
}

/** Recomputes record r's totals from its completed panes (all but `skip`, oldest first). */
// @ts-ignore: decorator
@inline
function reanchor(r: usize, panes: usize, cap: u32, ri: u32, n: u32, skip: u32, ps: usize, intValues: bool): void {
  resetSums(r, intValues);
  for (let j: u32 = 1; j < n; j++) {
    let s = skip + j;
    if (s >= n) s -= n;
    applyPane(r, paneAt(panes, cap, s, ri, ps), intValues, true);
  }
}

// @ts-ignore: decorator
@inline
function slideAll(w: usize, intValues: bool, mm: bool): void {
  const n = load<u32>(w, 16);
  const c = load<u32>(w, 20);
  const o = c + 1 == n ? 0 : c + 1;
  const ps = paneSizeOf(mm);
  const high = load<u32>(w, 52);
  const hdr = <usize>load<u32>(w, 40);
  const panes = <usize>load<u32>(w, 44);
  const cap = load<u32>(w, 48);
  for (let ri: u32 = 0; ri < high; ri++) {
    const r = hdr + <usize>ri * HDR;
    if (load<u32>(r, 12) == 0) continue; // a free record
    const pc = paneAt(panes, cap, c, ri, ps);
    const po = paneAt(panes, cap, o, ri, ps);
    let front = load<u32>(r, 8);
    if (front == 0) {
      // Re-anchor the totals, and flip the min/max queue: suffixes over every pane, newest first.
      reanchor(r, panes, cap, ri, n, o, ps, intValues);
      if (mm) {
        let lo: u64 = intValues ? <u64>I64_MAX : reinterpret<u64>(Infinity);
        let hi: u64 = intValues ? <u64>I64_MIN : reinterpret<u64>(-Infinity);
        let s = c;
        for (let j: u32 = 0; j < n; j++) {
          const p = paneAt(panes, cap, s, ri, ps);
          lo = minOf(load<u64>(p, 24), lo, intValues);
          hi = maxOf(load<u64>(p, 32), hi, intValues);
          store<u64>(p, lo, 40);
          store<u64>(p, hi, 48);
          s = s == 0 ? n - 1 : s - 1;
        }
        store<u64>(r, intValues ? <u64>I64_MAX : reinterpret<u64>(Infinity), 64);
        store<u64>(r, intValues ? <u64>I64_MIN : reinterpret<u64>(-Infinity), 72);
      }
      front = n;
    } else {
      applyPane(r, pc, intValues, true);
      applyPane(r, po, intValues, false);
      // Re-anchor now if a running sum overflowed, or may have drifted by more than 2^-44 of it.
      const q = load<f64>(r, 32);
      let stale = abs<f64>(q) * DRIFT < load<f64>(r, 88);
      if (!intValues) {
        const s = load<f64>(r, 24);
        stale = stale || s - s != 0 || abs<f64>(s) * DRIFT < load<f64>(r, 80);
      }
      if (stale) reanchor(r, panes, cap, ri, n, o, ps, intValues);
      if (mm) {
        store<u64>(r, minOf(load<u64>(r, 64), load<u64>(pc, 24), intValues), 64);
        store<u64>(r, maxOf(load<u64>(r, 72), load<u64>(pc, 32), intValues), 72);
      }
    }
    front--;
    clearPane(po, intValues, mm);
    if (load<u64>(r, 16) == 0) {
      // Nothing of this key is left in the window: reclaim it.
      indexDelete(w, load<u64>(r, 0));
      clearTotals(r, intValues);
      store<u32>(r, 0, 12);
      store<u32>(r, load<u32>(w, 56), 8);
      store<u32>(w, ri + 1, 56);
      store<u32>(w, load<u32>(w, 32) - 1, 32);
    } else {
      store<u32>(r, front, 8);
    }
  }
  store<u32>(w, o, 20);
}

export function winSlide(w: usize): void {
  assert(w != 0 && load<u32>(w, 64) == WIN_MAGIC, 'winSlide: not a live window');
  const intValues = load<u32>(w, 4) != VAL_F64;
  const mm = load<u32>(w, 12) != 0;
  if (intValues) {
    if (mm) slideAll(w, true, true);
    else slideAll(w, true, false);
  } else {
    if (mm) slideAll(w, false, true);
    else slideAll(w, false, false);
  }
}

// @ts-ignore: decorator
@inline
function exportAll(
  w: usize, keysOut: usize, countOut: usize, sumOut: usize, minOut: usize, maxOut: usize, sumsqOut: usize,
  intValues: bool, mm: bool,
): u32 {
  const n = load<u32>(w, 16);
  const c = load<u32>(w, 20);
  const oldest = c + 1 == n ? 0 : c + 1;
  const ps = paneSizeOf(mm);
  const high = load<u32>(w, 52);
  const hdr = <usize>load<u32>(w, 40);
  const panes = <usize>load<u32>(w, 44);
  const cap = load<u32>(w, 48);
  const keys32 = load<u32>(w, 0) == KEY_U32;
  let o: usize = 0;
  for (let ri: u32 = 0; ri < high; ri++) {
    const r = hdr + <usize>ri * HDR;
    if (load<u32>(r, 12) == 0) continue;
    const pc = paneAt(panes, cap, c, ri, ps);
    const o8 = o << 3;
    if (keysOut) {
      if (keys32) store<u32>(keysOut + (o << 2), load<u32>(r));
      else store<u64>(keysOut + o8, load<u64>(r));
    }
    if (countOut) store<f64>(countOut + o8, <f64>(load<u64>(r, 16) + <u64>load<u32>(pc)));
    if (intValues) {
      if (sumOut) store<i64>(sumOut + o8, load<i64>(r, 24) + load<i64>(pc, 8));
      if (sumsqOut) {
        const q = load<f64>(r, 32) + load<f64>(pc, 16);
        store<f64>(sumsqOut + o8, q > 0 ? q : 0.0);
      }
    } else if (sumOut | sumsqOut) {
      const f = load<u32>(pc, 4);
      const nan = load<u32>(r, 40) + (f & F_NAN);
      const pinf = load<u32>(r, 44) + ((f & F_PINF) >>> 1);
      const ninf = load<u32>(r, 48) + ((f & F_NINF) >>> 2);
      if (sumOut) {
        let s: f64;
        if (nan | (pinf != 0 && ninf != 0 ? 1 : 0)) s = NaN;
        else if (pinf) s = Infinity;
        else if (ninf) s = -Infinity;
        else {
          s = load<f64>(r, 24) + load<f64>(pc, 8);
          if (s == 0) {
            const nnz = load<u32>(r, 52) + ((f & F_NNZ) >>> 3);
            s = nnz ? 0.0 : -0.0;
          }
        }
        store<f64>(sumOut + o8, s);
      }
      if (sumsqOut) {
        let q: f64;
        if (nan) q = NaN;
        else if (load<u32>(r, 56) + ((f & F_SQINF) >>> 4)) q = Infinity;
        else {
          q = load<f64>(r, 32) + load<f64>(pc, 16);
          q = q > 0 ? q : 0.0;
        }
        store<f64>(sumsqOut + o8, q);
      }
    }
    if (mm && (minOut | maxOut)) {
      let lo = load<u64>(r, 64);
      let hi = load<u64>(r, 72);
      if (load<u32>(r, 8) != 0) {
        const pf = paneAt(panes, cap, oldest, ri, ps);
        lo = minOf(load<u64>(pf, 40), lo, intValues);
        hi = maxOf(load<u64>(pf, 48), hi, intValues);
      }
      lo = minOf(lo, load<u64>(pc, 24), intValues);
      hi = maxOf(hi, load<u64>(pc, 32), intValues);
      if (minOut) store<u64>(minOut + o8, lo);
      if (maxOut) store<u64>(maxOut + o8, hi);
    }
    o++;
  }
  return <u32>o;
}

export function winExport(w: usize, keysOut: usize, countOut: usize, sumOut: usize, minOut: usize, maxOut: usize, sumsqOut: usize): u32 {
  assert(w != 0 && load<u32>(w, 64) == WIN_MAGIC, 'winExport: not a live window');
  const mask = load<u32>(w, 8);
  if (!(mask & COUNT)) countOut = 0;
  if (!(mask & SUM)) sumOut = 0;
  if (!(mask & MIN)) minOut = 0;
  if (!(mask & MAX)) maxOut = 0;
  if (!(mask & SUMSQ)) sumsqOut = 0;
  const intValues = load<u32>(w, 4) != VAL_F64;
  const mm = load<u32>(w, 12) != 0;
  if (intValues) {
    return mm
      ? exportAll(w, keysOut, countOut, sumOut, minOut, maxOut, sumsqOut, true, true)
      : exportAll(w, keysOut, countOut, sumOut, minOut, maxOut, sumsqOut, true, false);
  }
  return mm
    ? exportAll(w, keysOut, countOut, sumOut, minOut, maxOut, sumsqOut, false, true)
    : exportAll(w, keysOut, countOut, sumOut, minOut, maxOut, sumsqOut, false, false);
}
