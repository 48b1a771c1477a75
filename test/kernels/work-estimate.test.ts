// How many threads a batch is worth: about a millisecond of kernel work per task or more.
import { describe, expect, it } from 'vitest';
import { MIN_TASK_MS, WorkEstimate } from '../../src/kernels/work-estimate.js';

describe('WorkEstimate', () => {
  it('splits a batch only into shares of about a millisecond or more, up to the threads there are', () => {
    const w = new WorkEstimate();
    w.record(100_000, 1); // 100K rows per ms on one thread
    expect(w.speed).toBe(100_000);
    expect(w.sharesFor(50_000, 4)).toBe(1); // 0.5 ms: inline
    expect(w.sharesFor(140_000, 4)).toBe(1); // 1.4 ms: two shares would be 0.7 ms each
    expect(w.sharesFor(200_000, 4)).toBe(2);
    expect(w.sharesFor(10_000_000, 4)).toBe(4);
    expect(w.sharesFor(10_000_000, 1)).toBe(1);
    expect(MIN_TASK_MS).toBe(1);
  });

  it('follows the measured speed (a moving average) and ignores timings too short to trust', () => {
    const w = new WorkEstimate();
    const before = w.speed;
    w.record(1_000, 0.001);
    expect(w.speed).toBe(before);
    w.record(100_000, 1);
    w.record(100_000, 2); // slower now: 50K rows/ms
    expect(w.speed).toBeLessThan(100_000);
    expect(w.speed).toBeGreaterThan(50_000);
  });

  it('time() runs the work, returns its result and records it', () => {
    const w = new WorkEstimate();
    const result = w.time(1_000_000, () => {
      const t0 = performance.now();
      while (performance.now() - t0 < 2);
      return 'done';
    });
    expect(result).toBe('done');
    expect(w.speed).toBeLessThan(600_000);
    expect(w.speed).toBeGreaterThan(100_000);
  });
});
