/**
 * The only output DStream: at each of its batch times it yields one job, which computes the
 * parent's batch and hands it to the output function. print, foreachRDD and saveAsTextFiles
 * are all this.
 */
import type { Batch } from '../batch/batch.js';
import type { Duration, Time } from '../time.js';
import type { Job } from '../scheduler/job.js';
import { DStream } from './internal.js';

export class ForEachDStream<T> extends DStream<never> {
  private outputId = -1;

  constructor(
    private readonly parent: DStream<T>,
    readonly name: string,
    private readonly fn: (batch: Batch<T>, time: Time) => void | Promise<void>,
  ) {
    super(parent.ssc);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  protected compute(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  /** @internal Adds this output to the context's graph. */
  register(): void {
    this.outputId = this.ssc.graph.addOutputStream(this);
  }

  /** @internal The job for `time`, or nothing when `time` is not one of this stream's batch times. */
  generateJob(time: Time): Job | undefined {
    if (!this.isTimeValid(time)) return undefined;
    return {
      time,
      outputId: this.outputId,
      name: this.name,
      description: `${this.name} of ${this.parent}`,
      run: async () => {
        const batch = await this.parent.getOrCompute(time);
        if (batch) await this.fn(batch, time);
      },
    };
  }
}
