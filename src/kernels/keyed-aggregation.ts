/**
 * One keyed aggregation operator (reduceByKey / countByValue with a built-in reducer) on the
 * kernels. Its table lives in kernel memory across batches: emptied, not freed, after each
 * batch, so a steady stream never regrows it. A batch worth a millisecond of work per thread or
 * more (WorkEstimate) is split into row ranges aggregated by the worker pool into per-worker
 * partial tables, then merged, as Spark combines map-side before the shuffle; smaller ones run
 * inline. Its state lasts one batch, so no partition outlives a task: the stateful windows are
 * what partition their state by key (PaneWindow).
 */
import { Agg, ValueKind, type KeyKind } from './abi.js';
import type { PairColumns } from '../batch/columns.js';
import type { Reducer } from '../reducers.js';
import type { KernelEngine } from './engine.js';
import { batchKeyForm, copyBatchIn, type KernelInput } from './keyed-input.js';
import { exportColumns } from './results.js';
import { StringKeys } from './string-keys.js';
import { keyBytes } from './transfer.js';
import { WorkEstimate } from './work-estimate.js';
import { alongside } from './alongside.js';

/** A dictionary is kept across batches up to this many strings, whatever the batches use. */
const MIN_STRINGS_KEPT = 65_536;

interface Table {
  readonly ptr: number;
  readonly keyKind: KeyKind;
  readonly valueKind: ValueKind;
}

export class KeyedAggregation {
  private table: Table | undefined;
  private partials: number[] = [];
  private strings: StringKeys | undefined;
  private lastSize = 1024;
  private readonly work = new WorkEstimate();

  constructor(
    private readonly engine: KernelEngine,
    private readonly reducer: Reducer<unknown, unknown>,
  ) {
    engine.track(this);
  }

  /** Aggregates all partitions of a batch into one result partition. */
  async run(parts: readonly PairColumns[]): Promise<PairColumns> {
    const k = this.engine.kernels;
    const withValues = this.reducer.aggMask !== Agg.COUNT;
    const who = `reduceByKey(${this.reducer.name})`;
    // The table lasts one batch, so a stream's key type may change between batches.
    const form = batchKeyForm(parts, undefined, who);
    const inputs = copyBatchIn(k, parts, form, who, () => (this.strings ??= new StringKeys(k)), withValues);
    try {
      const table = this.tableFor(inputs[0]!);
      for (const input of inputs) {
        if (input.values.kind !== table.valueKind) throw new TypeError(`reduceByKey(${this.reducer.name}): partitions of one batch have values of different types`);
      }
      try {
        for (const input of inputs) await this.add(table, input);
      } catch (error) {
        // A failed attempt leaves nothing behind: the retry starts from empty tables.
        k.aggClear(table.ptr);
        for (const partial of this.partials) k.aggClear(partial);
        throw error;
      }
      const size = k.aggSize(table.ptr);
      this.lastSize = Math.max(1024, size);
      const result = exportColumns(k, k.aggExport, table.ptr, size, table.keyKind, form, table.valueKind, this.reducer, this.strings?.strings);
      k.aggClear(table.ptr);
      this.forgetStaleStrings(size);
      return result;
    } finally {
      for (const input of inputs) input.free();
    }
  }

  /**
   * String ids only need to agree within a batch (the table is emptied after each), so once the
   * dictionary holds many more strings than a batch uses (keys that churn: session ids, URLs),
   * it is dropped and the next batch starts a fresh one: its memory follows the recent keys,
   * not every key ever seen. A result keeps the string array it was made with.
   */
  private forgetStaleStrings(batchKeys: number): void {
    if (this.strings && this.strings.strings.length > Math.max(MIN_STRINGS_KEPT, 4 * batchKeys)) {
      this.strings.free();
      this.strings = undefined;
    }
  }

  /** Strings in the dictionary now (0 without string keys). */
  get stringKeyCount(): number {
    return this.strings?.strings.length ?? 0;
  }

  private tableFor(input: KernelInput): Table {
    const k = this.engine.kernels;
    if (this.table && (this.table.keyKind !== input.keys.kind || this.table.valueKind !== input.values.kind)) {
      this.freeTables();
    }
    if (!this.table) {
      const ptr = k.aggNew(input.keys.kind, input.values.kind, this.reducer.aggMask, this.lastSize);
      if (ptr === 0) throw new RangeError('Sluice kernels are out of memory creating an aggregation table');
      this.table = { ptr, keyKind: input.keys.kind, valueKind: input.values.kind };
    }
    return this.table;
  }

  /** Folds one partition into the table: inline, or split over the workers and merged. */
  private async add(table: Table, input: KernelInput): Promise<void> {
    const k = this.engine.kernels;
    const n = input.keys.length;
    const shares = this.work.sharesFor(n, this.engine.threads); // at most engine.threads = pool.size + 1
    const pool = this.engine.poolFor(shares);
    if (!pool) {
      this.work.time(n, () => k.aggAdd(table.ptr, input.keys.ptr, input.values.ptr, n));
      return;
    }
    // The calling thread takes the first share itself (it would only wait otherwise).
    while (this.partials.length < pool.size) {
      const ptr = k.aggNew(table.keyKind, table.valueKind, this.reducer.aggMask, this.lastSize);
      if (ptr === 0) throw new RangeError('Sluice kernels are out of memory creating an aggregation table');
      this.partials.push(ptr);
    }
    const keyStride = keyBytes(table.keyKind);
    const valueStride = table.valueKind === ValueKind.I32 ? 4 : 8;
    const range = (share: number): { keys: number; values: number; n: number } => {
      const from = Math.floor((share * n) / shares);
      const to = Math.floor(((share + 1) * n) / shares);
      return { keys: input.keys.ptr + from * keyStride, values: input.values.ptr === 0 ? 0 : input.values.ptr + from * valueStride, n: to - from };
    };
    const tasks: Promise<void>[] = [];
    for (let share = 1; share < shares; share++) {
      const r = range(share);
      if (r.n > 0) tasks.push(pool.run({ op: 'aggAdd', table: this.partials[share - 1]!, ...r }));
    }
    const mine = range(0);
    await alongside(tasks, () => this.work.time(mine.n, () => k.aggAdd(table.ptr, mine.keys, mine.values, mine.n)));
    for (const partial of this.partials.slice(0, shares - 1)) {
      k.aggMerge(table.ptr, partial);
      k.aggClear(partial);
    }
  }

  private freeTables(): void {
    const k = this.engine.kernels;
    if (this.table) k.aggFree(this.table.ptr);
    for (const p of this.partials) k.aggFree(p);
    this.table = undefined;
    this.partials = [];
  }

  /** Releases the table(s) and the dictionary. */
  free(): void {
    this.freeTables();
    this.strings?.free();
    this.strings = undefined;
  }
}
