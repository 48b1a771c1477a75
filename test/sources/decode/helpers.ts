/** Helpers of the decoder suites. */
import type { Table } from 'apache-arrow';
import { prng } from '../../../bench/lib/random.js';
import type { Decoded, DecodedTable } from '../../../src/sources/decode/decoder.js';

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export const enc = (s: string): Uint8Array => encoder.encode(s);

/** Bytes from numbers (for invalid UTF-8 and binary data). */
export const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

/** Concatenated byte arrays. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The rows of a decoded table as plain objects (nulls as null, 64-bit integers as bigint). */
export function rowsOf(d: DecodedTable): Record<string, unknown>[] {
  return d.table ? d.table.toArray().map((r) => r.toJSON() as Record<string, unknown>) : [];
}

/** Field name → Arrow type name, e.g. `{ sensor: 'Uint32' }`. */
export function typesOf(table: Table | undefined): Record<string, string> {
  return Object.fromEntries((table?.schema.fields ?? []).map((f) => [f.name, String(f.type)]));
}

/**
 * Seeded random test values: `rand()` in [0, 1), `int(lo, hi)`, 64-bit integers, and `ints()`, a
 * value of each narrower integer type (`{ u8, i8, u16, i16, u32, i32 }`).
 */
export function randomValues(seed: number) {
  const rand = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const u64 = (): bigint => (BigInt(int(0, 0xffffffff)) << 32n) | BigInt(int(0, 0xffffffff));
  const ints = () => ({
    u8: int(0, 255),
    i8: int(-128, 127),
    u16: int(0, 65535),
    i16: int(-32768, 32767),
    u32: int(0, 0xffffffff),
    i32: int(-0x80000000, 0x7fffffff),
  });
  return { rand, int, u64, i64: (): bigint => BigInt.asIntN(64, u64()), ints };
}

/** The reasons of the malformed records. */
export const reasons = (d: DecodedTable | Decoded<unknown>): string[] => d.malformed.map((m) => m.reason);

import { createDecoder, isTableDecoder, type DecodeOptions, type TableDecoder } from '../../../src/sources/decode/decoder.js';

/** A decoder of a structured format, with `decodeTable`. */
export function tableDecoder(options: DecodeOptions): TableDecoder<unknown> {
  const d = createDecoder(options);
  if (!isTableDecoder(d)) throw new Error(`format ${options.format} has no decodeTable`);
  return d;
}
