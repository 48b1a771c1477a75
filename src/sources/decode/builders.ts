/**
 * Column builders shared by the structured decoders: growable typed arrays written by row index,
 * so a decoder can write a record's fields in any order, overwrite a field given twice, and
 * abandon a malformed record simply by not committing its row (the next record reuses it).
 * Finished columns become Arrow `Data` without copying more than once.
 */
import {
  Bool,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  RecordBatch,
  Schema as ArrowSchema,
  Struct,
  Table,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  makeData,
  type Data,
  type DataType,
} from 'apache-arrow';
import { Batch } from '../../batch/batch.js';
import type { Decoded, DecodedTable, FieldType, Schema } from './decoder.js';

export type NumberArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** Type codes, so hot loops switch on small integers rather than strings. */
export enum Kind {
  U8,
  I8,
  U16,
  I16,
  U32,
  I32,
  F32,
  F64,
  U64,
  I64,
  Bool,
  Utf8,
}

export const KIND_OF: Readonly<Record<FieldType, Kind>> = {
  u8: Kind.U8,
  i8: Kind.I8,
  u16: Kind.U16,
  i16: Kind.I16,
  u32: Kind.U32,
  i32: Kind.I32,
  f32: Kind.F32,
  f64: Kind.F64,
  u64: Kind.U64,
  i64: Kind.I64,
  bool: Kind.Bool,
  utf8: Kind.Utf8,
};

/** Width in bytes of each fixed-width type (binary records; bool is one byte). */
export const WIDTH: Readonly<Record<Exclude<FieldType, 'utf8'>, number>> = {
  u8: 1,
  i8: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  f64: 8,
  u64: 8,
  i64: 8,
  bool: 1,
};

/** Inclusive ranges of the integer types up to 32 bits. */
export const INT_MIN: readonly number[] = [0, -128, 0, -32768, 0, -2147483648];
export const INT_MAX: readonly number[] = [255, 127, 65535, 32767, 4294967295, 2147483647];
export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;
export const U64_MAX = 2n ** 64n - 1n;

export function arrowType(type: FieldType): DataType {
  switch (type) {
    case 'u8':
      return new Uint8();
    case 'i8':
      return new Int8();
    case 'u16':
      return new Uint16();
    case 'i16':
      return new Int16();
    case 'u32':
      return new Uint32();
    case 'i32':
      return new Int32();
    case 'f32':
      return new Float32();
    case 'f64':
      return new Float64();
    case 'u64':
      return new Uint64();
    case 'i64':
      return new Int64();
    case 'bool':
      return new Bool();
    case 'utf8':
      return new Utf8();
  }
}

function numberArray(type: FieldType, n: number): NumberArray {
  switch (type) {
    case 'u8':
      return new Uint8Array(n);
    case 'i8':
      return new Int8Array(n);
    case 'u16':
      return new Uint16Array(n);
    case 'i16':
      return new Int16Array(n);
    case 'u32':
      return new Uint32Array(n);
    case 'i32':
      return new Int32Array(n);
    case 'f32':
      return new Float32Array(n);
    default:
      return new Float64Array(n);
  }
}

/** A validity bitmap with the given rows null, or undefined when none is. */
function nullBitmap(length: number, nulls: readonly number[]): Uint8Array | undefined {
  if (nulls.length === 0) return undefined;
  const bits = new Uint8Array((length + 7) >> 3).fill(0xff);
  for (const r of nulls) bits[r >> 3]! &= ~(1 << (r & 7));
  return bits;
}

/** The first `length` items: a view when little is unused, else a compact copy. */
function trimmed<A extends { length: number; slice(start: number, end: number): A; subarray(start: number, end: number): A }>(a: A, length: number): A {
  if (a.length === length) return a;
  return length >= a.length * 0.75 ? a.subarray(0, length) : a.slice(0, length);
}

/** Common to all builders: the rows committed as null. */
abstract class BaseColumn {
  /** Rows committed as null (rare: only missing or null fields). */
  nulls: number[] = [];
  constructor(
    readonly name: string,
    readonly type: FieldType,
    readonly kind: Kind,
  ) {}
  abstract grow(rows: number): void;
  /** Marks `row` null (the record's value, if any was written, is discarded). */
  abstract setNull(row: number): void;
  abstract finish(length: number): Data;
}

/** u8 … i32, f32, f64. */
export class NumberColumn extends BaseColumn {
  values: NumberArray;
  constructor(name: string, type: FieldType, capacity: number) {
    super(name, type, KIND_OF[type]);
    this.values = numberArray(type, capacity);
  }
  grow(rows: number): void {
    if (rows <= this.values.length) return;
    const v = numberArray(this.type, Math.max(rows, this.values.length * 2));
    v.set(this.values as never);
    this.values = v;
  }
  setNull(row: number): void {
    this.values[row] = 0;
    this.nulls.push(row);
  }
  finish(length: number): Data {
    const bitmap = nullBitmap(length, this.nulls);
    return makeData({
      type: arrowType(this.type) as Float64,
      length,
      nullCount: this.nulls.length,
      ...(bitmap ? { nullBitmap: bitmap } : {}),
      data: trimmed(this.values, length) as Float64Array,
    });
  }
}

/** u64 (BigUint64Array) and i64 (BigInt64Array). */
export class BigIntColumn extends BaseColumn {
  values: BigInt64Array | BigUint64Array;
  constructor(name: string, type: 'u64' | 'i64', capacity: number) {
    super(name, type, KIND_OF[type]);
    this.values = type === 'u64' ? new BigUint64Array(capacity) : new BigInt64Array(capacity);
  }
  grow(rows: number): void {
    if (rows <= this.values.length) return;
    const n = Math.max(rows, this.values.length * 2);
    const v = this.type === 'u64' ? new BigUint64Array(n) : new BigInt64Array(n);
    v.set(this.values as never);
    this.values = v;
  }
  setNull(row: number): void {
    this.values[row] = 0n;
    this.nulls.push(row);
  }
  finish(length: number): Data {
    const bitmap = nullBitmap(length, this.nulls);
    return makeData({
      type: arrowType(this.type) as Int64,
      length,
      nullCount: this.nulls.length,
      ...(bitmap ? { nullBitmap: bitmap } : {}),
      data: trimmed(this.values as BigInt64Array, length),
    });
  }
}

/** Booleans, as Arrow's bitmap. */
export class BoolColumn extends BaseColumn {
  bits: Uint8Array;
  constructor(name: string, capacity: number) {
    super(name, 'bool', Kind.Bool);
    this.bits = new Uint8Array((capacity + 7) >> 3);
  }
  grow(rows: number): void {
    const bytes = (rows + 7) >> 3;
    if (bytes <= this.bits.length) return;
    const b = new Uint8Array(Math.max(bytes, this.bits.length * 2));
    b.set(this.bits);
    this.bits = b;
  }
  set(row: number, value: boolean): void {
    if (value) this.bits[row >> 3]! |= 1 << (row & 7);
    else this.bits[row >> 3]! &= ~(1 << (row & 7));
  }
  setNull(row: number): void {
    this.set(row, false);
    this.nulls.push(row);
  }
  finish(length: number): Data {
    const bitmap = nullBitmap(length, this.nulls);
    return makeData({
      type: new Bool(),
      length,
      nullCount: this.nulls.length,
      ...(bitmap ? { nullBitmap: bitmap } : {}),
      data: trimmed(this.bits, (length + 7) >> 3),
    });
  }
}

/**
 * UTF-8 strings: row r's bytes are `bytes[offsets[r], offsets[r + 1])`. A value for row r is
 * written from `offsets[r]` on, its end kept in `end`; {@link commit} fixes it. Writing again
 * (a field given twice) starts over at `offsets[r]`.
 */
export class Utf8Column extends BaseColumn {
  offsets: Int32Array;
  bytes: Uint8Array;
  /** End of the value being written for the current row. */
  end = 0;
  constructor(name: string, capacity: number, byteCapacity = 64) {
    super(name, 'utf8', Kind.Utf8);
    this.offsets = new Int32Array(capacity + 1);
    this.bytes = new Uint8Array(Math.max(16, byteCapacity));
  }
  grow(rows: number): void {
    if (rows + 1 <= this.offsets.length) return;
    const o = new Int32Array(Math.max(rows + 1, this.offsets.length * 2));
    o.set(this.offsets);
    this.offsets = o;
  }
  /** Makes room for `n` more bytes after `from`; returns the byte array to write into. */
  reserve(from: number, n: number): Uint8Array {
    const need = from + n;
    if (need > this.bytes.length) {
      if (need > 0x7fffffff) throw new RangeError('A string column of one batch exceeds 2 GiB');
      const b = new Uint8Array(Math.max(need, Math.min(0x7fffffff, this.bytes.length * 2)));
      b.set(this.bytes.subarray(0, from));
      this.bytes = b;
    }
    return this.bytes;
  }
  /** Starts the value of `row`: returns the offset to write at. */
  start(row: number): number {
    return this.offsets[row]!;
  }
  /** Writes `src[from, to)` as the whole value of `row` (no unescaping). */
  setBytes(row: number, src: Uint8Array, from: number, to: number): void {
    const at = this.offsets[row]!;
    const bytes = this.reserve(at, to - from);
    if (to - from < 16) for (let i = from, j = at; i < to; i++, j++) bytes[j] = src[i]!;
    else bytes.set(src.subarray(from, to), at);
    this.end = at + (to - from);
  }
  /** Writes a JS string as the whole value of `row`. */
  setString(row: number, s: string): void {
    const at = this.offsets[row]!;
    const bytes = this.reserve(at, s.length * 3);
    let j = at;
    const n = s.length;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      bytes[j++] = c;
    }
    if (i < n) j += encoder.encodeInto(i === 0 ? s : s.slice(i), bytes.subarray(j)).written;
    this.end = j;
  }
  /** Fixes the value of `row` (written since its start) as its final value. */
  commit(row: number): void {
    this.offsets[row + 1] = this.end;
  }
  setNull(row: number): void {
    this.offsets[row + 1] = this.offsets[row]!;
    this.nulls.push(row);
  }
  /** Commits an empty string (not null) for `row`. */
  setEmpty(row: number): void {
    this.offsets[row + 1] = this.offsets[row]!;
  }
  finish(length: number): Data {
    const bitmap = nullBitmap(length, this.nulls);
    return makeData({
      type: new Utf8(),
      length,
      nullCount: this.nulls.length,
      ...(bitmap ? { nullBitmap: bitmap } : {}),
      valueOffsets: trimmed(this.offsets, length + 1),
      data: trimmed(this.bytes, this.offsets[length]!),
    });
  }
}

const encoder = new TextEncoder();

export type Column = NumberColumn | BigIntColumn | BoolColumn | Utf8Column;

export function makeColumn(name: string, type: FieldType, capacity: number): Column {
  switch (type) {
    case 'bool':
      return new BoolColumn(name, capacity);
    case 'utf8':
      return new Utf8Column(name, capacity);
    case 'u64':
    case 'i64':
      return new BigIntColumn(name, type, capacity);
    default:
      return new NumberColumn(name, type, capacity);
  }
}

export function makeColumns(schema: Schema, capacity: number): Column[] {
  return Object.entries(schema).map(([name, type]) => makeColumn(name, type, capacity));
}

/** An Arrow table of the finished columns (one record batch; columns nullable). */
export function tableOf(columns: readonly Column[], length: number): Table {
  const fields = columns.map((c) => new Field(c.name, arrowType(c.type), true));
  const schema = new ArrowSchema(fields);
  const children = columns.map((c) => c.finish(length));
  const data = makeData({ type: new Struct(fields), length, nullCount: 0, children });
  return new Table([new RecordBatch(schema, data)]);
}

/** The batch of a decoded table (an empty batch when there is no table yet). */
export function toDecoded<T>(d: DecodedTable): Decoded<T> {
  return { batch: d.table ? Batch.fromArrow<T>(d.table) : Batch.empty<T>(), records: d.records, malformed: d.malformed };
}
