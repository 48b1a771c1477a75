/** queueStream: batches taken from an array the program (or a test) pushes to. */
import { Batch } from '../batch/batch.js';
import type { ArrowBatch } from '../batch/columns.js';

/** What can be queued: an array of records, a Batch, or an Arrow Table / RecordBatch. */
export type QueueItem<T> = readonly T[] | Batch<T> | ArrowBatch;
import type { StreamingContext } from '../context.js';
import type { Time } from '../time.js';
import { InputDStream } from '../dstream/internal.js';

/** Options of `queueStream`. */
export interface QueueStreamOptions<T> {
  /** Take one queued item per batch (default), or everything queued. */
  oneAtATime?: boolean;
  /** The batch used when the queue is empty (default: an empty batch). */
  defaultBatch?: QueueItem<T>;
}

export class QueueInputDStream<T> extends InputDStream<T> {
  readonly name = 'queueStream';
  private readonly oneAtATime: boolean;
  private readonly defaultBatch: Batch<T> | undefined;

  constructor(
    ssc: StreamingContext,
    private readonly queue: Array<QueueItem<T>>,
    options: QueueStreamOptions<T>,
  ) {
    super(ssc);
    if (!Array.isArray(queue)) {
      throw new TypeError(`queueStream: queue must be an array of batches (arrays of records), got ${typeof queue}`);
    }
    this.oneAtATime = options.oneAtATime ?? true;
    this.defaultBatch = options.defaultBatch === undefined ? undefined : toBatch(options.defaultBatch, 'defaultBatch');
  }

  override hasPendingData(): boolean {
    return this.queue.length > 0;
  }

  protected async receive(_time: Time): Promise<Batch<T>> {
    const taken = this.oneAtATime ? this.queue.splice(0, 1) : this.queue.splice(0);
    if (taken.length === 0) return this.defaultBatch ?? Batch.empty<T>();
    return Batch.union(taken.map((item) => toBatch(item, 'each queued item')));
  }
}

function toBatch<T>(item: QueueItem<T>, what: string): Batch<T> {
  if (item instanceof Batch) return item;
  if (Batch.isArrow(item)) return Batch.fromArrow<T>(item);
  // A single record pushed by mistake (queue.push(x) for queue.push([x])) would otherwise be
  // read as a batch of its characters or elements, or give a batch of undefined size.
  if (!Array.isArray(item)) {
    throw new TypeError(`queueStream: ${what} must be an array of records, a Batch or an Arrow Table/RecordBatch, got ${typeof item}; push a batch, e.g. queue.push([record])`);
  }
  return Batch.of(item); // copies, so later changes to the pushed array cannot alter the batch
}
