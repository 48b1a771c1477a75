/**
 * Format 'binary': fixed-width little-endian records laid out in schema order with no padding
 * (`{ sensor: 'u32', ts: 'f64', value: 'f32' }` is 16 bytes: sensor at 0, ts at 4, value at 12).
 * A payload carries any number of records back to back; one whose length is not a multiple of
 * the record width is malformed as a whole. bool is one byte (0 false, anything else true);
 * u64/i64 become bigint columns. Columns are read with a DataView, one field at a time.
 */
import { WIDTH, makeColumns, tableOf, toDecoded, type BigIntColumn, type BoolColumn, type NumberColumn } from './builders.js';
import type { Decoded, DecodedTable, Decoder, FieldType, ResolvedDecodeOptions, Schema } from './decoder.js';
import { MalformedList } from './malformed.js';

/** The width in bytes of one record of `schema` (which must not hold utf8 fields). */
export function recordWidth(schema: Schema): number {
  let w = 0;
  for (const t of Object.values(schema)) w += WIDTH[t as Exclude<FieldType, 'utf8'>];
  return w;
}

export class BinaryDecoder<T = unknown> implements Decoder<T> {
  readonly format = 'binary' as const;
  /** Bytes per record. */
  readonly width: number;
  private readonly types: readonly FieldType[];
  private readonly offsets: readonly number[];

  constructor(
    private readonly options: ResolvedDecodeOptions,
    private readonly schema: Schema,
  ) {
    this.types = Object.values(schema);
    const offsets: number[] = [];
    let w = 0;
    for (const t of this.types) {
      offsets.push(w);
      w += WIDTH[t as Exclude<FieldType, 'utf8'>];
    }
    this.offsets = offsets;
    this.width = w;
  }

  decode(payloads: readonly Uint8Array[]): Decoded<T> {
    return toDecoded<T>(this.decodeTable(payloads));
  }

  /** Decodes the payloads of one batch into an Arrow table. */
  decodeTable(payloads: readonly Uint8Array[]): DecodedTable {
    const malformed = new MalformedList(this.options.onMalformed);
    const max = this.options.maxMessageBytes;
    const width = this.width;
    let good: readonly Uint8Array[] = payloads;
    let total = 0;
    for (let k = 0; k < payloads.length; k++) {
      const p = payloads[k]!;
      const len = p.length;
      const count = Math.floor(len / width);
      let reason: string | undefined;
      if (len > max) reason = `oversize: ${len} bytes > ${max}`;
      else if (count * width !== len) reason = `binary: ${len} bytes is not a multiple of the ${width}-byte record`;
      if (reason === undefined) total += count;
      else {
        malformed.add(p, reason);
        if (good === payloads) good = payloads.slice(0, k);
        continue;
      }
      if (good !== payloads) (good as Uint8Array[]).push(p);
    }
    const cols = makeColumns(this.schema, total);
    // Small payloads (one record or a few each) are first copied into one buffer, so each field
    // is read by one loop over all records rather than a call per payload.
    const frames = good.length > 1 && total * width < good.length * SMALL_PAYLOAD_BYTES ? [concat(good, total * width)] : good;
    let row = 0;
    for (const p of frames) {
      const count = p.length / width;
      if (count === 0) continue;
      const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
      for (let f = 0; f < cols.length; f++) readField(this.types[f]!, cols[f]!, dv, this.offsets[f]!, width, row, count);
      row += count;
    }
    return { table: tableOf(cols, total), records: total, malformed: malformed.items };
  }
}

/** Average payload size under which payloads are concatenated before reading. */
const SMALL_PAYLOAD_BYTES = 256;

function concat(parts: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) {
    if (p.length < 32) for (let i = 0; i < p.length; i++) out[at + i] = p[i]!;
    else out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads field `type` at byte `offset` of `count` records of `width` bytes into rows from `row`. */
function readField(type: FieldType, col: unknown, dv: DataView, offset: number, width: number, row: number, count: number): void {
  const end = row + count;
  switch (type) {
    case 'u8': {
      const a = (col as NumberColumn).values;
      for (let r = row, o = offset; r < end; r++, o += width) a[r] = dv.getUint8(o);
      return;
    }
    case 'i8': {
      const a = (col as NumberColumn).values;
      for (let r = row, o = offset; r < end; r++, o += width) a[r] = dv.getInt8(o);
      return;
    }
    case 'u16': {
      const a = (col as NumberColumn).values;
      for (let r = row, o = offset; r < end; r++, o += width) a[r] = dv.getUint16(o, true);
      return;
    }
    case 'i16': {
      const a = (col as NumberColumn).values;
      for (let r = row, o = offset; r < end; r++, o += width) a[r] = dv.getInt16(o, true);
      return;
    }
    case 'u32': {
      const a = (col as NumberColumn).values;
      for (let r = row, o = offset; r < end; r++, o += width) a[r] = dv.getUint32(o, true);
      return;
    }
    case 'i32': {
      const a = (col as NumberColumn).values;
      for (let r = row, o = offset; r < end; r++, o += width) a[r] = dv.getInt32(o, true);
      return;
    }
    case 'f32': {
      const a = (col as NumberColumn).values;
      for (let r = row, o = offset; r < end; r++, o += width) a[r] = dv.getFloat32(o, true);
      return;
    }
    case 'f64': {
      const a = (col as NumberColumn).values;
      for (let r = row, o = offset; r < end; r++, o += width) a[r] = dv.getFloat64(o, true);
      return;
    }
    case 'u64': {
      const a = (col as BigIntColumn).values;
      for (let r = row, o = offset; r < end; r++, o += width) a[r] = dv.getBigUint64(o, true);
      return;
    }
    case 'i64': {
      const a = (col as BigIntColumn).values;
      for (let r = row, o = offset; r < end; r++, o += width) a[r] = dv.getBigInt64(o, true);
      return;
    }
    case 'bool': {
      const c = col as BoolColumn;
      for (let r = row, o = offset; r < end; r++, o += width) c.set(r, dv.getUint8(o) !== 0);
      return;
    }
    case 'utf8':
      throw new TypeError('utf8 fields cannot be in a binary record');
  }
}
