/**
 * A window partition's task, the same on a worker and on the calling thread: the pending slides,
 * then the slices, with its status word in kernel memory marking start and end.
 */
import type { KernelExports } from './abi.js';
import { TASK_DONE, TASK_STARTED, type WindowTask } from '../worker/messages.js';

export function runWindowTask(k: KernelExports, task: WindowTask): void {
  const status = task.status >>> 2;
  const words = new Uint32Array(k.memory.buffer);
  Atomics.store(words, status, TASK_STARTED);
  for (let s = 0; s < task.slides; s++) k.winSlide(task.win);
  for (const slice of task.slices) if (slice.n > 0) k.winAdd(task.win, slice.keys, slice.values, slice.n);
  // The memory may have grown (a window's index or slab did): take a fresh view.
  Atomics.store(new Uint32Array(k.memory.buffer), status, TASK_DONE);
}
