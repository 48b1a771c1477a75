import { describe, expect, it } from 'vitest';
import type { Schema } from '../../../src/sources/decode/decoder.js';
import { BinaryDecoder, recordWidth } from '../../../src/sources/decode/binary.js';
import { bytes, randomValues, reasons, rowsOf, tableDecoder, typesOf } from './helpers.js';

const ALL: Schema = { u8: 'u8', i8: 'i8', u16: 'u16', i16: 'i16', u32: 'u32', i32: 'i32', u64: 'u64', i64: 'i64', f32: 'f32', f64: 'f64', bool: 'bool' };
const SENSOR: Schema = { sensor: 'u32', ts: 'f64', value: 'f32' };

interface AllRow {
  u8: number;
  i8: number;
  u16: number;
  i16: number;
  u32: number;
  i32: number;
  u64: bigint;
  i64: bigint;
  f32: number;
  f64: number;
  bool: boolean;
}

/** Writes rows in the ALL layout (43 bytes each, little-endian), by hand. */
function encodeAll(rows: readonly AllRow[], boolByte = 1): Uint8Array {
  const buf = new Uint8Array(rows.length * 43);
  const dv = new DataView(buf.buffer);
  rows.forEach((r, k) => {
    let o = k * 43;
    dv.setUint8(o, r.u8);
    dv.setInt8(o + 1, r.i8);
    dv.setUint16(o + 2, r.u16, true);
    dv.setInt16(o + 4, r.i16, true);
    dv.setUint32(o + 6, r.u32, true);
    dv.setInt32(o + 10, r.i32, true);
    dv.setBigUint64(o + 14, r.u64, true);
    dv.setBigInt64(o + 22, r.i64, true);
    dv.setFloat32(o + 30, r.f32, true);
    dv.setFloat64(o + 34, r.f64, true);
    o += 42;
    dv.setUint8(o, r.bool ? boolByte : 0);
  });
  return buf;
}

describe('binary records', () => {
  it('has the schema-order, unpadded layout', () => {
    expect(recordWidth(ALL)).toBe(43);
    expect(recordWidth(SENSOR)).toBe(16);
    const d = tableDecoder({ format: 'binary', schema: SENSOR }) as unknown as BinaryDecoder;
    expect(d.width).toBe(16);
    // sensor = 1 (u32 at 0), ts = 2.0 (f64 at 4), value = -1.5 (f32 at 12), all little-endian.
    const raw = bytes(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0xc0, 0xbf);
    expect(rowsOf(d.decodeTable([raw]))).toEqual([{ sensor: 1, ts: 2, value: -1.5 }]);
  });

  it('round-trips many records of every fixed-width type, with extremes, in frames of any size', () => {
    const { rand, int, u64, i64, ints } = randomValues(3);
    const extremes: AllRow[] = [
      { u8: 255, i8: -128, u16: 65535, i16: -32768, u32: 0xffffffff, i32: -0x80000000, u64: 2n ** 64n - 1n, i64: -(2n ** 63n), f32: 3.4028234663852886e38, f64: Number.MAX_VALUE, bool: true },
      { u8: 0, i8: 127, u16: 0, i16: 32767, u32: 0, i32: 0x7fffffff, u64: 0n, i64: 2n ** 63n - 1n, f32: -0, f64: -5e-324, bool: false },
      { u8: 1, i8: -1, u16: 1, i16: -1, u32: 1, i32: -1, u64: 1n, i64: -1n, f32: Infinity, f64: -Infinity, bool: true },
    ];
    const rows: AllRow[] = [...extremes];
    for (let r = 0; r < 3000; r++) {
      rows.push({
        ...ints(),
        u64: u64(),
        i64: i64(),
        f32: Math.fround((rand() - 0.5) * 1e6),
        f64: (rand() - 0.5) * 10 ** int(-300, 300),
        bool: rand() < 0.5,
      });
    }
    // Frames of 1, 2, 7 and 500 records: small ones take the concatenating path, big ones not.
    const payloads: Uint8Array[] = [];
    const sizes = [1, 2, 7, 500];
    for (let at = 0, k = 0; at < rows.length; k++) {
      const n = sizes[k % sizes.length]!;
      payloads.push(encodeAll(rows.slice(at, at + n), k % 2 ? 1 : 0xff));
      at += n;
    }
    const d = tableDecoder({ format: 'binary', schema: ALL }).decodeTable(payloads);
    expect(reasons(d)).toEqual([]);
    expect(d.records).toBe(rows.length);
    expect(typesOf(d.table)).toEqual({ u8: 'Uint8', i8: 'Int8', u16: 'Uint16', i16: 'Int16', u32: 'Uint32', i32: 'Int32', u64: 'Uint64', i64: 'Int64', f32: 'Float32', f64: 'Float64', bool: 'Bool' });
    expect(rowsOf(d)).toEqual(rows);
    expect(Object.is(rowsOf(d)[1]!.f32, -0)).toBe(true);
    // One record per payload, all small: the same rows.
    const single = tableDecoder({ format: 'binary', schema: ALL }).decodeTable(rows.slice(0, 300).map((r) => encodeAll([r])));
    expect(rowsOf(single)).toEqual(rows.slice(0, 300));
  });

  it('reads payloads that are views at any offset of a larger buffer', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ sensor: i, ts: 1_700_000_000_000 + i, value: Math.fround(i / 3) }));
    const pool = new Uint8Array(3 + rows.length * 16 + 5);
    const dv = new DataView(pool.buffer, 3);
    rows.forEach((r, k) => {
      dv.setUint32(k * 16, r.sensor, true);
      dv.setFloat64(k * 16 + 4, r.ts, true);
      dv.setFloat32(k * 16 + 12, r.value, true);
    });
    const whole = pool.subarray(3, 3 + rows.length * 16);
    const big = tableDecoder({ format: 'binary', schema: SENSOR }).decodeTable([whole, whole]);
    expect(rowsOf(big)).toEqual([...rows, ...rows]);
    const small = tableDecoder({ format: 'binary', schema: SENSOR }).decodeTable(rows.map((_, k) => whole.subarray(k * 16, k * 16 + 16)));
    expect(rowsOf(small)).toEqual(rows);
  });

  it('makes a payload whose length is not a multiple of the record width malformed as a whole', () => {
    const good = new Uint8Array(32);
    new DataView(good.buffer).setUint32(16, 7, true);
    const bad = new Uint8Array(30);
    const d = tableDecoder({ format: 'binary', schema: SENSOR }).decodeTable([good, bad, new Uint8Array(0), good.subarray(16)]);
    expect(reasons(d)).toEqual(['binary: 30 bytes is not a multiple of the 16-byte record']);
    expect(d.malformed[0]!.raw).toBe(bad);
    expect(rowsOf(d).map((r) => r.sensor)).toEqual([0, 7, 7]);
  });

  it('makes an oversize payload malformed', () => {
    const big = new Uint8Array(48);
    const d = tableDecoder({ format: 'binary', schema: SENSOR, maxMessageBytes: 32 }).decodeTable([new Uint8Array(32), big]);
    expect(reasons(d)).toEqual(['oversize: 48 bytes > 32']);
    expect(d.malformed[0]!.raw).toBe(big);
    expect(d.records).toBe(2);
  });

  it('decodes no payloads to an empty table of the schema', () => {
    const d = tableDecoder({ format: 'binary', schema: SENSOR }).decodeTable([]);
    expect(d.records).toBe(0);
    expect(typesOf(d.table)).toEqual({ sensor: 'Uint32', ts: 'Float64', value: 'Float32' });
  });

  it('keeps a key/value layout columnar for the kernels, 64-bit keys included', () => {
    const buf = new Uint8Array(32);
    const dv = new DataView(buf.buffer);
    dv.setBigInt64(0, -5n, true);
    dv.setFloat64(8, 1.5, true);
    dv.setBigInt64(16, 2n ** 62n, true);
    dv.setFloat64(24, -2, true);
    const decoder = tableDecoder({ format: 'binary', schema: { key: 'i64', value: 'f64' } });
    const batch = decoder.decode([buf]).batch;
    expect(batch.columns?.[0]?.keys).toEqual({ kind: 'i64', data: BigInt64Array.of(-5n, 2n ** 62n) });
    expect(batch.collect()).toEqual([
      [-5n, 1.5],
      [2n ** 62n, -2],
    ]);
  });
});
