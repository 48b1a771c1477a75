// Hash partitioning: n rows -> P contiguous partitions, stable (rows keep their input order
// within a partition). Partition of a key: p = (hash * P) >>> 32 with hash = fmix32(key) for
// u32 keys, fmix64 folded to 32 bits for u64 keys and for f64 keys (normalised bits, so -0 and
// +0, and all NaNs, land together). The multiply-shift maps the hash onto [0, P) with no
// division and no branch.
//
// Three passes, none with a data-dependent branch:
//   1. histogram: offsets[p + 1]++ for every row
//   2. exclusive prefix sum in place: offsets[p + 1] = start of partition p
//   3. scatter: row goes to offsets[p + 1]++; afterwards offsets[p + 1] = end of p = start of
//      p + 1, and offsets[0] = 0, so offsets holds the P + 1 boundaries with no scratch memory.

import { KEY_U32, KEY_F64, VAL_I32, checkRange, keyAt, keyBytes, hashOf } from './common';

// @ts-ignore: decorator
@inline
function partOf<KIN>(keys: usize, i: usize, np: u64): usize {
  return <usize>((<u64>hashOf<KIN>(keyAt<KIN>(keys, i)) * np) >>> 32);
}

// @ts-ignore: decorator
@inline
function run<KIN>(keys: usize, vals: usize, n: i32, np: u32, keysOut: usize, valsOut: usize, vs: usize, offsets: usize): void {
  const count = <usize>n;
  const P = <u64>np;
  const ks: usize = sizeof<KIN>();
  memory.fill(offsets, 0, (<usize>np + 1) << 2);
  const hist = offsets + 4;
  for (let i: usize = 0; i < count; i++) {
    const c = hist + (partOf<KIN>(keys, i, P) << 2);
    store<u32>(c, load<u32>(c) + 1);
  }
  let acc: u32 = 0;
  for (let p: usize = 0; p < <usize>np; p++) {
    const c = hist + (p << 2);
    const x = load<u32>(c);
    store<u32>(c, acc);
    acc += x;
  }
  if (valsOut == 0 || vals == 0) {
    for (let i: usize = 0; i < count; i++) {
      const c = hist + (partOf<KIN>(keys, i, P) << 2);
      const at = <usize>load<u32>(c);
      store<u32>(c, <u32>at + 1);
      if (ks == 4) store<u32>(keysOut + (at << 2), load<u32>(keys + (i << 2)));
      else store<u64>(keysOut + (at << 3), load<u64>(keys + (i << 3)));
    }
  } else if (vs == 8) {
    for (let i: usize = 0; i < count; i++) {
      const c = hist + (partOf<KIN>(keys, i, P) << 2);
      const at = <usize>load<u32>(c);
      store<u32>(c, <u32>at + 1);
      if (ks == 4) store<u32>(keysOut + (at << 2), load<u32>(keys + (i << 2)));
      else store<u64>(keysOut + (at << 3), load<u64>(keys + (i << 3)));
      store<u64>(valsOut + (at << 3), load<u64>(vals + (i << 3)));
    }
  } else {
    for (let i: usize = 0; i < count; i++) {
      const c = hist + (partOf<KIN>(keys, i, P) << 2);
      const at = <usize>load<u32>(c);
      store<u32>(c, <u32>at + 1);
      if (ks == 4) store<u32>(keysOut + (at << 2), load<u32>(keys + (i << 2)));
      else store<u64>(keysOut + (at << 3), load<u64>(keys + (i << 3)));
      store<u32>(valsOut + (at << 2), load<u32>(vals + (i << 2)));
    }
  }
}

function runU32(k: usize, v: usize, n: i32, np: u32, ko: usize, vo: usize, vs: usize, off: usize): void { run<u32>(k, v, n, np, ko, vo, vs, off); }
function runU64(k: usize, v: usize, n: i32, np: u32, ko: usize, vo: usize, vs: usize, off: usize): void { run<u64>(k, v, n, np, ko, vo, vs, off); }
function runF64(k: usize, v: usize, n: i32, np: u32, ko: usize, vo: usize, vs: usize, off: usize): void { run<f64>(k, v, n, np, ko, vo, vs, off); }

/**
 * Scatters n rows into P contiguous partitions of keysOut/valuesOut (element sizes as the
 * inputs; keys are copied bit for bit) and writes the P + 1 partition start offsets (u32) to
 * offsetsOut. valuesPtr or valuesOut 0 partitions the keys alone.
 */
export function partition(
  keyKind: u32, valueKind: u32, keysPtr: usize, valuesPtr: usize, n: i32, numPartitions: u32,
  keysOut: usize, valuesOut: usize, offsetsOut: usize,
): void {
  assert(numPartitions >= 1, 'partition: numPartitions must be >= 1');
  assert(keyKind <= KEY_F64 && valueKind <= VAL_I32, 'partition: bad key or value kind');
  if (n < 0) n = 0;
  const vs: usize = valueKind == VAL_I32 ? 4 : 8;
  const ks = keyBytes(keyKind);
  checkRange(keysPtr, <u64>n * ks);
  checkRange(keysOut, <u64>n * ks);
  checkRange(offsetsOut, (<u64>numPartitions + 1) << 2);
  if (valuesPtr != 0 && valuesOut != 0) {
    checkRange(valuesPtr, <u64>n * vs);
    checkRange(valuesOut, <u64>n * vs);
  }
  if (keyKind == KEY_U32) runU32(keysPtr, valuesPtr, n, numPartitions, keysOut, valuesOut, vs, offsetsOut);
  else if (keyKind == KEY_F64) runF64(keysPtr, valuesPtr, n, numPartitions, keysOut, valuesOut, vs, offsetsOut);
  else runU64(keysPtr, valuesPtr, n, numPartitions, keysOut, valuesOut, vs, offsetsOut);
}
