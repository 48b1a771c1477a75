// Hashing.
//
// WASM has no 64x64->128 multiply, so wyhash/XXH3-style mixers lose their edge here; the
// murmur3 32-bit finalizer (fmix32) is a handful of shifts and two multiplies and passes
// SMHasher's avalanche tests, which is what hash partitioning and open addressing need.
// 64-bit keys use murmur3's fmix64 (i64 multiplies are native). Byte strings use xxHash32.

/** murmur3's fmix32: a bijective avalanche mix of a 32-bit key. */
// @ts-ignore: decorator
@inline
export function fmix32(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

/** murmur3's fmix64. */
// @ts-ignore: decorator
@inline
export function fmix64(h: u64): u64 {
  h ^= h >>> 33;
  h *= 0xff51afd7ed558ccd;
  h ^= h >>> 33;
  h *= 0xc4ceb9fe1a85ec53;
  h ^= h >>> 33;
  return h;
}

/** fmix64 folded to 32 bits: the hash of a 64-bit key (u64 keys, f64 keys by normalised bits). */
// @ts-ignore: decorator
@inline
export function hash64(k: u64): u32 {
  const h = fmix64(k);
  return <u32>h ^ <u32>(h >>> 32);
}

/** The bits of an f64 key, normalised so that equality of bits is SameValueZero: -0 -> +0, every NaN -> one NaN. */
// @ts-ignore: decorator
@inline
export function f64KeyBits(x: f64): u64 {
  const bits = reinterpret<u64>(x + 0.0); // -0 + +0 = +0 in round-to-nearest
  return select<u64>(0x7ff8000000000000, bits, x != x);
}

/** Hashes `len` u32 keys at `keysPtr` into `len` u32 hashes at `outPtr` (four at a time). */
export function hashU32Batch(keysPtr: usize, len: i32, outPtr: usize): void {
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const off = <usize>i << 2;
    let h = v128.load(keysPtr + off);
    h = v128.xor(h, i32x4.shr_u(h, 16));
    h = i32x4.mul(h, i32x4.splat(0x85ebca6b));
    h = v128.xor(h, i32x4.shr_u(h, 13));
    h = i32x4.mul(h, i32x4.splat(0xc2b2ae35));
    h = v128.xor(h, i32x4.shr_u(h, 16));
    v128.store(outPtr + off, h);
  }
  for (; i < len; i++) {
    const off = <usize>i << 2;
    store<u32>(outPtr + off, fmix32(load<u32>(keysPtr + off)));
  }
}

// ---- xxHash32 (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md)

// @ts-ignore: decorator
@inline const P1: u32 = 0x9e3779b1;
// @ts-ignore: decorator
@inline const P2: u32 = 0x85ebca77;
// @ts-ignore: decorator
@inline const P3: u32 = 0xc2b2ae3d;
// @ts-ignore: decorator
@inline const P4: u32 = 0x27d4eb2f;
// @ts-ignore: decorator
@inline const P5: u32 = 0x165667b1;

/** xxHash32 of `len` bytes at `ptr`. */
// @ts-ignore: decorator
@inline
export function xxh32Inline(ptr: usize, len: usize, seed: u32): u32 {
  const end = ptr + len;
  let p = ptr;
  let h: u32;
  if (len >= 16) {
    // Four independent scalar accumulators. (One v128 holding v1..v4 measured 1.7x slower:
    // each 16-byte stripe then chains two i32x4.mul, which x86 runs as pmulld, ~10 cycles of
    // latency, while four scalar imul chains overlap.)
    let v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    const limit = end - 16;
    do {
      v1 = rotl<u32>(v1 + load<u32>(p) * P2, 13) * P1;
      v2 = rotl<u32>(v2 + load<u32>(p, 4) * P2, 13) * P1;
      v3 = rotl<u32>(v3 + load<u32>(p, 8) * P2, 13) * P1;
      v4 = rotl<u32>(v4 + load<u32>(p, 12) * P2, 13) * P1;
      p += 16;
    } while (p <= limit);
    h = rotl<u32>(v1, 1) + rotl<u32>(v2, 7) + rotl<u32>(v3, 12) + rotl<u32>(v4, 18);
  } else {
    h = seed + P5;
  }
  h += <u32>len;
  while (p + 4 <= end) {
    h += load<u32>(p) * P3;
    h = rotl<u32>(h, 17) * P4;
    p += 4;
  }
  while (p < end) {
    h += <u32>load<u8>(p) * P5;
    h = rotl<u32>(h, 11) * P1;
    p++;
  }
  h ^= h >>> 15;
  h *= P2;
  h ^= h >>> 13;
  h *= P3;
  h ^= h >>> 16;
  return h;
}

export function xxh32(ptr: usize, len: usize, seed: u32): u32 {
  return xxh32Inline(ptr, len, seed);
}

/** xxHash32 of each string of an Arrow Utf8 column (i32 offsets[n + 1], bytes) into u32 out[n]. */
export function hashUtf8Batch(offsetsPtr: usize, dataPtr: usize, n: i32, seed: u32, outPtr: usize): void {
  let start = load<i32>(offsetsPtr);
  for (let i = 0; i < n; i++) {
    const end = load<i32>(offsetsPtr + ((<usize>i + 1) << 2));
    store<u32>(outPtr + (<usize>i << 2), xxh32Inline(dataPtr + <usize>start, <usize>(end - start), seed));
    start = end;
  }
}
