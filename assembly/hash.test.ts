// Unit tests of the hashing kernels (assembly/hash.ts), on the release and debug builds.
import { describe, expect, test } from 'vitest';
import { TARGETS, fmix32, freeAll, kernels, prng, utf8Column, xxh32Ref } from './test-helpers.js';

const PRIME32 = 2654435761;

/** xxHash's sanity buffer (xsum_sanity_check.c): byte i = top byte of PRIME32 * PRIME64^i mod 2^64. */
function sanityBuffer(len: number): Uint8Array {
  const out = new Uint8Array(len);
  let gen = BigInt(PRIME32);
  for (let i = 0; i < len; i++) {
    out[i] = Number(gen >> 56n);
    gen = (gen * 11400714785074694797n) & 0xffffffffffffffffn;
  }
  return out;
}

// xxHash's own XXH32 vectors over the sanity buffer (len, seed, hash).
const SANITY_VECTORS: [number, number, number][] = [
  [0, 0, 0x02cc5d05],
  [0, PRIME32, 0x36b78ae7],
  [1, 0, 0xcf65b03e],
  [1, PRIME32, 0xb4545aa4],
  [4, 0, 0xa9de7ce9],
  [4, PRIME32, 0x2baafe83],
  [14, 0, 0x1208e7e2],
  [14, PRIME32, 0x6af1d1fe],
  [16, 0, 0x93ba3759],
  [16, PRIME32, 0xa94fc1e1],
  [17, 0, 0x89fdc23e],
  [17, PRIME32, 0xc9910739],
  [32, 0, 0xd89829ec],
  [32, PRIME32, 0xa5c44467],
  [222, 0, 0x5bd11dbd],
  [222, PRIME32, 0x58803c5f],
  [2367, 0, 0x4c8a9773],
  [2367, PRIME32, 0x6d5366f6],
];

// Published vectors over text (python-xxhash, HashDepot, xxHash-Swift, js-xxhash).
const TEXT_VECTORS: [string, number, number][] = [
  ['', 1, 0x0b2cb792],
  ['a', 0, 0x550d7456],
  ['123', 0, 0xb6855437],
  ['1234', 0, 0x01543429],
  ['123456789012345', 0, 0xda7b17e8],
  ['123456789ABCDEF', 0x7fffffff, 0xa7f06f9d],
  ['1234567890123456123456789012345', 0, 0xf3556ecf],
  ['Nobody inspects the spammish repetition', 0, 0xe2293b2f],
  ['Nobody inspects the spammish repetition', 123, 0xfa7f6052],
  ['The quick brown fox jumps over the lazy dog', 0, 0xe85ea4de],
  ['I want an unsigned 32-bit seed!', 1, 0xd8d4b4ba],
  ['heiå', 0, 0xdb5abccc],
  ['\u03ba\u1f79\u03c3\u03bc\u03b5', 0, 0xd855f606], // κόσμε with U+1F79 (omicron with oxia), as in js-xxhash's test
];

describe.each(TARGETS)('hash kernels (%s build)', (target) => {
  test('hashU32 is murmur3 fmix32', async () => {
    const k = await kernels(target);
    // fmix32 fixes 0 and is a bijection; these vectors follow from its definition.
    expect(k.hashU32(0)).toBe(0);
    expect(k.hashU32(1)).toBe(0x514e28b7);
    for (const x of [1, 2, 42, 0x7fffffff, 0x80000000, 0xffffffff, 123456789]) {
      expect(k.hashU32(x)).toBe(fmix32(x));
    }
  });

  test('hashU32Batch hashes a column, four lanes at a time and the tail', async () => {
    const k = await kernels(target);
    for (const n of [0, 1, 3, 4, 5, 1000, 1003]) {
      const keys = new Uint32Array(n);
      for (let i = 0; i < n; i++) keys[i] = Math.imul(i, 2654435761) >>> 0;
      const kp = k.copyIn(keys);
      const out = k.allocArray(Uint32Array, n);
      k.hashU32Batch(kp, n, out);
      const got = k.copyOut(out, n, Uint32Array);
      for (let i = 0; i < n; i++) expect(got[i]).toBe(fmix32(keys[i]!));
      expect(new Set(got).size).toBe(n); // a bijection: distinct keys, distinct hashes
      freeAll(k, kp, out);
    }
  });

  test('xxh32 matches xxHash\'s sanity vectors', async () => {
    const k = await kernels(target);
    const buf = sanityBuffer(2367);
    const p = k.copyIn(buf);
    for (const [len, seed, want] of SANITY_VECTORS) {
      expect(k.xxh32(p, len, seed), `len ${len} seed ${seed}`).toBe(want);
      expect(xxh32Ref(buf.subarray(0, len), seed)).toBe(want); // the JS reference agrees too
    }
    k.free(p);
  });

  test('xxh32 matches published vectors over text, and 100 KB of 0xff', async () => {
    const k = await kernels(target);
    const enc = new TextEncoder();
    for (const [text, seed, want] of TEXT_VECTORS) {
      const bytes = enc.encode(text);
      const p = k.copyIn(bytes.length ? bytes : new Uint8Array(1));
      expect(k.xxh32(p, bytes.length, seed), JSON.stringify(text)).toBe(want);
      k.free(p);
    }
    const ff = new Uint8Array(100 * 1024).fill(0xff);
    const p = k.copyIn(ff);
    expect(k.xxh32(p, ff.length, 0)).toBe(0x81e25350);
    expect(k.xxh32(p, ff.length, 1)).toBe(0x483f2a90);
    expect(k.xxh32(p, ff.length, 0x7fffffff)).toBe(0x290e2cca);
    k.free(p);
  });

  test('xxh32 at every length 0..80 and every alignment agrees with the scalar reference', async () => {
    const k = await kernels(target);
    const r = prng(5);
    const buf = Uint8Array.from({ length: 100 }, () => Math.floor(r() * 256));
    const p = k.copyIn(buf);
    for (let start = 0; start < 8; start++) {
      for (let len = 0; len <= 80; len++) {
        expect(k.xxh32(p + start, len, 0x9747b28c)).toBe(xxh32Ref(buf.subarray(start, start + len), 0x9747b28c));
      }
    }
    k.free(p);
  });

  test('hashUtf8Batch hashes each string of an Arrow Utf8 column (sliced offsets, empty strings)', async () => {
    const k = await kernels(target);
    const r = prng(9);
    const strings = Array.from({ length: 500 }, (_, i) => (i % 7 === 0 ? '' : 'x'.repeat(Math.floor(r() * 40)) + String(i) + 'é'));
    const { offsets, bytes } = utf8Column(strings, 13); // offsets[0] = 13, as for a sliced array
    const op = k.copyIn(offsets);
    const dp = k.copyIn(bytes);
    const out = k.allocArray(Uint32Array, strings.length);
    k.hashUtf8Batch(op, dp, strings.length, 42, out);
    const got = k.copyOut(out, strings.length, Uint32Array);
    const enc = new TextEncoder();
    strings.forEach((s, i) => expect(got[i]).toBe(xxh32Ref(enc.encode(s), 42)));
    k.hashUtf8Batch(op, dp, 0, 42, out); // empty input: writes nothing, does not trap
    freeAll(k, op, dp, out);
  });
});
