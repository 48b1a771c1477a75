/**
 * Numbers from bytes: a correctly rounded decimal parser (Clinger's fast path, `Number()` for the
 * rest) and the store of a parsed number into a column of any numeric type with range checks.
 */
import { BigIntColumn, INT_MAX, INT_MIN, I64_MAX, I64_MIN, Kind, U64_MAX, type Column, type NumberColumn } from './builders.js';

/** 10^0 … 10^22: every one exactly representable as a double. */
export const POW10 = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** Bytes [from, to) as a Latin-1 string (for ASCII text such as a number literal). */
export function latin1(buf: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

/**
 * The double nearest to `mant × 10^exp10`, when that is exact to compute (`mant` below 2^53 and
 * |exp10| ≤ 22: one correctly rounded multiplication or division); NaN otherwise, and the caller
 * falls back to `Number(text)`.
 */
export function fastDecimal(mant: number, digits: number, exp10: number): number {
  if (digits > 15) return NaN;
  if (exp10 === 0) return mant;
  if (exp10 > 0 && exp10 <= 22) return mant * POW10[exp10]!;
  if (exp10 < 0 && exp10 >= -22) return mant / POW10[-exp10]!;
  return NaN;
}

/** Result of {@link scanMantissa}. */
const mantissa = {
  /** The digits as an integer (the point ignored): exact up to 15 digits. */
  value: 0,
  /** How many digits there were. */
  digits: 0,
  /** How many of them came after the decimal point; −1 without a point. */
  fraction: -1,
};

/**
 * Reads `digits [. digits]` at `buf[i]` (before `to`; either part may be empty, as `5.` or
 * `.5`) into {@link mantissa}; returns the index after it. The digit loop of {@link parseDecimal}
 * and {@link quickDecimal}; the JSON scanner has its own (see `JsonScanDecoder.number`).
 */
function scanMantissa(buf: Uint8Array, i: number, to: number): number {
  const start = i;
  let point = -1;
  // The digits accumulate in int chunks of 9 (integer arithmetic is much faster than a chain of
  // double multiply-adds); `hi` holds the chunks before the current one, `lo` its `ld` digits.
  let hi = 0;
  let lo = 0;
  let ld = 0;
  for (let c = buf[i]!; i < to; c = buf[++i]!) {
    if (c >= 0x30 && c <= 0x39) {
      lo = lo * 10 + (c - 0x30);
      if (++ld === 9) {
        hi = hi * 1e9 + lo;
        lo = 0;
        ld = 0;
      }
    } else if (c === 0x2e && point < 0) point = i;
    else break;
  }
  mantissa.value = hi * POW10[ld]! + lo;
  mantissa.digits = point < 0 ? i - start : i - start - 1;
  mantissa.fraction = point < 0 ? -1 : i - point - 1;
  return i;
}

/** Result of {@link parseDecimal}. */
export const parsed = { value: 0, isInt: false, from: 0, to: 0 };

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;

/**
 * A decimal number in `buf[from, to)` as text fields write them: blanks around it are ignored,
 * then `[+-]? digits [. digits] [e [+-] digits]` (a leading or trailing dot is allowed, at least
 * one digit), or `NaN`, `Infinity`, `+Infinity`, `-Infinity`. False when it is not one;
 * otherwise {@link parsed} holds the value, whether the text was an integer literal, and the
 * trimmed span.
 */
export function parseDecimal(buf: Uint8Array, from: number, to: number): boolean {
  while (from < to && isBlank(buf[from]!)) from++;
  while (to > from && isBlank(buf[to - 1]!)) to--;
  if (from === to) return false;
  parsed.from = from;
  parsed.to = to;
  let i = from;
  let neg = false;
  const sign = buf[i]!;
  if (sign === 0x2d || sign === 0x2b) {
    neg = sign === 0x2d;
    i++;
  }
  i = scanMantissa(buf, i, to);
  const digits = mantissa.digits;
  let isInt = mantissa.fraction < 0;
  let exp10 = isInt ? 0 : -mantissa.fraction;
  if (digits === 0) {
    const word = latin1(buf, i, to);
    if (word === 'NaN' && i === from) parsed.value = NaN;
    else if (word === 'Infinity') parsed.value = neg ? -Infinity : Infinity;
    else return false;
    parsed.isInt = false;
    return true;
  }
  if (i < to && (buf[i] === 0x65 || buf[i] === 0x45)) {
    isInt = false;
    i++;
    let eneg = false;
    if (i < to && (buf[i] === 0x2d || buf[i] === 0x2b)) eneg = buf[i++] === 0x2d;
    if (i >= to || !isDigit(buf[i]!)) return false;
    let e = 0;
    for (; i < to && isDigit(buf[i]!); i++) if (e < 100000) e = e * 10 + (buf[i]! - 0x30);
    exp10 += eneg ? -e : e;
  }
  if (i !== to) return false;
  let v = fastDecimal(mantissa.value, digits, exp10);
  if (v !== v) v = Math.abs(Number(latin1(buf, sign === 0x2b ? from + 1 : from, to)));
  parsed.value = neg ? -v : v;
  parsed.isInt = isInt;
  return true;
}

/** Set by {@link quickDecimal}: whether the number had no fraction. */
export let quickIsInt = false;

/**
 * The common case of {@link parseDecimal}, fast: `-?digits[.digits]` filling `buf[from, to)`
 * exactly, 15 digits at most. NaN for anything else (the caller then uses parseDecimal).
 */
export function quickDecimal(buf: Uint8Array, from: number, to: number): number {
  let i = from;
  const neg = buf[i] === 0x2d;
  if (neg) i++;
  i = scanMantissa(buf, i, to);
  const { value, digits, fraction } = mantissa;
  quickIsInt = fraction < 0;
  if (i !== to || digits === 0 || digits > 15) return NaN;
  const v = fraction <= 0 ? value : value / POW10[fraction]!;
  return neg ? -v : v;
}

/** Codes of {@link storeNumber}. */
export const STORED = 0;
export const NOT_INTEGER = 1;
export const OUT_OF_RANGE = 2;

/**
 * Stores `v` at `row` of a numeric column: as is in f32/f64 columns; in integer columns only an
 * integer within the type's range (else NOT_INTEGER or OUT_OF_RANGE). 64-bit columns take
 * integer literals beyond 2^53 exactly from their text `buf[from, to)`.
 */
export function storeNumber(col: Column, row: number, v: number, isIntLiteral: boolean, buf: Uint8Array, from: number, to: number): number {
  const k = col.kind;
  if (k === Kind.F64 || k === Kind.F32) {
    (col as NumberColumn).values[row] = v;
    return STORED;
  }
  if (k <= Kind.I32) {
    if (!Number.isInteger(v)) return NOT_INTEGER;
    if (v < INT_MIN[k]! || v > INT_MAX[k]!) return OUT_OF_RANGE;
    (col as NumberColumn).values[row] = v;
    return STORED;
  }
  let b: bigint;
  if (Number.isSafeInteger(v)) b = BigInt(v);
  else if (!Number.isInteger(v)) return NOT_INTEGER;
  else b = isIntLiteral ? BigInt(latin1(buf, from, to)) : BigInt(v);
  if (k === Kind.U64 ? b < 0n || b > U64_MAX : b < I64_MIN || b > I64_MAX) return OUT_OF_RANGE;
  (col as BigIntColumn).values[row] = b;
  return STORED;
}

/** Stores a JS value (a number from `JSON.parse`) like {@link storeNumber}. */
export function storeJsNumber(col: Column, row: number, v: number): number {
  const k = col.kind;
  if (k === Kind.F64 || k === Kind.F32) {
    (col as NumberColumn).values[row] = v;
    return STORED;
  }
  if (!Number.isInteger(v)) return NOT_INTEGER;
  if (k <= Kind.I32) {
    if (v < INT_MIN[k]! || v > INT_MAX[k]!) return OUT_OF_RANGE;
    (col as NumberColumn).values[row] = v;
    return STORED;
  }
  const b = BigInt(v);
  if (k === Kind.U64 ? b < 0n || b > U64_MAX : b < I64_MIN || b > I64_MAX) return OUT_OF_RANGE;
  (col as BigIntColumn).values[row] = b;
  return STORED;
}
