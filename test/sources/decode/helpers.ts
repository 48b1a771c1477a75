/** Helpers of the decoder suites. */
import type { Table } from 'apache-arrow';
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

/** The reasons of the malformed records. */
export const reasons = (d: DecodedTable | Decoded<unknown>): string[] => d.malformed.map((m) => m.reason);

import { createDecoder, isTableDecoder, type DecodeOptions, type TableDecoder } from '../../../src/sources/decode/decoder.js';

/** A decoder of a structured format, with `decodeTable`. */
export function tableDecoder(options: DecodeOptions): TableDecoder<unknown> {
  const d = createDecoder(options);
  if (!isTableDecoder(d)) throw new Error(`format ${options.format} has no decodeTable`);
  return d;
}
