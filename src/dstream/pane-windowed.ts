/**
 * Sliding windows with a built-in reducer (reduceByKeyAndWindow(sum, ...), countByValueAndWindow,
 * countByWindow, reduceByWindow(min, ...)): pane-based, incremental, with the window's state
 * kept between batches — in kernel memory for kernel types, in a JS pane ring otherwise. Panes
 * are gcd(window, slide) long; each parent batch is added to its pane once, in time order, and
 * the window is read at every slide.
 */
import { Batch, type Pair } from '../batch/batch.js';
import { keyOnlyColumnsOf, pairColumnsOfRows, valueColumnOf, withF64Keys, type PairColumns } from '../batch/columns.js';
import { PaneWindow } from '../kernels/pane-window.js';
import type { KernelEngine } from '../kernels/engine.js';
import { JsPaneWindow } from '../kernels/js-pane-window.js';
import type { Reducer } from '../reducers.js';
import type { Duration, Time } from '../time.js';
import { IllegalStateError } from '../errors.js';
import { DStream, requireWindow } from './internal.js';

export type PaneInput = 'pairs' | 'values' | 'single';

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export class PaneWindowedDStream<K, R> extends DStream<Pair<K, R>> {
  private readonly paneDuration: Duration;
  private readonly numPanes: number;
  private readonly numPartitions: number;
  private backend: PaneWindow | JsPaneWindow<K> | undefined;
  /** Chosen by the first non-empty batch: kernel types go to the kernels, anything else to JS. */
  private kind: 'kernel' | 'js' | undefined;
  /** The last parent batch time added to the window. */
  private ingestedUpTo: Time | undefined;
  /** Index of the current pane: pane i covers (zero + (i − 1)·pane, zero + i·pane]. */
  private currentPane = 1;

  constructor(
    private readonly parent: DStream<unknown>,
    readonly name: string,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any value type the reducer takes
    private readonly reducer: Reducer<any, R>,
    /** How records feed the window: as pairs, as keys to count, or all under the key 0. */
    private readonly input: PaneInput,
    readonly windowDuration: Duration,
    private readonly slide: Duration,
    options: { mustCheckpoint?: boolean; numPartitions?: number | undefined } = {},
  ) {
    super(parent.ssc);
    requireWindow(parent, windowDuration, slide);
    this.paneDuration = gcd(windowDuration, slide);
    this.numPanes = windowDuration / this.paneDuration;
    this.mustCheckpoint = options.mustCheckpoint ?? false;
    this.numPartitions = options.numPartitions ?? 1;
    if (!(Number.isSafeInteger(this.numPartitions) && this.numPartitions >= 1)) {
      throw new RangeError(`${name}: numPartitions must be a positive integer, got ${options.numPartitions}`);
    }
    parent.remember(slide);
  }

  /** Keys with a value in the window after the latest batch: one output record per key. */
  protected override readonly outputIsState = true;

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  get slideDuration(): Duration {
    return this.slide;
  }

  protected override parentRememberDuration(): Duration {
    return (this.rememberDuration ?? this.slide) + this.slide;
  }

  protected async compute(time: Time): Promise<Batch<Pair<K, R>>> {
    const zero = this.zeroTime!;
    const step = this.parent.slideDuration;
    const from = this.ingestedUpTo ?? zero;
    if (time <= from) {
      throw new IllegalStateError(`${this}: the window has already moved past ${time} ms (batches are computed once, in time order)`);
    }
    // Gather first, then change the window: a batch that fails to convert leaves it untouched,
    // so a retry does not count anything twice.
    const pending: { pane: number; parts: readonly PairColumns[] | readonly (readonly [K, unknown])[] }[] = [];
    for (let t = from + step; t <= time; t += step) {
      const batch = await this.parent.getOrCompute(t);
      if (batch && !batch.isEmpty()) pending.push({ pane: Math.ceil((t - zero) / this.paneDuration), parts: this.prepare(batch) });
    }
    if (this.kind === 'kernel') this.engine ??= await this.ssc.kernelEngine();
    for (const { pane, parts } of pending) {
      this.moveTo(pane);
      await this.add(parts);
    }
    this.moveTo((time - zero) / this.paneDuration);
    this.ingestedUpTo = time;
    return this.read();
  }

  private moveTo(pane: number): void {
    for (; this.currentPane < pane; this.currentPane++) this.backend?.slide();
  }

  /** A batch in the form its backend takes; the first non-empty batch chooses the backend for good. */
  private prepare(batch: Batch<unknown>): readonly PairColumns[] | readonly (readonly [K, unknown])[] {
    const columns = this.kind === 'js' ? undefined : this.columnsOf(batch);
    this.kind ??= columns ? 'kernel' : 'js';
    if (this.kind === 'js') return this.pairsOf(batch);
    if (!columns) {
      throw new TypeError(`${this.name}: this stream's first batch had number or string keys and number values, but a later batch does not; keep one type`);
    }
    return columns;
  }

  private async add(parts: readonly PairColumns[] | readonly (readonly [K, unknown])[]): Promise<void> {
    if (this.kind === 'js') {
      this.backend ??= new JsPaneWindow<K>(this.reducer as Reducer<unknown, unknown>, this.numPanes);
      (this.backend as JsPaneWindow<K>).add(parts as readonly (readonly [K, unknown])[]);
    } else {
      await this.kernelWindow().add(parts as readonly PairColumns[]);
    }
  }

  private kernelWindow(): PaneWindow {
    if (!(this.backend instanceof PaneWindow)) {
      this.backend = new PaneWindow(this.engine!, this.reducer as Reducer<unknown, unknown>, this.numPanes);
    }
    return this.backend;
  }

  private engine: KernelEngine | undefined;

  private async read(): Promise<Batch<Pair<K, R>>> {
    let batch: Batch<Pair<K, R>>;
    if (this.backend instanceof JsPaneWindow) batch = Batch.of(this.backend.result() as Pair<K, R>[]);
    else {
      const result = await this.backend?.result();
      batch = result ? Batch.fromColumns<K, R>([result]) : Batch.empty();
    }
    return this.numPartitions === 1 ? batch : batch.partitionBy(this.numPartitions);
  }

  private columnsOf(batch: Batch<unknown>): readonly PairColumns[] | undefined {
    switch (this.input) {
      case 'pairs':
        if (batch.columns) return batch.columns.filter((c) => c.length > 0);
        // Number keys from rows as f64, whatever this batch's happen to be (see withF64Keys).
        return allOrNothing(batch.partitions.filter((p) => p.length > 0).map((p) => rowColumns(pairColumnsOfRows(p as readonly [unknown, unknown][]))));
      case 'values':
        return allOrNothing(batch.partitions.filter((p) => p.length > 0).map((p) => rowColumns(keyOnlyColumnsOf(p))));
      case 'single': {
        // Every record under the key 0: a column of zeros beside the values, no tuple per record.
        const records = batch.collect();
        const values = valueColumnOf(records);
        return values ? [{ length: records.length, keys: { kind: 'u32', data: new Uint32Array(records.length) }, values }] : undefined;
      }
    }
  }

  private pairsOf(batch: Batch<unknown>): readonly (readonly [K, unknown])[] {
    switch (this.input) {
      case 'pairs':
        return batch.collect() as (readonly [K, unknown])[];
      case 'values':
        return batch.collect().map((r) => [r as K, 1] as const);
      case 'single':
        return batch.collect().map((r) => [0 as K, r] as const);
    }
  }
}

function rowColumns(c: PairColumns | undefined): PairColumns | undefined {
  return c && withF64Keys(c);
}

function allOrNothing(parts: (PairColumns | undefined)[]): PairColumns[] | undefined {
  return parts.every((p) => p !== undefined) ? (parts as PairColumns[]) : undefined;
}
