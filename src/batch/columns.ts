/**
 * The columnar form of a batch: pair records as a key column and a value column, the way Arrow
 * lays them out, so the WASM kernels aggregate them without a JS object per record. Tuples are
 * made from the columns only when someone asks for records (`collect`, `print`, a JS function).
 */
import { DataType, RecordBatch, Table, type Data, type Vector } from 'apache-arrow';

/** A column of keys. Strings are either Arrow Utf8 (offsets + bytes) or dictionary ids. */
export type KeyColumn =
  | { readonly kind: 'u32'; readonly data: Uint32Array }
  | { readonly kind: 'i32'; readonly data: Int32Array }
  | { readonly kind: 'f64'; readonly data: Float64Array }
  | { readonly kind: 'i64'; readonly data: BigInt64Array }
  /** UTF-8 strings: string i is bytes[offsets[i], offsets[i + 1]). offsets[0] need not be 0. */
  | { readonly kind: 'utf8'; readonly offsets: Int32Array; readonly bytes: Uint8Array }
  /** Dictionary-encoded strings: key i is dictionary[ids[i]]. */
  | { readonly kind: 'dict'; readonly ids: Uint32Array | Int32Array; readonly dictionary: readonly string[] };

/** A column of values; `stats` results are five parallel columns. */
export type ValueColumn =
  | { readonly kind: 'f64'; readonly data: Float64Array }
  | { readonly kind: 'f32'; readonly data: Float32Array }
  | { readonly kind: 'i32'; readonly data: Int32Array }
  | { readonly kind: 'u32'; readonly data: Uint32Array }
  | { readonly kind: 'i64'; readonly data: BigInt64Array }
  | {
      readonly kind: 'stats';
      readonly count: Float64Array;
      readonly mean: Float64Array;
      readonly min: Float64Array;
      readonly max: Float64Array;
      readonly stddev: Float64Array;
    };

/** One partition of a pair batch in columnar form. */
export interface PairColumns {
  readonly length: number;
  readonly keys: KeyColumn;
  readonly values: ValueColumn;
}

const decoder = new TextDecoder();

/** The key of row `i`, as a JS value (number, bigint or string). */
export function keyAt(keys: KeyColumn, i: number): unknown {
  switch (keys.kind) {
    case 'utf8':
      return decoder.decode(keys.bytes.subarray(keys.offsets[i]!, keys.offsets[i + 1]!));
    case 'dict':
      return keys.dictionary[keys.ids[i]!];
    default:
      return keys.data[i];
  }
}

/** The value of row `i`, as a JS value (number, bigint, or a `Stats` object). */
export function valueAt(values: ValueColumn, i: number): unknown {
  if (values.kind === 'stats') {
    return { count: values.count[i]!, mean: values.mean[i]!, min: values.min[i]!, max: values.max[i]!, stddev: values.stddev[i]! };
  }
  return values.data[i];
}

/** The `[key, value]` tuples of a partition. */
export function pairsOf(part: PairColumns): [unknown, unknown][] {
  const out = new Array<[unknown, unknown]>(part.length);
  for (let i = 0; i < part.length; i++) out[i] = [keyAt(part.keys, i), valueAt(part.values, i)];
  return out;
}

/** Arrow's Table/RecordBatch: a batch of rows, and a pair batch when its columns are `key` and `value`. */
export type ArrowBatch = Table | RecordBatch;

export function isArrow(x: unknown): x is ArrowBatch {
  return x instanceof Table || x instanceof RecordBatch;
}

/**
 * The partitions (one per record batch) of an Arrow table with columns `key` and `value` in
 * columnar form, or `undefined` when it is not such a table or a column has a type or nulls the
 * kernels do not take (its rows are then used as they are).
 */
export function pairColumnsOfArrow(arrow: ArrowBatch): PairColumns[] | undefined {
  const batches = arrow instanceof Table ? arrow.batches : [arrow];
  const names = arrow.schema.fields.map((f) => f.name);
  if (names.length !== 2 || !names.includes('key') || !names.includes('value')) return undefined;
  const parts: PairColumns[] = [];
  for (const b of batches) {
    if (b.numRows === 0) continue;
    const keys = keyColumnOfArrow(b.getChild('key')!);
    const values = valueColumnOfArrow(b.getChild('value')!);
    if (!keys || !values) return undefined;
    parts.push({ length: b.numRows, keys, values });
  }
  return parts;
}

function singleChunk(v: Vector): Data | undefined {
  return v.data.length === 1 && v.nullCount === 0 ? v.data[0] : undefined;
}

function keyColumnOfArrow(v: Vector): KeyColumn | undefined {
  const d = singleChunk(v);
  if (!d) return undefined;
  const t = d.type;
  const n = d.length;
  if (DataType.isUtf8(t)) return { kind: 'utf8', offsets: (d.valueOffsets as Int32Array).subarray(0, n + 1), bytes: d.values as Uint8Array };
  if (DataType.isDictionary(t) && DataType.isUtf8(t.dictionary) && d.dictionary) {
    const ids = d.values as Int32Array | Uint32Array;
    if (!(ids instanceof Int32Array || ids instanceof Uint32Array)) return undefined;
    return { kind: 'dict', ids: ids.subarray(0, n), dictionary: d.dictionary.toArray() as string[] };
  }
  const values = d.values as unknown;
  if (values instanceof Uint32Array) return { kind: 'u32', data: values.subarray(0, n) };
  if (values instanceof Int32Array) return { kind: 'i32', data: values.subarray(0, n) };
  if (values instanceof Float64Array) return { kind: 'f64', data: values.subarray(0, n) };
  if (values instanceof BigInt64Array) return { kind: 'i64', data: values.subarray(0, n) };
  return undefined;
}

function valueColumnOfArrow(v: Vector): ValueColumn | undefined {
  const d = singleChunk(v);
  if (!d) return undefined;
  const values = d.values as unknown;
  const n = d.length;
  if (values instanceof Float64Array) return { kind: 'f64', data: values.subarray(0, n) };
  if (values instanceof Float32Array) return { kind: 'f32', data: values.subarray(0, n) };
  if (values instanceof Int32Array) return { kind: 'i32', data: values.subarray(0, n) };
  if (values instanceof Uint32Array) return { kind: 'u32', data: values.subarray(0, n) };
  if (values instanceof BigInt64Array) return { kind: 'i64', data: values.subarray(0, n) };
  return undefined;
}

/** The rows of any Arrow table: `[key, value]` tuples for a key/value table, plain objects otherwise. */
export function rowsOfArrow(arrow: ArrowBatch): unknown[][] {
  const batches = arrow instanceof Table ? arrow.batches : [arrow];
  const names = arrow.schema.fields.map((f) => f.name);
  const isPair = names.length === 2 && names.includes('key') && names.includes('value');
  return batches.map((b) => {
    const rows: unknown[] = [];
    for (let i = 0; i < b.numRows; i++) {
      const row = b.get(i)!;
      rows.push(isPair ? [row.key, row.value] : row.toJSON());
    }
    return rows;
  });
}

const encoder = new TextEncoder();

/**
 * A key column holding `keys` (numbers, bigints or strings, all of one type), or `undefined`
 * when they are of another type (objects, tuples, mixed), which only the JS path handles.
 */
export function keyColumnOf(keys: readonly unknown[]): KeyColumn | undefined {
  const n = keys.length;
  if (n === 0) return { kind: 'u32', data: new Uint32Array(0) };
  const first = keys[0];
  if (typeof first === 'string') {
    const offsets = new Int32Array(n + 1);
    let bytes = new Uint8Array(Math.max(64, n * 8));
    let used = 0;
    for (let i = 0; i < n; i++) {
      const s = keys[i];
      if (typeof s !== 'string') return undefined;
      if (bytes.length - used < s.length * 3) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, used + s.length * 3));
        grown.set(bytes.subarray(0, used));
        bytes = grown;
      }
      used += encoder.encodeInto(s, bytes.subarray(used)).written;
      offsets[i + 1] = used;
    }
    return { kind: 'utf8', offsets, bytes: bytes.subarray(0, used) };
  }
  if (typeof first === 'bigint') {
    const data = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      if (typeof k !== 'bigint') return undefined;
      data[i] = k;
    }
    return { kind: 'i64', data };
  }
  if (typeof first !== 'number') return undefined;
  let allU32 = true;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (typeof k !== 'number') return undefined;
    data[i] = k;
    // -0 fits u32 as 0, the key it equals (SameValueZero); fractions, negatives and NaN need f64.
    if (allU32 && !(k >= 0 && k <= 0xffffffff && Number.isInteger(k))) allU32 = false;
  }
  return allU32 ? { kind: 'u32', data: Uint32Array.from(data) } : { kind: 'f64', data };
}

/** A value column of numbers (f64) or bigints (i64), or `undefined` for anything else. */
export function valueColumnOf(values: readonly unknown[]): ValueColumn | undefined {
  const n = values.length;
  if (n > 0 && typeof values[0] === 'bigint') {
    const data = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'bigint') return undefined;
      data[i] = v;
    }
    return { kind: 'i64', data };
  }
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number') return undefined;
    data[i] = v;
  }
  return { kind: 'f64', data };
}

/** Pair rows as columns, or `undefined` when keys or values are not of a kernel type. */
export function pairColumnsOfRows(rows: readonly (readonly [unknown, unknown])[]): PairColumns | undefined {
  const keys = keyColumnOf(rows.map((r) => r[0]));
  const values = keys && valueColumnOf(rows.map((r) => r[1]));
  return keys && values ? { length: rows.length, keys, values } : undefined;
}

/** Records as a key column with no values (for counting), or `undefined` when not of a kernel type. */
export function keyOnlyColumnsOf(records: readonly unknown[]): PairColumns | undefined {
  const keys = keyColumnOf(records);
  return keys ? { length: records.length, keys, values: { kind: 'f64', data: new Float64Array(0) } } : undefined;
}
