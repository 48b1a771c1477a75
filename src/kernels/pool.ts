/**
 * The worker pool that runs kernel tasks: Piscina, one worker per core by default, every
 * worker instantiating the kernels on the one shared memory. A task is a handful of addresses
 * (a round trip costs tens of microseconds), so callers only use the pool for work of a
 * millisecond or more.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { KernelTask, KernelWorkerData } from '../worker/messages.js';
import { describe } from '../errors.js';

/** The compiled worker entry: beside this module in dist/, or in dist/ when running from src/ (tests). */
function workerFile(): string {
  const beside = new URL('../worker/kernel-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return fileURLToPath(beside);
  const built = new URL('../../dist/worker/kernel-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return fileURLToPath(built);
  throw new Error('The kernel worker is not built: run `npm run build` first');
}

export class KernelPool {
  private readonly piscina: Piscina;
  /** A worker error outside any task (e.g. failing to start); tasks then fail with it. */
  private brokenBy: unknown;

  constructor(
    readonly size: number,
    memory: WebAssembly.Memory,
    target: 'release' | 'debug',
  ) {
    const workerData: KernelWorkerData = { memory, target };
    this.piscina = new Piscina({ filename: workerFile(), minThreads: size, maxThreads: size, workerData, idleTimeout: 60_000 });
    // Without a listener an error event would be thrown and end the process.
    this.piscina.on('error', (error: unknown) => {
      this.brokenBy ??= error;
      process.emitWarning(`A Sluice kernel worker failed: ${describe(error)}`, 'SluiceWorkerWarning');
    });
  }

  /** Runs a task on some worker. A crashed worker rejects the task with a clear error (the batch is retried). */
  async run(task: KernelTask): Promise<void> {
    if (this.brokenBy !== undefined) {
      throw new Error(`The kernel workers cannot run ${task.op}: a worker failed (${describe(this.brokenBy)}); the batch is retried inline`, { cause: this.brokenBy });
    }
    try {
      await this.piscina.run(task);
    } catch (error) {
      throw new Error(`A kernel worker failed running ${task.op}: ${describe(error)}`, { cause: error });
    }
  }

  /** True once a worker failed outside a task; the engine then runs batches inline. */
  get broken(): boolean {
    return this.brokenBy !== undefined;
  }

  /** Busy-time ratio of the workers since start, 0..1 (for metrics). */
  get utilization(): number {
    return this.piscina.utilization;
  }

  destroy(): Promise<void> {
    return this.piscina.destroy();
  }
}
