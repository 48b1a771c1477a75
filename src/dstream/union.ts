/** The union of several streams with the same slide: each batch is their batches side by side. */
import { Batch } from '../batch/batch.js';
import { SluiceError } from '../errors.js';
import type { Duration, Time } from '../time.js';
import { DStream, contextOf, requireSameSlide } from './internal.js';

export class UnionDStream<T> extends DStream<T> {
  readonly name = 'union';

  constructor(private readonly parents: readonly DStream<T>[]) {
    super(contextOf('union', parents));
    requireSameSlide('union', parents);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return this.parents;
  }

  get slideDuration(): Duration {
    return this.parents[0]!.slideDuration;
  }

  protected async compute(time: Time): Promise<Batch<T>> {
    const batches = await Promise.all(this.parents.map((p) => p.getOrCompute(time)));
    // As in Spark, a parent without a batch is an error, not an empty contribution: all parents
    // slide together, so a missing batch means a broken (custom) stream, whose data would be lost.
    const missing = this.parents.find((_p, i) => batches[i] === undefined);
    if (missing !== undefined) {
      throw new SluiceError(`Could not get the batch of ${missing} at ${time} ms for ${this}`);
    }
    return Batch.union(batches as Batch<T>[]);
  }
}
