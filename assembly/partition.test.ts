// Unit tests of hash partitioning (assembly/partition.ts), on the release and debug builds.
import { describe, expect, test } from 'vitest';
import type { Kernels } from '../src/kernels/wasm.js';
import { TARGETS, f64KeyBits, fmix32, freeAll, hash64, kernels, partitionOfHash, prng } from './test-helpers.js';

const U32 = 0, U64 = 1, F64 = 2;
const VF64 = 0, VI64 = 1, VI32 = 2;

type Keys = Uint32Array | BigUint64Array | Float64Array;
type Values = Float64Array | BigInt64Array | Int32Array;

function partOf(keyKind: number, key: number | bigint, p: number): number {
  if (keyKind === U32) return partitionOfHash(fmix32(key as number), p);
  if (keyKind === U64) return partitionOfHash(hash64(key as bigint), p);
  return partitionOfHash(hash64(f64KeyBits(key as number)), p);
}

/** Partitions with the kernel and checks it against the definition, row by row. */
function check(k: Kernels, keyKind: number, valueKind: number, keys: Keys, values: Values | undefined, p: number): Uint32Array {
  const n = keys.length;
  const kp = k.copyIn(keys.length ? keys : new Uint32Array(1));
  const vp = values ? k.copyIn(values.length ? values : new Uint32Array(1)) : 0;
  const ko = k.alloc(Math.max(1, keys.byteLength));
  const vo = values ? k.alloc(Math.max(1, values.byteLength)) : 0;
  const oo = k.allocArray(Uint32Array, p + 1);
  k.partition(keyKind, valueKind, kp, vp, n, p, ko, vo, oo);
  const offsets = k.copyOut(oo, p + 1, Uint32Array);
  const KeysCtor = keys.constructor as new (b: ArrayBufferLike, o: number, n: number) => Keys;
  const outKeys = (KeysCtor === Uint32Array ? k.copyOut(ko, n, Uint32Array) : keyKind === U64 ? k.copyOut(ko, n, BigUint64Array) : k.copyOut(ko, n, Float64Array)) as Keys;
  const outValues = values === undefined ? undefined : valueKind === VI32 ? k.copyOut(vo, n, Int32Array) : valueKind === VI64 ? k.copyOut(vo, n, BigInt64Array) : k.copyOut(vo, n, Float64Array);

  // Offsets: P + 1 non-decreasing boundaries from 0 to n, each partition's size its key count.
  expect(offsets[0]).toBe(0);
  expect(offsets[p]).toBe(n);
  const counts = new Array<number>(p).fill(0);
  for (let i = 0; i < n; i++) counts[partOf(keyKind, keys[i]!, p)]!++;
  for (let q = 0; q < p; q++) expect(offsets[q + 1]! - offsets[q]!).toBe(counts[q]);

  // Every row in the partition its hash says, bit for bit, in input order (stable).
  const expected: number[][] = Array.from({ length: p }, () => []);
  for (let i = 0; i < n; i++) expected[partOf(keyKind, keys[i]!, p)]!.push(i);
  let bad = 0;
  for (let q = 0; q < p; q++) {
    expected[q]!.forEach((row, j) => {
      const at = offsets[q]! + j;
      if (!Object.is(outKeys[at], keys[row]) && !(Number.isNaN(outKeys[at]) && Number.isNaN(keys[row]))) bad++;
      if (values && outValues![at] !== values[row] && !(Number.isNaN(outValues![at]) && Number.isNaN(values[row]))) bad++;
    });
  }
  expect(bad).toBe(0);
  freeAll(k, kp, vp, ko, vo, oo);
  return offsets;
}

describe.each(TARGETS)('partition (%s build)', (target) => {
  test('u32 keys with f64, i64 and i32 values, many partition counts', async () => {
    const k = await kernels(target);
    const r = prng(1);
    for (const p of [1, 2, 3, 7, 16, 64, 1000]) {
      const n = 5000;
      const keys = Uint32Array.from({ length: n }, () => Math.floor(r() * 4e9));
      check(k, U32, VF64, keys, Float64Array.from({ length: n }, () => r()), p);
      check(k, U32, VI64, keys, BigInt64Array.from({ length: n }, () => BigInt(Math.floor(r() * 1e15))), p);
      check(k, U32, VI32, keys, Int32Array.from({ length: n }, () => Math.floor(r() * 1e9)), p);
    }
  });

  test('u64 keys beyond 2^53 and f64 keys (-0 with +0, every NaN together)', async () => {
    const k = await kernels(target);
    const r = prng(2);
    const n = 4000;
    const u64 = BigUint64Array.from({ length: n }, () => (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32)));
    check(k, U64, VF64, u64, Float64Array.from({ length: n }, () => r()), 13);
    const specials = [-0, 0, NaN, Infinity, -Infinity, 5e-324];
    const f64 = Float64Array.from({ length: n }, () => (r() < 0.2 ? specials[Math.floor(r() * specials.length)]! : r() * 1e6));
    new BigUint64Array(f64.buffer)[7] = 0xfff8000000000001n; // another NaN
    const offsets = check(k, F64, VI32, f64, Int32Array.from({ length: n }, (_, i) => i), 8);
    expect(partOf(F64, -0, 8)).toBe(partOf(F64, 0, 8));
    expect(offsets.length).toBe(9);
  });

  test('keys alone (values 0), empty input, a single key flooded', async () => {
    const k = await kernels(target);
    const r = prng(3);
    check(k, U32, VF64, Uint32Array.from({ length: 3000 }, () => Math.floor(r() * 100)), undefined, 5);
    const empty = check(k, U32, VF64, new Uint32Array(0), new Float64Array(0), 4);
    expect(Array.from(empty)).toEqual([0, 0, 0, 0, 0]);
    const n = 1 << 20;
    const offsets = check(k, U32, VI32, new Uint32Array(n).fill(12345), Int32Array.from({ length: n }, (_, i) => i), 16);
    const q = partOf(U32, 12345, 16);
    expect(offsets[q + 1]! - offsets[q]!).toBe(n);
  });

  test('partition counts are spread evenly by the multiply-shift', async () => {
    const k = await kernels(target);
    const n = 1 << 16;
    const offsets = check(k, U32, VF64, Uint32Array.from({ length: n }, (_, i) => i), Float64Array.from({ length: n }, (_, i) => i), 32);
    for (let q = 0; q < 32; q++) expect(Math.abs(offsets[q + 1]! - offsets[q]! - n / 32)).toBeLessThan(n / 32 / 10);
  });
});
