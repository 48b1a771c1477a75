/**
 * Built-in reducers: `sum`, `count`, `min`, `max`, `mean` and `stats`. Passed to `reduceByKey`,
 * `reduceByKeyAndWindow`, `reduceByWindow` and friends instead of a function, they let Sluice run
 * the aggregation on its WebAssembly kernels (columnar input, no per-record JS objects). Each
 * also carries a plain-JS implementation with the same semantics, used for row batches whose
 * keys or values the kernels do not take (objects, tuples), so a reducer always works.
 *
 * Semantics match a JS fold over the values in arrival order: `sum` is `a + b` (so `-0` stays
 * `-0` and NaN propagates), `min`/`max` are `Math.min`/`Math.max` (NaN wins, `-0 < +0`); integer
 * values are summed exactly: Arrow Int32 as numbers, Arrow Int64 and JS bigints in 64-bit two's
 * complement (past 2^63 − 1 a sum wraps, as Spark's LongType does).
 */
import { Agg } from './kernels/abi.js';

/** The statistics `stats` computes per key. `stddev` is the population standard deviation. */
export interface Stats {
  count: number;
  mean: number;
  min: number;
  max: number;
  stddev: number;
}

/** Partial aggregate of the JS path: the columns a kernel table would keep. */
export interface Accumulator {
  count: number;
  sum: number;
  min: number;
  max: number;
  sumsq: number;
}

/** A built-in reducer from values `V` to results `R`. Create none yourself: use the exported ones. */
export interface Reducer<V, R> {
  readonly name: 'sum' | 'count' | 'min' | 'max' | 'mean' | 'stats';
  /** The aggregates (abi.ts `Agg` bits) a kernel table must keep for it. */
  readonly aggMask: number;
  /** Whether a window can drop a pane by subtracting it (sum, count, mean) rather than recombining. */
  readonly invertible: boolean;
  /** The result from the aggregates of a key's values (JS path and kernel exports alike). */
  finish(acc: Accumulator): R;
  /** Type witness only. */
  __types?(v: V): R;
}

const hasSum = (mask: number): boolean => (mask & Agg.SUM) !== 0;

/** The JS path: folds one value into an accumulator, keeping only what `mask` asks for. */
export function accumulate(acc: Accumulator | undefined, value: number, mask: number): Accumulator {
  if (acc === undefined) {
    return { count: 1, sum: value, min: value, max: value, sumsq: square(value) };
  }
  acc.count += 1;
  if (hasSum(mask)) acc.sum = add(acc.sum, value);
  if (mask & Agg.MIN) acc.min = minOf(acc.min, value);
  if (mask & Agg.MAX) acc.max = maxOf(acc.max, value);
  if (mask & Agg.SUMSQ) acc.sumsq += square(value);
  return acc;
}

/**
 * `a + b`; bigints (Int64 values) in 64-bit two's complement, as the kernels and Spark's
 * LongType sum them: past 2^63 − 1 a sum wraps.
 */
function add(a: number, b: number): number {
  return typeof a === 'bigint' ? (BigInt.asIntN(64, a + (b as unknown as bigint)) as unknown as number) : a + b;
}

/** The square of a value as an f64, as the kernels keep the sum of squares (bigints too). */
function square(value: number): number {
  const x = Number(value);
  return x * x;
}

/** The JS path: merges two partial accumulators of the same key. */
export function mergeAccumulators(a: Accumulator, b: Accumulator, mask: number): Accumulator {
  return {
    count: a.count + b.count,
    sum: hasSum(mask) ? add(a.sum, b.sum) : a.sum,
    min: mask & Agg.MIN ? minOf(a.min, b.min) : a.min,
    max: mask & Agg.MAX ? maxOf(a.max, b.max) : a.max,
    sumsq: a.sumsq + b.sumsq,
  };
}

// bigint values (Arrow Int64) compare with < ; numbers with Math.min/max for NaN and ±0 semantics.
function minOf<T extends number | bigint>(a: T, b: T): T {
  return typeof a === 'bigint' ? (a <= b ? a : b) : (Math.min(a as number, b as number) as T);
}
function maxOf<T extends number | bigint>(a: T, b: T): T {
  return typeof a === 'bigint' ? (a >= b ? a : b) : (Math.max(a as number, b as number) as T);
}

function reducer<V, R>(name: Reducer<V, R>['name'], aggMask: number, invertible: boolean, finish: (acc: Accumulator) => R): Reducer<V, R> {
  return Object.freeze({ name, aggMask, invertible, finish });
}

/** The sum of the values. */
export const sum: Reducer<number, number> = reducer('sum', Agg.SUM | Agg.COUNT, true, (a) => a.sum);
/** The number of values. */
export const count: Reducer<unknown, number> = reducer('count', Agg.COUNT, true, (a) => a.count);
/** The smallest value (NaN if any value is NaN). */
export const min: Reducer<number, number> = reducer('min', Agg.MIN | Agg.COUNT, false, (a) => a.min);
/** The largest value (NaN if any value is NaN). */
export const max: Reducer<number, number> = reducer('max', Agg.MAX | Agg.COUNT, false, (a) => a.max);
/** The arithmetic mean of the values. */
export const mean: Reducer<number, number> = reducer('mean', Agg.SUM | Agg.COUNT, true, (a) => Number(a.sum) / a.count);
/**
 * Count, mean, min, max and population standard deviation, from the count, sum and sum of
 * squares (sqrt(max(0, sumsq/n − mean²))): exact enough for readings whose spread is not tiny
 * next to their magnitude.
 */
export const stats: Reducer<number, Stats> = reducer('stats', Agg.COUNT | Agg.SUM | Agg.MIN | Agg.MAX | Agg.SUMSQ, false, (a) => {
  const n = a.count;
  const m = Number(a.sum) / n;
  return { count: n, mean: m, min: Number(a.min), max: Number(a.max), stddev: Math.sqrt(Math.max(0, a.sumsq / n - m * m)) };
});

/** True when `x` is one of the built-in reducers (and not a user function). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- narrows `fn | Reducer<V, R>` unions whatever V and R are
export function isReducer(x: unknown): x is Reducer<any, any> {
  return typeof x === 'object' && x !== null && x === builtins.get((x as { name?: string }).name ?? '');
}

const builtins = new Map<string, Reducer<never, unknown>>([sum, count, min, max, mean, stats].map((r) => [r.name, r as Reducer<never, unknown>]));
