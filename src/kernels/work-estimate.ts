/**
 * How many threads a batch is worth: a task must carry about a millisecond of work, or the
 * worker round trip (tens of microseconds) eats what splitting saves. Each operator measures its
 * own kernel speed (rows per millisecond on one thread, from the shares it runs on the calling
 * thread) and splits a batch into as many shares as give each about a millisecond or more.
 */

/** Work per task below which splitting is not worth a round trip. */
export const MIN_TASK_MS = 1;

/** Assumed speed before the first measurement: the fastest kernel case (low cardinality) on this class of machine. */
const DEFAULT_ROWS_PER_MS = 400_000;

/** Timings shorter than this are too coarse to learn from. */
const MIN_SAMPLE_MS = 0.05;

export class WorkEstimate {
  private rowsPerMs: number | undefined;

  /** Rows per millisecond on one thread (an estimate; the default until measured). */
  get speed(): number {
    return this.rowsPerMs ?? DEFAULT_ROWS_PER_MS;
  }

  /** Records that `rows` rows took `ms` on one thread (an exponential moving average). */
  record(rows: number, ms: number): void {
    if (rows <= 0 || !(ms >= MIN_SAMPLE_MS)) return;
    const sample = rows / ms;
    this.rowsPerMs = this.rowsPerMs === undefined ? sample : 0.7 * this.rowsPerMs + 0.3 * sample;
  }

  /** Threads to share `rows` rows among, 1..threads: about a millisecond of work or more each. */
  sharesFor(rows: number, threads: number): number {
    if (threads < 2) return 1;
    const ms = rows / this.speed;
    return Math.max(1, Math.min(threads, Math.round(ms / MIN_TASK_MS)));
  }

  /** Times `fn` on this thread and records it as `rows` rows of work. */
  time<T>(rows: number, fn: () => T): T {
    const t0 = performance.now();
    const result = fn();
    this.record(rows, performance.now() - t0);
    return result;
  }
}
