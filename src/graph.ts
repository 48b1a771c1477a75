/**
 * DStreamGraph: the inputs and outputs of a streaming context. It starts the streams at the
 * zero time, validates the graph, and turns each batch time into a set of jobs.
 */
import { GraphValidationError } from './errors.js';
import type { Duration, Time } from './time.js';
import type { DStream, InputDStream } from './dstream/internal.js';
import type { Job } from './scheduler/job.js';
import type { StreamInputInfo } from './scheduler/listener.js';

/** An output stream as the graph sees it: a stream that turns batch times into jobs. */
export interface OutputStream extends Pick<DStream<unknown>, 'initialize' | 'remember' | 'validateAtStart' | 'clearMetadata'> {
  generateJob(time: Time): Job | undefined;
}

export class DStreamGraph {
  readonly inputStreams: InputDStream<unknown>[] = [];
  readonly outputStreams: OutputStream[] = [];
  private rememberDuration: Duration | undefined;
  zeroTime: Time | undefined;

  addInputStream(stream: InputDStream<unknown>): void {
    this.inputStreams.push(stream);
  }

  /** Adds an output and returns its id (its index, in definition order). */
  addOutputStream(stream: OutputStream): number {
    return this.outputStreams.push(stream) - 1;
  }

  remember(duration: Duration): void {
    this.rememberDuration = duration;
  }

  /** Checks that the graph can run. */
  validate(): void {
    if (this.outputStreams.length === 0) {
      throw new GraphValidationError(
        'No output operations registered, so nothing to execute: add one with print(), foreachRDD() or saveAsTextFiles() before start()',
      );
    }
  }

  /** Initializes every stream at `zeroTime`, sets remember durations and validates them. */
  start(zeroTime: Time): void {
    this.validate();
    // Checked once before initializing too: a stream keeps its zero time, so a graph that failed
    // validation after initialization could not be started again at a later time once fixed.
    for (const s of this.outputStreams) s.validateAtStart();
    this.zeroTime = zeroTime;
    for (const s of this.outputStreams) s.initialize(zeroTime);
    for (const s of this.inputStreams) s.initialize(zeroTime);
    if (this.rememberDuration !== undefined) for (const s of this.outputStreams) s.remember(this.rememberDuration);
    for (const s of this.outputStreams) s.validateAtStart();
  }

  /** Cuts the inputs' data into the batch at `time` and describes what each contributed. */
  async allocateInputs(time: Time): Promise<Map<number, StreamInputInfo>> {
    const infos = new Map<number, StreamInputInfo>();
    await Promise.all(
      this.inputStreams.map(async (s) => {
        const batch = await s.cutBatch(time);
        const { metadata, counters } = s.takeMetadata(time);
        infos.set(s.id, { inputStreamId: s.id, name: s.name, numRecords: batch?.count() ?? 0, metadata, ...counters });
      }),
    );
    return infos;
  }

  generateJobs(time: Time): Job[] {
    return this.outputStreams.flatMap((s) => s.generateJob(time) ?? []);
  }

  clearMetadata(time: Time): void {
    for (const s of this.outputStreams) s.clearMetadata(time);
    for (const s of this.inputStreams) s.clearMetadata(time);
  }

  /** Commits the inputs' offsets or acknowledgements for the batch at `time` (all outputs succeeded). */
  async commitInputs(time: Time): Promise<void> {
    await Promise.all(this.inputStreams.map((s) => s.commit(time)));
  }

  hasPendingInput(): boolean {
    return this.inputStreams.some((s) => s.hasPendingData());
  }
}
