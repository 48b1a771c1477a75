/**
 * Reading an aggregation table (or a window) back into columns: the keys in their original JS
 * form and the reducer's result as a value column. Only the aggregates the reducer needs are
 * exported.
 */
import { Agg, KeyKind, ValueKind, type KernelExports } from './abi.js';
import type { KeyColumn, PairColumns, ValueColumn } from '../batch/columns.js';
import type { Reducer } from '../reducers.js';
import { allocOrThrow, copyOut, keyBytes } from './transfer.js';

/** How keys went in, so they come out the same way. */
export type KeyForm = 'u32' | 'i32' | 'f64' | 'i64' | 'string';

/** The export function of a table or a window: (handle, keysOut, count, sum, min, max, sumsq) → n. */
export type ExportFn = (handle: number, keysOut: number, countOut: number, sumOut: number, minOut: number, maxOut: number, sumsqOut: number) => number;

/**
 * The entries of one table or window (`handle`, holding `size` keys), or of several that share
 * a key and value kind (key partitions of one operator's state: `handle` and `size` as arrays),
 * as one pair partition, the handles' entries one after another.
 */
export function exportColumns(
  k: KernelExports,
  exporter: ExportFn,
  handle: number | readonly number[],
  size: number | readonly number[],
  keyKind: KeyKind,
  keyForm: KeyForm,
  valueKind: ValueKind,
  reducer: Reducer<unknown, unknown>,
  strings: readonly string[] | undefined,
): PairColumns {
  const mask = reducer.aggMask;
  const handles = typeof handle === 'number' ? [handle] : handle;
  const sizes = typeof size === 'number' ? [size] : size;
  const total = sizes.reduce((a, b) => a + b, 0);
  const blocks: number[] = [];
  const out = (needed: boolean, bytes: number): number => {
    if (!needed) return 0;
    const ptr = allocOrThrow(k, total * bytes);
    blocks.push(ptr);
    return ptr;
  };
  try {
    const kb = keyBytes(keyKind);
    const keysOut = out(true, kb);
    const countOut = out((mask & Agg.COUNT) !== 0, 8);
    const sumOut = out((mask & Agg.SUM) !== 0, 8);
    const minOut = out((mask & Agg.MIN) !== 0, 8);
    const maxOut = out((mask & Agg.MAX) !== 0, 8);
    const sumsqOut = out((mask & Agg.SUMSQ) !== 0, 8);
    const at = (ptr: number, offset: number, bytes: number): number => (ptr === 0 ? 0 : ptr + offset * bytes);
    let n = 0;
    for (const h of handles) {
      n += exporter(h, at(keysOut, n, kb), at(countOut, n, 8), at(sumOut, n, 8), at(minOut, n, 8), at(maxOut, n, 8), at(sumsqOut, n, 8));
    }
    const integer = valueKind !== ValueKind.F64;
    const f64 = (ptr: number): Float64Array => copyOut(k, ptr, n, Float64Array);
    // Integer values come back as exact i64; i32 inputs are given back as numbers, as JS would sum them.
    const num = (ptr: number): Float64Array | BigInt64Array => {
      if (!integer) return f64(ptr);
      const exact = copyOut(k, ptr, n, BigInt64Array);
      return valueKind === ValueKind.I64 ? exact : Float64Array.from(exact, Number);
    };
    return { length: n, keys: keyColumn(k, keysOut, n, keyForm, strings), values: valueColumn(reducer, { countOut, sumOut, minOut, maxOut, sumsqOut }, f64, num) };
  } finally {
    for (const b of blocks) k.free(b);
  }
}

function keyColumn(k: KernelExports, ptr: number, n: number, form: KeyForm, strings: readonly string[] | undefined): KeyColumn {
  switch (form) {
    case 'u32':
      return { kind: 'u32', data: copyOut(k, ptr, n, Uint32Array) };
    case 'i32':
      return { kind: 'i32', data: copyOut(k, ptr, n, Int32Array) };
    case 'f64':
      return { kind: 'f64', data: copyOut(k, ptr, n, Float64Array) };
    case 'i64':
      return { kind: 'i64', data: copyOut(k, ptr, n, BigInt64Array) };
    case 'string':
      return { kind: 'dict', ids: copyOut(k, ptr, n, Uint32Array), dictionary: strings! };
  }
}

interface Outs {
  countOut: number;
  sumOut: number;
  minOut: number;
  maxOut: number;
  sumsqOut: number;
}

function valueColumn(
  reducer: Reducer<unknown, unknown>,
  o: Outs,
  f64: (ptr: number) => Float64Array,
  num: (ptr: number) => Float64Array | BigInt64Array,
): ValueColumn {
  const column = (data: Float64Array | BigInt64Array): ValueColumn => (data instanceof BigInt64Array ? { kind: 'i64', data } : { kind: 'f64', data });
  switch (reducer.name) {
    case 'sum':
      return column(num(o.sumOut));
    case 'count':
      return column(f64(o.countOut));
    case 'min':
      return column(num(o.minOut));
    case 'max':
      return column(num(o.maxOut));
    case 'mean': {
      const sums = num(o.sumOut);
      const counts = f64(o.countOut);
      return { kind: 'f64', data: Float64Array.from(counts, (c, i) => Number(sums[i]) / c) };
    }
    case 'stats': {
      const count = f64(o.countOut);
      const sums = num(o.sumOut);
      const sumsq = f64(o.sumsqOut);
      const mean = Float64Array.from(count, (c, i) => Number(sums[i]) / c);
      const stddev = Float64Array.from(count, (c, i) => Math.sqrt(Math.max(0, sumsq[i]! / c - mean[i]! * mean[i]!)));
      const asF64 = (a: Float64Array | BigInt64Array): Float64Array => (a instanceof BigInt64Array ? Float64Array.from(a, Number) : a);
      return { kind: 'stats', count, mean, min: asF64(num(o.minOut)), max: asF64(num(o.maxOut)), stddev };
    }
  }
  throw new TypeError(`Unknown reducer ${String(reducer.name)}`);
}

/** The key form of a column (strings are one form, whatever their Arrow encoding). */
export function keyFormOf(keys: KeyColumn): KeyForm {
  return keys.kind === 'utf8' || keys.kind === 'dict' ? 'string' : keys.kind;
}
