/**
 * The kernel engine of one StreamingContext: the WebAssembly kernels on their shared memory,
 * the operators' tables in it, and (created on first need) the worker pool. Closed with the
 * context, which frees every table.
 */
import { availableParallelism } from 'node:os';
import type { KernelExports } from './abi.js';
import { loadKernels } from './wasm.js';
import { KernelPool } from './pool.js';

export interface KernelEngineOptions {
  /** Threads that share a big batch, the calling thread included (default: one per core); 0 or 1 runs everything inline. */
  workers?: number;
  /** The kernel build, 'release' (default) or 'debug' (bounds-checked). */
  target?: 'release' | 'debug';
}

interface Operator {
  free(): void;
}

export class KernelEngine {
  private pool: KernelPool | undefined;
  private readonly operators = new Set<Operator>();
  private closed = false;

  private constructor(
    readonly kernels: KernelExports,
    private readonly workers: number,
    private readonly target: 'release' | 'debug',
  ) {}

  static async create(options: KernelEngineOptions = {}): Promise<KernelEngine> {
    const target = options.target ?? 'release';
    const kernels = await loadKernels({ target });
    return new KernelEngine(kernels, options.workers ?? availableParallelism(), target);
  }

  /** Threads that may share a batch, the calling thread included (1: everything inline). */
  get threads(): number {
    return this.closed || this.pool?.broken ? 1 : Math.max(1, this.workers);
  }

  /**
   * Key partitions of a stateful operator's kernel state, fixed when the operator first runs:
   * one per thread, so that a big batch's partitions can run at once, each on its own state.
   */
  get statePartitions(): number {
    return Math.max(1, this.workers);
  }

  /**
   * The pool, for a batch split into `shares` shares (the calling thread takes one of them);
   * `undefined` to run everything inline: one share, no workers, or a broken pool.
   */
  poolFor(shares: number): KernelPool | undefined {
    if (shares < 2 || this.workers < 2 || this.closed) return undefined;
    // The calling thread takes a share too, so the pool has one thread fewer than `workers`.
    this.pool ??= new KernelPool(this.workers - 1, this.kernels.memory, this.target);
    // A pool whose worker failed is not used again: the kernels run on this thread instead.
    return this.pool.broken ? undefined : this.pool;
  }

  /** Worker utilisation (0..1), or undefined when no pool was needed yet. */
  get workerUtilization(): number | undefined {
    return this.pool?.utilization;
  }

  /** Registers an operator whose kernel memory is freed on close. */
  track(operator: Operator): void {
    this.operators.add(operator);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const op of this.operators) op.free();
    this.operators.clear();
    await this.pool?.destroy();
    this.pool = undefined;
  }
}
