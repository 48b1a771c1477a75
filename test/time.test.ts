import { describe, expect, it } from 'vitest';
import { InvalidDurationError, Milliseconds, Minutes, Seconds, StreamingContext } from '../src/index.js';
import { floorTime, formatDuration, isMultipleOf, requirePositiveDuration } from '../src/time.js';

describe('durations', () => {
  it('are integer milliseconds', () => {
    expect(Milliseconds(250)).toBe(250);
    expect(Seconds(2)).toBe(2000);
    expect(Seconds(0.5)).toBe(500);
    expect(Minutes(1)).toBe(60_000);
    expect(Minutes(1.5)).toBe(90_000);
    expect(Milliseconds(0)).toBe(0);
  });

  it('snap fractional seconds and minutes that are whole milliseconds despite floating-point error', () => {
    // 0.27 * 60000 === 16200.000000000002 in IEEE doubles.
    expect(Minutes(0.27)).toBe(16_200);
    expect(Minutes(1.07)).toBe(64_200);
    expect(Seconds(0.001)).toBe(1);
    expect(Object.is(Seconds(-0), 0)).toBe(true);
  });

  it.each([
    ['negative milliseconds', () => Milliseconds(-1), /Milliseconds\(-1\).*non-negative/],
    ['negative seconds', () => Seconds(-2), /Seconds\(-2\).*non-negative/],
    ['fractional milliseconds', () => Milliseconds(1.5), /Milliseconds\(1\.5\).*not a whole number of milliseconds/],
    ['sub-millisecond seconds', () => Seconds(0.0005), /Seconds\(0\.0005\).*0\.5 ms is not a whole number/],
    ['sub-millisecond minutes', () => Minutes(1e-6), /Minutes\(0\.000001\).*0\.06 ms/],
    ['NaN', () => Seconds(Number.NaN), /Seconds\(NaN\).*finite/],
    ['Infinity', () => Minutes(Number.POSITIVE_INFINITY), /Minutes\(Infinity\).*finite/],
    ['a non-number', () => Milliseconds('100' as unknown as number), /Milliseconds\(100\).*finite/],
  ])('reject %s with InvalidDurationError', (_what, make, message) => {
    expect(make).toThrow(InvalidDurationError);
    expect(make).toThrow(message);
  });

  it('requirePositiveDuration rejects zero, negatives and fractions and names the value', () => {
    expect(requirePositiveDuration(5, 'x')).toBe(5);
    expect(() => requirePositiveDuration(0, 'window')).toThrow(/window must be a positive integer number of milliseconds.*got 0/);
    expect(() => requirePositiveDuration(-5, 'window')).toThrow(InvalidDurationError);
    expect(() => requirePositiveDuration(2.5, 'window')).toThrow(InvalidDurationError);
    expect(() => requirePositiveDuration(Number.NaN, 'window')).toThrow(InvalidDurationError);
  });

  it('a zero, negative, fractional or NaN batch interval is rejected by the StreamingContext', () => {
    for (const batchInterval of [0, -1000, 1.5, Number.NaN]) {
      expect(() => new StreamingContext({ batchInterval, clock: 'manual' })).toThrow(InvalidDurationError);
    }
    expect(() => new StreamingContext({ batchInterval: 0 })).toThrow(/batchInterval must be a positive integer/);
  });
});

describe('time helpers', () => {
  it('isMultipleOf', () => {
    expect(isMultipleOf(3000, 1000)).toBe(true);
    expect(isMultipleOf(0, 1000)).toBe(true);
    expect(isMultipleOf(2500, 1000)).toBe(false);
  });

  it('floorTime rounds down to the grid counted from the zero time', () => {
    expect(floorTime(2500, 1000)).toBe(2000);
    expect(floorTime(2000, 1000)).toBe(2000);
    expect(floorTime(2500, 1000, 300)).toBe(2300);
    expect(floorTime(2200, 1000, 300)).toBe(1300);
    expect(floorTime(100, 1000, 300)).toBe(-700);
  });

  it('formatDuration prints like Spark', () => {
    expect(formatDuration(1500)).toBe('1500 ms');
  });
});
