/**
 * Timing: every implementation is timed by tinybench (the C reference by its own loop, with the
 * same statistics computed here). Throughput is rows / median iteration time.
 */
import { Bench, type Fn, type FnHook } from 'tinybench';

export interface Budget {
  /** Minimum timed milliseconds (tinybench `time`). */
  time: number;
  /** Minimum timed iterations (tinybench `iterations`). */
  iterations: number;
  warmupTime: number;
  warmupIterations: number;
}

/** For the fast implementations: ≥ 1 s and ≥ 5 iterations each. */
export const FAST: Budget = { time: 1000, iterations: 5, warmupTime: 200, warmupIterations: 2 };
/** arquero: a few iterations, same data. */
export const SLOW: Budget = { time: 0, iterations: 3, warmupTime: 0, warmupIterations: 1 };
/** RxJS: the fewest iterations, same data. */
export const SLOWEST: Budget = { time: 0, iterations: 2, warmupTime: 0, warmupIterations: 1 };

export interface Stats {
  samples: number;
  meanMs: number;
  p50Ms: number;
  minMs: number;
  maxMs: number;
  /** Relative margin of error of the mean, in percent (95%). */
  rme: number;
}

/**
 * Times `fn` with tinybench. Say whether it returns a promise (`async`): left to itself,
 * tinybench probes a plain function by calling it once without awaiting the result, which would
 * overlap that call with the first timed one.
 */
export async function measure(name: string, fn: Fn, budget: Budget, opts: { async?: boolean; beforeEach?: FnHook } = {}): Promise<Stats> {
  const bench = new Bench({ name, throws: true, ...budget, warmup: budget.warmupIterations > 0 || budget.warmupTime > 0 });
  bench.add(name, fn, { async: opts.async ?? false, ...(opts.beforeEach ? { beforeEach: opts.beforeEach } : {}) });
  const [task] = await bench.run();
  const r = task!.result;
  if (r.state !== 'completed') throw new Error(`${name}: tinybench task ${r.state}`);
  const l = r.latency;
  return { samples: l.samplesCount, meanMs: l.mean, p50Ms: l.p50, minMs: l.min, maxMs: l.max, rme: l.rme };
}

/** The same statistics for samples timed elsewhere (the C reference). */
export function statsOf(samplesMs: readonly number[]): Stats {
  const s = [...samplesMs].sort((a, b) => a - b);
  const n = s.length;
  const mean = s.reduce((a, b) => a + b, 0) / n;
  const mid = n >> 1;
  const p50 = n % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const sd = n > 1 ? Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const rme = n > 1 ? (100 * 1.96 * sd) / Math.sqrt(n) / mean : 0;
  return { samples: n, meanMs: mean, p50Ms: p50, minMs: s[0]!, maxMs: s[n - 1]!, rme };
}

export function rowsPerSec(rows: number, s: Stats): number {
  return rows / (s.p50Ms / 1000);
}
