/**
 * A sliding window on the kernels: per key a ring of pane partials in kernel memory. A batch
 * touches only the current pane, so the cost per record does not grow with the window; a slide
 * drops the oldest pane (subtracting it for sum/count/mean, a two-stack for min/max).
 *
 * The state is split by key into P partitions (one per thread, `KernelEngine.statePartitions`),
 * each its own window in kernel memory, owned by one task at a time (`PartitionLanes`). A batch
 * worth a millisecond of work per thread or more is hash-partitioned by the workers (each a range
 * of rows, `partition` kernel, stable), then each partition's rows are added to its window by
 * one task, the partitions at once: parallelism comes from partitions. Smaller batches do the
 * same on the calling thread. Rows keep their order within a key, so every key's sums fold in
 * input order as with one window.
 */
import { Agg, ValueKind, type KernelExports, type KeyKind } from './abi.js';
import type { PairColumns } from '../batch/columns.js';
import type { Reducer } from '../reducers.js';
import type { KernelEngine } from './engine.js';
import type { KernelPool } from './pool.js';
import { alongside } from './alongside.js';
import { batchKeyForm, copyBatchIn, type KernelInput } from './keyed-input.js';
import { exportColumns, type KeyForm } from './results.js';
import { StringKeys } from './string-keys.js';
import { allocOrThrow, keyBytes } from './transfer.js';
import { WorkEstimate } from './work-estimate.js';
import { runWindowTask } from './window-task.js';
import { PartitionLanes } from '../scheduler/partition-lanes.js';
import { WindowStateLostError } from '../errors.js';
import { TASK_DONE, TASK_NOT_STARTED, TASK_STARTED, type RowSlice, type WindowTask } from '../worker/messages.js';

/** Bytes kept apart so that two threads never write one cache line (two lines: adjacent-line prefetch pairs them). */
const LINE = 128;

/** The window state: P key partitions, each a window of the kernels. */
interface WindowState {
  readonly keyKind: KeyKind;
  readonly valueKind: ValueKind;
  readonly wins: readonly number[];
  readonly lanes: PartitionLanes;
  /** P u32 status words (WindowTask.status), one per partition. */
  readonly status: number;
}

/** One input's rows, hash-partitioned: P slices per range of rows, in row order. */
interface Scattered {
  readonly slices: RowSlice[][];
  free(): void;
}

export class PaneWindow {
  private state: WindowState | undefined;
  private strings: StringKeys | undefined;
  private keyForm: KeyForm | undefined;
  /** Slides to apply before the next add, so an empty stream costs nothing until data comes. */
  private pendingSlides = 0;
  /** Set for good when a failed task left a partition's window half changed. */
  private lost: WindowStateLostError | undefined;
  /** The speed of adding rows (the partition pass and the window add) on one thread. */
  private readonly work = new WorkEstimate();

  constructor(
    private readonly engine: KernelEngine,
    private readonly reducer: Reducer<unknown, unknown>,
    readonly numPanes: number,
  ) {
    engine.track(this);
  }

  /** Key partitions of the state (fixed by the first batch). */
  get partitions(): number {
    return this.state?.wins.length ?? this.engine.statePartitions;
  }

  /**
   * Adds the partitions to the current pane. All are copied in, and partitioned, before any
   * window changes: a bad batch changes nothing.
   */
  async add(parts: readonly PairColumns[]): Promise<void> {
    if (parts.length === 0) return;
    if (this.lost) throw this.lost;
    const k = this.engine.kernels;
    const who = `Window ${this.reducer.name}`;
    const form = batchKeyForm(parts, this.keyForm, who);
    const withValues = this.reducer.aggMask !== Agg.COUNT;
    const inputs = copyBatchIn(k, parts, form, who, () => (this.strings ??= new StringKeys(k)), withValues);
    const scattered: Scattered[] = [];
    try {
      const state = this.stateFor(inputs[0]!);
      for (const input of inputs) {
        if (input.keys.kind !== state.keyKind || input.values.kind !== state.valueKind) {
          throw new TypeError(`Window ${this.reducer.name}: keys or values changed type between batches; a stream's columns must keep one type`);
        }
      }
      this.keyForm = form;
      const rows = inputs.reduce((n, input) => n + input.keys.length, 0);
      // One estimate serves both passes: partitioning and adding cost about the same per row.
      const shares = this.work.sharesFor(rows, this.engine.threads);
      const pool = this.engine.poolFor(shares);
      const P = state.wins.length;
      const slicesOf: RowSlice[][] = Array.from({ length: P }, () => []);
      if (P === 1) {
        for (const input of inputs) slicesOf[0]!.push({ keys: input.keys.ptr, values: input.values.ptr, n: input.keys.length });
      } else {
        for (const input of inputs) scattered.push(await this.scatter(state, input, shares, pool));
        for (const s of scattered) for (const range of s.slices) range.forEach((slice, p) => slicesOf[p]!.push(slice));
      }
      const slides = this.takeSlides();
      await this.runPartitions(state, slides, slicesOf, pool);
    } finally {
      for (const s of scattered) s.free();
      for (const input of inputs) input.free();
    }
  }

  /** Moves to a new, empty pane; the oldest leaves the window. */
  slide(): void {
    // Past numPanes slides the window is empty whatever more come: no need to apply them.
    this.pendingSlides = Math.min(this.pendingSlides + 1, this.numPanes);
  }

  private takeSlides(): number {
    const slides = this.pendingSlides;
    this.pendingSlides = 0;
    return slides;
  }

  /** The reducer's result over the window, for every key with a value in it (all partitions, one after another). */
  async result(): Promise<PairColumns | undefined> {
    if (this.lost) throw this.lost;
    const state = this.state;
    if (!state) {
      this.pendingSlides = 0;
      return undefined;
    }
    const slides = this.takeSlides();
    if (slides > 0) await this.runPartitions(state, slides, state.wins.map(() => []), undefined);
    const k = this.engine.kernels;
    const sizes = state.wins.map((w) => k.winSize(w));
    return exportColumns(k, k.winExport, state.wins, sizes, state.keyKind, this.keyForm!, state.valueKind, this.reducer, this.strings?.strings);
  }

  /**
   * Hash-partitions one input into P slices per range of rows: `shares` ranges, partitioned at
   * once (the first on this thread), each into its own span of the output columns.
   */
  private async scatter(state: WindowState, input: KernelInput, shares: number, pool: KernelPool | undefined): Promise<Scattered> {
    const k = this.engine.kernels;
    const P = state.wins.length;
    const n = input.keys.length;
    const kb = keyBytes(state.keyKind);
    const vb = state.valueKind === ValueKind.I32 ? 4 : 8;
    const withValues = input.values.ptr !== 0;
    const ranges = pool ? shares : 1; // shares <= engine.threads = pool.size + 1
    const blocks: number[] = [];
    const free = () => {
      for (const b of blocks) k.free(b);
    };
    try {
      const alloc = (bytes: number) => {
        const ptr = allocOrThrow(k, bytes);
        blocks.push(ptr);
        return ptr;
      };
      const keysOut = alloc(n * kb);
      const valuesOut = withValues ? alloc(n * vb) : 0;
      // Each range's boundaries get cache lines of their own: the kernel counts into them row
      // by row, and two threads counting into one line would pass it back and forth each row.
      const stride = Math.ceil(((P + 1) * 4) / LINE) * LINE;
      const offsets = alloc(ranges * stride);
      const bounds = Array.from({ length: ranges + 1 }, (_, r) => Math.floor((r * n) / ranges));
      const task = (r: number) => {
        const from = bounds[r]!;
        return {
          op: 'partition' as const,
          keyKind: state.keyKind,
          valueKind: state.valueKind,
          keys: input.keys.ptr + from * kb,
          values: withValues ? input.values.ptr + from * vb : 0,
          n: bounds[r + 1]! - from,
          parts: P,
          keysOut: keysOut + from * kb,
          valuesOut: withValues ? valuesOut + from * vb : 0,
          offsets: offsets + r * stride,
        };
      };
      const remote: Promise<void>[] = [];
      for (let r = 1; r < ranges; r++) remote.push(pool!.run(task(r)));
      const t = task(0);
      await alongside(remote, () => this.work.time(t.n, () => k.partition(t.keyKind, t.valueKind, t.keys, t.values, t.n, t.parts, t.keysOut, t.valuesOut, t.offsets)));
      const words = new Uint32Array(k.memory.buffer, offsets, (ranges * stride) / 4);
      const slices: RowSlice[][] = [];
      for (let r = 0; r < ranges; r++) {
        const from = bounds[r]!;
        const at = (p: number) => from + words[(r * stride) / 4 + p]!;
        slices.push(
          Array.from({ length: P }, (_, p) => ({
            keys: keysOut + at(p) * kb,
            values: withValues ? valuesOut + at(p) * vb : 0,
            n: at(p + 1) - at(p),
          })),
        );
      }
      return { slices, free };
    } catch (error) {
      free();
      throw error;
    }
  }

  /**
   * One task per partition, each on its partition's lane: the slides, then its slices. With a
   * pool the first partition runs on this thread and the others on the workers; a task a worker
   * never started runs here instead, and one that stopped half way loses the window for good.
   */
  private async runPartitions(state: WindowState, slides: number, slicesOf: readonly RowSlice[][], pool: KernelPool | undefined): Promise<void> {
    const k = this.engine.kernels;
    const tasks = state.wins.map((win, p): WindowTask => ({ op: 'window', win, slides, slices: slicesOf[p]!, status: state.status + p * 4 }));
    const inline = (task: WindowTask) => {
      const rows = task.slices.reduce((n, s) => n + s.n, 0);
      this.work.time(rows, () => runWindowTask(k, task));
    };
    const remote = async (task: WindowTask, p: number): Promise<void> => {
      this.setStatus(task, TASK_NOT_STARTED);
      try {
        await pool!.run(task);
      } catch (error) {
        const status = this.statusOf(task);
        if (status === TASK_DONE) return;
        if (status === TASK_STARTED) {
          this.lost = new WindowStateLostError(
            `${this.reducer.name} window: a kernel worker failed half way through partition ${p} of the window state (${(error as Error).message}); its results can no longer be trusted: restart the stream`,
            { cause: error },
          );
          throw this.lost;
        }
        inline(task); // never started: the window is as it was
      }
    };
    // The workers' tasks are handed out first: a lane starts its task in a microtask, so the
    // calling thread's own (synchronous) share must queue behind them, or they would wait for it.
    const order = pool ? [...tasks.keys()].slice(1).concat(0) : [...tasks.keys()];
    const work = order.map((p) => state.lanes.run(p, () => (pool && p > 0 ? remote(tasks[p]!, p) : inline(tasks[p]!))));
    const settled = await Promise.allSettled(work);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw this.lost ?? failed.reason;
  }

  private setStatus(task: WindowTask, value: number): void {
    Atomics.store(new Uint32Array(this.engine.kernels.memory.buffer), task.status >>> 2, value);
  }

  private statusOf(task: WindowTask): number {
    return Atomics.load(new Uint32Array(this.engine.kernels.memory.buffer), task.status >>> 2);
  }

  private stateFor(input: KernelInput): WindowState {
    if (!this.state) {
      const k = this.engine.kernels;
      const P = this.engine.statePartitions;
      const wins: number[] = [];
      let status = 0;
      try {
        for (let p = 0; p < P; p++) {
          const ptr = k.winNew(input.keys.kind, input.values.kind, this.reducer.aggMask, this.numPanes, Math.ceil(1024 / P));
          if (ptr === 0) throw new RangeError('Sluice kernels are out of memory creating a window');
          wins.push(ptr);
        }
        status = allocOrThrow(k, P * 4);
      } catch (error) {
        for (const w of wins) k.winFree(w);
        throw error;
      }
      // Slides before the first rows have nothing to drop.
      this.pendingSlides = 0;
      this.state = { keyKind: input.keys.kind, valueKind: input.values.kind, wins, lanes: new PartitionLanes(P), status };
    }
    return this.state;
  }

  free(): void {
    const k: KernelExports = this.engine.kernels;
    if (this.state) {
      for (const w of this.state.wins) k.winFree(w);
      k.free(this.state.status);
    }
    this.state = undefined;
    this.strings?.free();
    this.strings = undefined;
  }
}
