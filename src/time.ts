/**
 * Durations and batch times. Both are integer milliseconds: a `Duration` is a length of time,
 * a `Time` is milliseconds since the epoch (or since a manual clock's origin).
 */
import { InvalidDurationError } from './errors.js';

/** A length of time in integer milliseconds. */
export type Duration = number;
/** A point in time in integer milliseconds. Batch times are multiples of the batch interval. */
export type Time = number;

/**
 * `n × unitMs` as a whole number of milliseconds. A product that is within floating-point error
 * of a whole number is snapped to it (`Minutes(0.27)` computes 16200.000000000002 but means
 * 16200 ms); anything else that is not a non-negative safe integer is rejected.
 */
function checked(n: number, unitMs: number, what: string): Duration {
  // `typeof` first: `'100' * 1` would coerce a string from untyped callers into a number.
  const exact = typeof n === 'number' ? n * unitMs : Number.NaN;
  // Snapping only makes sense for scaled units: Milliseconds(n) must be given an integer.
  const ms = unitMs > 1 && Math.abs(exact - Math.round(exact)) < 1e-6 ? Math.round(exact) : exact;
  if (!Number.isSafeInteger(ms) || ms < 0) {
    const why =
      Number.isFinite(ms) && ms >= 0
        ? `${exact} ms is not a whole number of milliseconds`
        : 'a duration must be a finite, non-negative number';
    throw new InvalidDurationError(`${what}(${n}) is not a valid duration: ${why} (durations are whole milliseconds)`);
  }
  // -0 (e.g. Seconds(-0)) is normalized so that it prints and compares as 0.
  return ms === 0 ? 0 : ms;
}

/** A duration of `n` milliseconds (a non-negative integer). */
export function Milliseconds(n: number): Duration {
  return checked(n, 1, 'Milliseconds');
}
/** A duration of `n` seconds, in milliseconds; `n` may be fractional down to the millisecond. */
export function Seconds(n: number): Duration {
  return checked(n, 1000, 'Seconds');
}
/** A duration of `n` minutes, in milliseconds; `n` may be fractional down to the millisecond. */
export function Minutes(n: number): Duration {
  return checked(n, 60_000, 'Minutes');
}

/** Throws unless `d` is a positive integer number of milliseconds. `what` names it in the error. */
export function requirePositiveDuration(d: Duration, what: string): Duration {
  if (!Number.isSafeInteger(d) || d <= 0) {
    throw new InvalidDurationError(`${what} must be a positive integer number of milliseconds (use Seconds(n) or Milliseconds(n)), got ${d}`);
  }
  return d;
}

/** True when `d` is a whole multiple of `unit`. */
export function isMultipleOf(d: Duration, unit: Duration): boolean {
  return d % unit === 0;
}

/** The latest multiple of `unit` (counted from `zero`) at or before `t`. */
export function floorTime(t: Time, unit: Duration, zero: Time = 0): Time {
  return zero + Math.floor((t - zero) / unit) * unit;
}

/** Formats a duration the way Spark does in messages: `1000 ms`. */
export function formatDuration(d: Duration): string {
  return `${d} ms`;
}
