/**
 * A sliding window over a stream: the batch at time t is the union of the parent's batches in
 * `(t - window, t]`, produced every slide.
 */
import { Batch } from '../batch/batch.js';
import type { Duration, Time } from '../time.js';
import { DStream, requireMultiple } from './internal.js';

export class WindowedDStream<T> extends DStream<T> {
  readonly name = 'window';

  constructor(
    private readonly parent: DStream<T>,
    readonly windowDuration: Duration,
    private readonly slide: Duration,
  ) {
    super(parent.ssc);
    requireWindow(parent, windowDuration, slide);
    // The parent's batches are needed for as long as they can fall inside a window.
    parent.remember(windowDuration);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  get slideDuration(): Duration {
    return this.slide;
  }

  protected override parentRememberDuration(): Duration {
    return (this.rememberDuration ?? this.slide) + this.windowDuration;
  }

  protected async compute(time: Time): Promise<Batch<T>> {
    const from = time - this.windowDuration + this.parent.slideDuration;
    const batches = await this.parent.slice(from, time);
    return batches.length === 0 ? Batch.empty<T>() : Batch.union(batches);
  }
}

/** Window and slide must be positive multiples of the parent's slide; the error names both. */
export function requireWindow(parent: DStream<unknown>, windowDuration: Duration, slideDuration: Duration): void {
  requireMultiple(windowDuration, 'window duration', parent.slideDuration, `slide duration of the parent stream`);
  requireMultiple(slideDuration, 'slide duration', parent.slideDuration, `slide duration of the parent stream`);
}
