/**
 * A stream computed batch by batch from the batches of its parents at the same time: every
 * record-wise operation (map, filter, flatMap, ...), keyed operation within a batch
 * (reduceByKey, join, ...) and user `transform` is one of these, with its own name.
 */
import { Batch } from '../batch/batch.js';
import { InvalidDurationError } from '../errors.js';
import { formatDuration, type Duration, type Time } from '../time.js';
import { DStream } from './internal.js';
import type { StreamingContext } from '../context.js';

export class TransformedDStream<U> extends DStream<U> {
  constructor(
    readonly name: string,
    private readonly parents: readonly DStream<unknown>[],
    private readonly fn: (batches: readonly Batch<unknown>[], time: Time) => Batch<U>,
  ) {
    super(contextOf(name, parents));
    requireSameSlide(name, parents);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return this.parents;
  }

  get slideDuration(): Duration {
    return this.parents[0]!.slideDuration;
  }

  protected async compute(time: Time): Promise<Batch<U> | undefined> {
    const batches = await Promise.all(this.parents.map((p) => p.getOrCompute(time)));
    // A parent without a batch at this time (only custom streams do that) gives no batch here,
    // as Spark's map-like streams pass `None` through.
    if (batches.some((b) => b === undefined)) return undefined;
    return requireBatch(this, this.fn(batches as Batch<unknown>[], time), time);
  }
}

/**
 * A user transform that returns something else than a batch (say `null`, or forgets `return`)
 * would otherwise surface later as an unrelated TypeError downstream, or as a silently missing
 * batch. Spark fails the same way: "Transform function must not return null".
 */
function requireBatch<U>(stream: DStream<U>, result: Batch<U>, time: Time): Batch<U> {
  if (result instanceof Batch) return result;
  throw new TypeError(
    `The function of ${stream} returned ${result === null ? 'null' : typeof result} for the batch at ${time} ms instead of a Batch. Return Batch.empty() for a batch with no record`,
  );
}

/** The context of the streams to combine; checked before anything else so that `[]` fails clearly. */
export function contextOf(name: string, streams: readonly DStream<unknown>[]): StreamingContext {
  if (streams.length === 0) throw new RangeError(`${name} needs at least one stream`);
  return streams[0]!.ssc;
}

/** Streams combined batch by batch must produce batches at the same times. */
export function requireSameSlide(name: string, streams: readonly DStream<unknown>[]): void {
  if (streams.length === 0) throw new RangeError(`${name} needs at least one stream`);
  const ssc = streams[0]!.ssc;
  const slide = streams[0]!.slideDuration;
  for (const s of streams) {
    if (s.ssc !== ssc) throw new RangeError(`${name}: all streams must belong to the same StreamingContext`);
    if (s.slideDuration !== slide) {
      throw new InvalidDurationError(
        `${name}: all streams must have the same slide duration, but ${streams[0]} slides every ${formatDuration(slide)} and ${s} every ${formatDuration(s.slideDuration)}`,
      );
    }
  }
}
