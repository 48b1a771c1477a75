/**
 * Per-partition ordering of a stateful operator's tasks: the keyed state of partition p is owned
 * by one task at a time. Tasks of one partition run one after another, in the order they were
 * submitted, whether the previous one succeeded or failed; tasks of different partitions run
 * concurrently. Parallelism comes from partitions, never from two tasks on one state.
 */
export class PartitionLanes {
  private readonly tails: Promise<void>[];
  private readonly running: boolean[];

  constructor(readonly count: number) {
    if (!(Number.isSafeInteger(count) && count >= 1)) throw new RangeError(`PartitionLanes: count must be a positive integer, got ${count}`);
    this.tails = Array.from({ length: count }, () => Promise.resolve());
    this.running = new Array<boolean>(count).fill(false);
  }

  /** Runs `task` on partition p's lane, after every task submitted to it before. */
  run<T>(p: number, task: () => Promise<T> | T): Promise<T> {
    if (!(Number.isSafeInteger(p) && p >= 0 && p < this.count)) throw new RangeError(`PartitionLanes: no partition ${p} (0..${this.count - 1})`);
    const start = async (): Promise<T> => {
      // Two tasks on one partition's state at once would be a scheduling bug, not a data error.
      if (this.running[p]) throw new Error(`PartitionLanes: partition ${p} already has a running task`);
      this.running[p] = true;
      try {
        return await task();
      } finally {
        this.running[p] = false;
      }
    };
    const result = this.tails[p]!.then(start);
    this.tails[p] = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves when every task submitted so far has settled. */
  async idle(): Promise<void> {
    await Promise.all(this.tails);
  }
}
