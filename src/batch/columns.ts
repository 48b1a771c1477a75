/**
 * The columnar form of a batch: pair records as a key column and a value column, the way Arrow
 * lays them out, so the WASM kernels aggregate them without a JS object per record. Tuples are
 * made from the columns only when someone asks for records (`collect`, `print`, a JS function).
 */
import { DataType, Precision, RecordBatch, Table, type Data, type Vector } from 'apache-arrow';
import { fmix32, hashUtf8, partitionOf } from './keys.js';

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

/** String.prototype.isWellFormed (Node 20; not in this TypeScript lib yet). */
type WellFormed = string & { isWellFormed(): boolean };

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

/**
 * True for the number types whose rows are the numbers (or bigints) of their buffer: Int32,
 * Uint32, Int64 and Float64, plus Float32 for values. Dates, times, timestamps, durations and
 * decimals also store integers, but their rows are other numbers (milliseconds, a bigint read as
 * a number, several words per value), so they take the row path.
 */
function isPlainNumber(t: DataType, asKey: boolean): boolean {
  if (DataType.isInt(t)) return t.bitWidth === 32 || (t.bitWidth === 64 && t.isSigned);
  if (DataType.isFloat(t)) return t.precision === Precision.DOUBLE || (!asKey && t.precision === Precision.SINGLE);
  return false;
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
  if (!isPlainNumber(t, true)) return undefined;
  const values = d.values as unknown;
  if (values instanceof Uint32Array) return { kind: 'u32', data: values.subarray(0, n) };
  if (values instanceof Int32Array) return { kind: 'i32', data: values.subarray(0, n) };
  if (values instanceof Float64Array) return { kind: 'f64', data: values.subarray(0, n) };
  if (values instanceof BigInt64Array) return { kind: 'i64', data: values.subarray(0, n) };
  return undefined;
}

function valueColumnOfArrow(v: Vector): ValueColumn | undefined {
  const d = singleChunk(v);
  if (!d || !isPlainNumber(d.type, false)) return undefined;
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
      // A lone surrogate has no UTF-8 form (it would become U+FFFD and merge with others): such keys stay on the JS path.
      if (typeof s !== 'string' || !(s as WellFormed).isWellFormed()) return undefined;
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

// ---- hash partitioning in columnar form ----

type NumberData = Float64Array | Float32Array | Int32Array | Uint32Array | BigInt64Array;
type Ids = Uint32Array | Int32Array;

/** Where each row goes: `pid[r]` for the r-th row of the live partitions, one after another. */
interface Route {
  readonly numPartitions: number;
  readonly pid: Uint32Array;
  /** Rows per output partition. */
  readonly sizes: Int32Array;
  /** Rows of each live input partition. */
  readonly lengths: readonly number[];
}

/**
 * The rows of `parts` hash-partitioned by key over `numPartitions` partitions, in columnar form:
 * each row goes to `partitionOf(keyAt(keys, i), numPartitions)`, the partition the row path
 * gives its `[key, value]` tuple, and rows keep their order within a partition. All
 * `numPartitions` partitions are returned, empty ones included. Keys are hashed from the columns
 * (a dictionary entry once, UTF-8 bytes without decoding them), so no tuple or object is made per
 * row. `undefined` when the non-empty partitions do not all have keys of one kind and values of
 * one kind (e.g. a union of batches of different types), which only the row path can combine.
 */
export function partitionColumns(parts: readonly PairColumns[], numPartitions: number): PairColumns[] | undefined {
  const live = parts.filter((p) => p.length > 0);
  const model = live[0] ?? parts[0];
  if (!model) return undefined;
  const shapes = live.length > 0 ? live : [model];
  if (!shapes.every((p) => p.keys.kind === model.keys.kind)) return undefined;
  const valueShape = valueShapeOf(model);
  if (valueShape === undefined || !shapes.every((p) => valueShapeOf(p) === valueShape)) return undefined;
  if (live.length === 1 && numPartitions === 1) return [model];

  let keys = live.map((p) => p.keys);
  if (model.keys.kind === 'dict' && live.length > 0) {
    const unified = unifyDictionaries(live);
    if (!unified) return undefined;
    keys = unified;
  }
  const lengths = live.map((p) => p.length);
  const route = routeRows(keys, lengths, numPartitions);
  const outKeys = scatterKeys(keys, model.keys, route);
  const outValues = scatterValues(live.map((p) => p.values), model.values, valueShape === 'keys only', route);
  return outKeys.map((k, p) => ({ length: route.sizes[p]!, keys: k, values: outValues[p]! }));
}

/** A value column's kind, 'keys only' for a count-only partition (no values), `undefined` when malformed. */
function valueShapeOf(p: PairColumns): string | undefined {
  const v = p.values;
  if (v.kind === 'stats') return [v.count, v.mean, v.min, v.max, v.stddev].every((c) => c.length >= p.length) ? 'stats' : undefined;
  if (v.data.length >= p.length) return v.kind;
  return v.data.length === 0 ? 'keys only' : undefined;
}

/**
 * Dictionary key columns over one dictionary: as they are when the partitions share theirs
 * (a kernel's results, one Arrow record batch), otherwise re-coded over the union of their
 * dictionaries (each Arrow record batch brings its own), each distinct string once.
 */
function unifyDictionaries(parts: readonly PairColumns[]): KeyColumn[] | undefined {
  const columns = parts.map((p) => p.keys as Extract<KeyColumn, { kind: 'dict' }>);
  const first = columns[0]!.dictionary;
  if (columns.every((c) => c.dictionary === first)) return columns;
  const dictionary: string[] = [];
  const index = new Map<string, number>();
  const recodings = new Map<readonly string[], Int32Array>();
  const out: KeyColumn[] = [];
  for (let c = 0; c < columns.length; c++) {
    const { ids, dictionary: own } = columns[c]!;
    let recode = recodings.get(own);
    if (!recode) {
      recode = new Int32Array(own.length);
      for (let j = 0; j < own.length; j++) {
        const s = own[j];
        if (typeof s !== 'string') {
          recode[j] = -1;
          continue;
        }
        let id = index.get(s);
        if (id === undefined) {
          id = dictionary.length;
          dictionary.push(s);
          index.set(s, id);
        }
        recode[j] = id;
      }
      recodings.set(own, recode);
    }
    const n = parts[c]!.length;
    const recoded = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const to = id >= 0 && id < recode.length ? recode[id]! : -1;
      // An id with no string (out of range, a hole) has the key undefined: left to the row path.
      if (to < 0) return undefined;
      recoded[i] = to;
    }
    out.push({ kind: 'dict', ids: recoded, dictionary });
  }
  return out;
}

/** The output partition of every row, and the size of every output partition. */
function routeRows(keys: readonly KeyColumn[], lengths: readonly number[], numPartitions: number): Route {
  let total = 0;
  for (const n of lengths) total += n;
  const pid = new Uint32Array(total);
  const sizes = new Int32Array(numPartitions);
  if (numPartitions === 1) {
    sizes[0] = total;
    return { numPartitions, pid, sizes, lengths };
  }
  const n = numPartitions;
  // Keys whose hash goes through a string (fractions, bigints, dictionary entries): once per key.
  const memo = new Map<unknown, number>();
  const slow = (key: unknown): number => {
    let p = memo.get(key);
    if (p === undefined) {
      p = partitionOf(key, n);
      memo.set(key, p);
    }
    return p;
  };
  let homes: { dictionary: readonly string[]; of: Int32Array } | undefined;
  let r = 0;
  keys.forEach((column, c) => {
    const len = lengths[c]!;
    switch (column.kind) {
      case 'u32': {
        const data = column.data;
        for (let i = 0; i < len; i++) pid[r++] = fmix32(data[i]!) % n;
        break;
      }
      case 'i32': {
        const data = column.data;
        for (let i = 0; i < len; i++) pid[r++] = fmix32(data[i]! >>> 0) % n;
        break;
      }
      case 'f64': {
        // hashKey: integers in [-2^31, 2^32) hash as their uint32 bits, other numbers as strings.
        const data = column.data;
        for (let i = 0; i < len; i++) {
          const k = data[i]!;
          pid[r++] = Number.isInteger(k) && k >= -0x80000000 && k <= 0xffffffff ? fmix32(k >>> 0) % n : slow(k);
        }
        break;
      }
      case 'i64': {
        const data = column.data;
        for (let i = 0; i < len; i++) pid[r++] = slow(data[i]!);
        break;
      }
      case 'utf8': {
        // hashKey hashes a string's UTF-8 bytes: the column's own, unless decoding would change
        // them (a leading BOM is dropped, ill-formed bytes replaced), where the string is used.
        const { offsets, bytes } = column;
        for (let i = 0; i < len; i++) {
          const start = offsets[i]!;
          const end = offsets[i + 1]!;
          pid[r++] = decodesToItself(bytes, start, end) ? hashUtf8(bytes, start, end) % n : partitionOf(keyAt(column, i), n);
        }
        break;
      }
      case 'dict': {
        // Once per dictionary entry, remembered by id (by string when the dictionary, e.g. a
        // long-running stream's, is much bigger than the batch).
        const { ids, dictionary } = column;
        if (homes?.dictionary !== dictionary && dictionary.length <= 4 * total + 1024) {
          homes = { dictionary, of: new Int32Array(dictionary.length).fill(-1) };
        }
        const of = homes?.dictionary === dictionary ? homes.of : undefined;
        for (let i = 0; i < len; i++) {
          const id = ids[i]!;
          if (!(id >= 0 && id < dictionary.length)) pid[r++] = partitionOf(undefined, n);
          else if (!of) pid[r++] = slow(dictionary[id]);
          else {
            let p = of[id]!;
            if (p < 0) p = of[id] = partitionOf(dictionary[id], n);
            pid[r++] = p;
          }
        }
        break;
      }
    }
  });
  for (let i = 0; i < total; i++) sizes[pid[i]!]!++;
  return { numPartitions, pid, sizes, lengths };
}

/**
 * True when `bytes[start, end)` is well-formed UTF-8 with no leading BOM, so that decoding it
 * (as `keyAt` does) and encoding the string again gives these bytes back.
 */
function decodesToItself(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) return false;
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // The well-formed sequences of the Unicode standard (table 3-7): no overlong forms, no
    // surrogates, nothing above U+10FFFF.
    let more: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) more = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      more = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      more = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return false;
    if (i + more >= end) return false;
    const b1 = bytes[i + 1]!;
    if (b1 < lo || b1 > hi) return false;
    for (let j = 2; j <= more; j++) {
      const c = bytes[i + j]!;
      if (c < 0x80 || c > 0xbf) return false;
    }
    i += more + 1;
  }
  return true;
}

/** Copies row r of the sources to the next free slot of its partition's output. */
function scatter(sources: readonly ArrayLike<number | bigint>[], outs: readonly { [i: number]: number | bigint }[], route: Route): void {
  const { pid, lengths } = route;
  const at = new Int32Array(route.numPartitions);
  let r = 0;
  sources.forEach((src, s) => {
    const len = lengths[s]!;
    for (let i = 0; i < len; i++) {
      const p = pid[r++]!;
      outs[p]![at[p]!++] = src[i]!;
    }
  });
}

function scatterNumbers<D extends NumberData>(sources: readonly D[], like: D, route: Route): D[] {
  const make = like.constructor as new (length: number) => D;
  const outs = Array.from(route.sizes, (size) => new make(size));
  scatter(sources, outs, route);
  return outs;
}

function scatterKeys(keys: readonly KeyColumn[], model: KeyColumn, route: Route): KeyColumn[] {
  switch (model.kind) {
    case 'u32':
    case 'i32':
    case 'f64':
    case 'i64': {
      const data = keys.map((k) => (k as { data: NumberData }).data);
      return scatterNumbers(data, model.data, route).map((d) => ({ kind: model.kind, data: d }) as KeyColumn);
    }
    case 'dict': {
      const columns = keys as readonly Extract<KeyColumn, { kind: 'dict' }>[];
      const ids = columns.map((c) => c.ids);
      const like: Ids = ids.every((x) => x instanceof Uint32Array) ? new Uint32Array(0) : new Int32Array(0);
      const dictionary = columns[0]?.dictionary ?? model.dictionary;
      return scatterNumbers<Ids>(ids, like, route).map((d) => ({ kind: 'dict', ids: d, dictionary }));
    }
    case 'utf8':
      return scatterUtf8(keys as readonly Extract<KeyColumn, { kind: 'utf8' }>[], route);
  }
}

function scatterUtf8(columns: readonly Extract<KeyColumn, { kind: 'utf8' }>[], route: Route): KeyColumn[] {
  const { pid, lengths, numPartitions } = route;
  const byteSizes = new Float64Array(numPartitions);
  let r = 0;
  columns.forEach(({ offsets }, c) => {
    const len = lengths[c]!;
    for (let i = 0; i < len; i++) byteSizes[pid[r++]!]! += offsets[i + 1]! - offsets[i]!;
  });
  const outOffsets = Array.from(route.sizes, (size) => new Int32Array(size + 1));
  const outBytes = Array.from(byteSizes, (size) => new Uint8Array(size));
  const row = new Int32Array(numPartitions);
  r = 0;
  columns.forEach(({ offsets, bytes }, c) => {
    const len = lengths[c]!;
    for (let i = 0; i < len; i++) {
      const p = pid[r++]!;
      const start = offsets[i]!;
      const end = offsets[i + 1]!;
      const to = outBytes[p]!;
      const offs = outOffsets[p]!;
      const j = row[p]!++;
      // Byte by byte: a subarray to copy from would be an object per row.
      let at = offs[j]!;
      for (let b = start; b < end; b++) to[at++] = bytes[b]!;
      offs[j + 1] = at;
    }
  });
  return outOffsets.map((offsets, p) => ({ kind: 'utf8', offsets, bytes: outBytes[p]! }));
}

function scatterValues(values: readonly ValueColumn[], model: ValueColumn, keysOnly: boolean, route: Route): ValueColumn[] {
  if (model.kind === 'stats') {
    const stats = values as readonly Extract<ValueColumn, { kind: 'stats' }>[];
    const field = (name: 'count' | 'mean' | 'min' | 'max' | 'stddev') => scatterNumbers(stats.map((s) => s[name]), model[name], route);
    const count = field('count');
    const mean = field('mean');
    const min = field('min');
    const max = field('max');
    const stddev = field('stddev');
    return count.map((c, p) => ({ kind: 'stats', count: c, mean: mean[p]!, min: min[p]!, max: max[p]!, stddev: stddev[p]! }));
  }
  if (keysOnly) return Array.from(route.sizes, () => ({ ...model, data: model.data.subarray(0, 0) }) as ValueColumn);
  const data = values.map((v) => (v as { data: NumberData }).data);
  return scatterNumbers(data, model.data, route).map((d) => ({ kind: model.kind, data: d }) as ValueColumn);
}

/**
 * The partition with u32/i32 keys widened to f64 (the same JS numbers; other keys unchanged).
 * Keys that come from JS rows take the column kind their values allow (u32 when all are
 * non-negative integers), so batches of one stream may differ; state kept across batches, and
 * the partitions of one batch, need one kind, and f64 holds them all.
 */
export function withF64Keys(part: PairColumns): PairColumns {
  const keys = part.keys;
  if (keys.kind !== 'u32' && keys.kind !== 'i32') return part;
  return { length: part.length, keys: { kind: 'f64', data: Float64Array.from(keys.data) }, values: part.values };
}
