/**
 * The messages between the main thread and the kernel workers, types only. Tasks carry
 * addresses in the shared kernel memory, never data: nothing is structured-cloned but these
 * few numbers.
 */

/** Fold n rows (keys and values at these addresses) into an aggregation table. */
export interface AggAddTask {
  readonly op: 'aggAdd';
  readonly table: number;
  readonly keys: number;
  readonly values: number;
  readonly n: number;
}

/** One slice of rows in kernel memory. */
export interface RowSlice {
  readonly keys: number;
  readonly values: number;
  readonly n: number;
}

/**
 * One key partition of a sliding window: first `slides` slides, then the slices added to the
 * current pane, in order. `status` is the address of a u32 the worker sets to TASK_STARTED
 * before it changes the window and to TASK_DONE after, so a failed task tells whether the
 * window was left untouched, complete, or half changed.
 */
export interface WindowTask {
  readonly op: 'window';
  readonly win: number;
  readonly slides: number;
  readonly slices: readonly RowSlice[];
  readonly status: number;
}

/**
 * Hash-partition n rows into `parts` partitions (the `partition` kernel): keys and values
 * scattered into keysOut/valuesOut, the parts + 1 boundaries (u32) written to `offsets`.
 */
export interface PartitionTask {
  readonly op: 'partition';
  readonly keyKind: number;
  readonly valueKind: number;
  readonly keys: number;
  readonly values: number;
  readonly n: number;
  readonly parts: number;
  readonly keysOut: number;
  readonly valuesOut: number;
  readonly offsets: number;
}

export type KernelTask = AggAddTask | WindowTask | PartitionTask;

/** WindowTask.status values. */
export const TASK_NOT_STARTED = 0;
export const TASK_STARTED = 1;
export const TASK_DONE = 2;

/** What every worker receives at start: the shared kernel memory. */
export interface KernelWorkerData {
  readonly memory: WebAssembly.Memory;
  /** 'release' (default) or 'debug' build of the kernels. */
  readonly target: 'release' | 'debug';
}
