/**
 * The Piscina worker entry: instantiates the kernels on the shared memory the main thread
 * created (without re-initialising its heap) and runs tasks that name addresses in it.
 */
import { workerData } from 'node:worker_threads';
import { attachKernels } from '../kernels/wasm.js';
import { runWindowTask } from '../kernels/window-task.js';
import type { KernelTask, KernelWorkerData } from './messages.js';

const data = workerData as KernelWorkerData;
const kernels = await attachKernels(data.memory, data.target);

export default function runKernelTask(task: KernelTask): void {
  switch (task.op) {
    case 'aggAdd':
      kernels.aggAdd(task.table, task.keys, task.values, task.n);
      return;
    case 'window':
      runWindowTask(kernels, task);
      return;
    case 'partition':
      kernels.partition(task.keyKind, task.valueKind, task.keys, task.values, task.n, task.parts, task.keysOut, task.valuesOut, task.offsets);
      return;
  }
}
