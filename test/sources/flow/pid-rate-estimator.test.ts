// The backpressure estimator, checked against the cases of Spark's PIDRateEstimatorSuite.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PidRateEstimator } from '../../../src/sources/flow/pid-rate-estimator.js';

const estimator = (interval = 20, proportional = 1, integral = 0, derivative = 0, minRate = 10) =>
  new PidRateEstimator(interval, { proportional, integral, derivative, minRate });

/** Feeds batches i = 0..n-1 completing every 20 ms and returns the estimates. */
function run(p: PidRateEstimator, n: number, elements: (i: number) => number, proc: (i: number) => number, sched: (i: number) => number) {
  return Array.from({ length: n }, (_, i) => p.compute(i * 20, elements(i), proc(i), sched(i)));
}

describe('PidRateEstimator (Spark PIDRateEstimatorSuite)', () => {
  it('checks its ranges', () => {
    expect(() => new PidRateEstimator(0)).toThrow(/batchInterval/);
    expect(() => estimator(100, -1)).toThrow(/proportional/);
    expect(() => estimator(100, 0, -1)).toThrow(/integral/);
    expect(() => estimator(100, 0, 0, -1)).toThrow(/derivative/);
    expect(() => estimator(100, 0, 0, 0, 0)).toThrow(/minRate/);
    expect(() => estimator(100, 0, 0, 0, -10)).toThrow(/minRate/);
  });

  it('gives no first estimate, then the processing rate', () => {
    const p = estimator();
    expect(p.compute(0, 10, 10, 0)).toBeUndefined();
    expect(p.compute(10, 10, 10, 0)).toBe(1000); // 10 records in 10 ms
  });

  it('gives none for a time not after the last update', () => {
    const p = estimator();
    p.compute(0, 10, 10, 0);
    expect(p.compute(10, 10, 10, 0)).toBeDefined();
    expect(p.compute(10, 10, 10, 0)).toBeUndefined();
  });

  it('gives none for a batch without records or without processing time', () => {
    const p = estimator();
    p.compute(0, 10, 10, 0);
    expect(p.compute(10, 0, 10, 0)).toBeUndefined();
    expect(p.compute(20, -10, 10, 0)).toBeUndefined();
    expect(p.compute(30, 10, 0, 0)).toBeUndefined();
    expect(p.compute(40, 10, -10, 0)).toBeUndefined();
  });

  it('never goes below the minimum rate', () => {
    const res = run(estimator(20, 1, 1, 0, 5), 50, () => 1, () => 20, () => 100);
    expect(res[0]).toBeUndefined();
    expect(res.slice(1)).toEqual(Array(49).fill(5));
  });

  it('follows the processing rate up when there is no accumulated error', () => {
    const res = run(estimator(20, 1, 1, 0, 10), 50, (i) => (i + 1) * 20, () => 20, () => 0);
    expect(res[0]).toBeUndefined();
    expect(res.slice(1)).toEqual(Array.from({ length: 49 }, (_, i) => (i + 2) * 1000));
  });

  it('follows the processing rate down when there is no accumulated error', () => {
    const res = run(estimator(20, 1, 1, 0, 10), 50, (i) => (50 - i) * 20, () => 20, () => 0);
    expect(res[0]).toBeUndefined();
    expect(res.slice(1)).toEqual(Array.from({ length: 49 }, (_, i) => (49 - i) * 1000));
  });

  it('stays below the processing rate while batches wait (accumulated error)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 50, maxLength: 50 }), fc.array(fc.integer({ min: 0, max: 18 }), { minLength: 50, maxLength: 50 }), (elements, sched) => {
        const res = run(estimator(20, 1, 0.01, 0, 10), 50, (i) => elements[i]!, () => 20, (i) => sched[i]!);
        expect(res[0]).toBeUndefined();
        for (let n = 1; n < 50; n++) {
          if (elements[n] === 0) continue; // no estimate for an empty batch
          const speed = (elements[n]! / 20) * 1000;
          if (res[n]! > 10 && sched[n]! > 0) expect(res[n]!).toBeLessThan(speed);
        }
      }),
    );
  });
});
