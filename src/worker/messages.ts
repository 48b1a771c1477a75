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

export type KernelTask = AggAddTask;

/** What every worker receives at start: the shared kernel memory. */
export interface KernelWorkerData {
  readonly memory: WebAssembly.Memory;
  /** 'release' (default) or 'debug' build of the kernels. */
  readonly target: 'release' | 'debug';
}
