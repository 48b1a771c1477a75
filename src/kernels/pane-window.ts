/**
 * A sliding window on the kernels: per key a ring of pane partials in kernel memory. A batch
 * touches only the current pane, so the cost per record does not grow with the window; a slide
 * drops the oldest pane (subtracting it for sum/count/mean, a two-stack for min/max).
 */
import { Agg, type KeyKind, type ValueKind } from './abi.js';
import type { PairColumns } from '../batch/columns.js';
import type { Reducer } from '../reducers.js';
import type { KernelEngine } from './engine.js';
import { batchKeyForm, copyBatchIn, type KernelInput } from './keyed-input.js';
import { exportColumns, type KeyForm } from './results.js';
import { StringKeys } from './string-keys.js';

export class PaneWindow {
  private win: { ptr: number; keyKind: KeyKind; valueKind: ValueKind } | undefined;
  private strings: StringKeys | undefined;
  private keyForm: KeyForm | undefined;
  /** Slides to apply before the next add, so an empty stream costs nothing until data comes. */
  private pendingSlides = 0;

  constructor(
    private readonly engine: KernelEngine,
    private readonly reducer: Reducer<unknown, unknown>,
    readonly numPanes: number,
  ) {
    engine.track(this);
  }

  /** Adds the partitions to the current pane. All are copied in before any is added: a bad batch changes nothing. */
  add(parts: readonly PairColumns[]): void {
    if (parts.length === 0) return;
    const k = this.engine.kernels;
    const who = `Window ${this.reducer.name}`;
    const form = batchKeyForm(parts, this.keyForm, who);
    const inputs = copyBatchIn(k, parts, form, who, () => (this.strings ??= new StringKeys(k)), this.reducer.aggMask !== Agg.COUNT);
    try {
      const win = this.windowFor(inputs[0]!);
      for (const input of inputs) {
        if (input.keys.kind !== win.keyKind || input.values.kind !== win.valueKind) {
          throw new TypeError(`Window ${this.reducer.name}: keys or values changed type between batches; a stream's columns must keep one type`);
        }
      }
      this.keyForm = form;
      this.applySlides();
      for (const input of inputs) k.winAdd(win.ptr, input.keys.ptr, input.values.ptr, input.keys.length);
    } finally {
      for (const input of inputs) input.free();
    }
  }

  /** Moves to a new, empty pane; the oldest leaves the window. */
  slide(): void {
    // Past numPanes slides the window is empty whatever more come: no need to apply them.
    this.pendingSlides = Math.min(this.pendingSlides + 1, this.numPanes);
  }

  private applySlides(): void {
    if (!this.win) {
      this.pendingSlides = 0;
      return;
    }
    for (; this.pendingSlides > 0; this.pendingSlides--) this.engine.kernels.winSlide(this.win.ptr);
  }

  /** The reducer's result over the window, for every key with a value in it. */
  result(): PairColumns | undefined {
    this.applySlides();
    if (!this.win) return undefined;
    const k = this.engine.kernels;
    const size = k.winSize(this.win.ptr);
    return exportColumns(k, k.winExport, this.win.ptr, size, this.win.keyKind, this.keyForm!, this.win.valueKind, this.reducer, this.strings?.strings);
  }

  private windowFor(input: KernelInput): { ptr: number; keyKind: KeyKind; valueKind: ValueKind } {
    if (!this.win) {
      const ptr = this.engine.kernels.winNew(input.keys.kind, input.values.kind, this.reducer.aggMask, this.numPanes, 1024);
      if (ptr === 0) throw new RangeError('Sluice kernels are out of memory creating a window');
      this.win = { ptr, keyKind: input.keys.kind, valueKind: input.values.kind };
    }
    return this.win;
  }

  free(): void {
    if (this.win) this.engine.kernels.winFree(this.win.ptr);
    this.win = undefined;
    this.strings?.free();
    this.strings = undefined;
  }
}
