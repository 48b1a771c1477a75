/**
 * Runs job sets one at a time, in batch-time order (Spark's `concurrentJobs = 1`): a slow batch
 * delays the next one, and the wait shows as scheduling delay. A failing job is retried; once it
 * has failed `maxTaskFailures` times the scheduler reports the error and runs no further batch.
 */
import { JobFailedError, describe } from '../errors.js';
import type { Time } from '../time.js';
import type { Clock } from './clock.js';
import type { Job, JobSet } from './job.js';
import type { BatchInfo, OutputOperationInfo } from './listener.js';
import type { ListenerBus } from './listener-bus.js';

export interface JobSchedulerOptions {
  readonly clock: Clock;
  readonly bus: ListenerBus;
  readonly maxTaskFailures: number;
  /** Called after a batch's jobs all succeeded (to forget old batches). */
  readonly onBatchDone: (time: Time) => void;
  /** Called once when a job has failed for good. */
  readonly onFatalError: (error: JobFailedError) => void;
}

export class JobScheduler {
  private readonly queue: { jobSet: JobSet; info: BatchInfo }[] = [];
  private running: Promise<void> | undefined;
  private draining = false;
  private accepting = true;
  private failed = false;
  private stopped = false;
  private lastDoneTime: Time = -Infinity;
  private readonly doneWaiters: { time: Time; resolve: () => void }[] = [];

  constructor(private readonly options: JobSchedulerOptions) {}

  /** Queues a job set. Job sets with no job are counted as done at once (Spark posts nothing for them). */
  submit(jobSet: JobSet): void {
    if (!this.accepting) return;
    if (jobSet.jobs.length === 0) {
      this.queue.push({ jobSet, info: batchInfo(jobSet) });
    } else {
      const info = batchInfo(jobSet);
      this.options.bus.post('onBatchSubmitted', { batchInfo: info });
      this.queue.push({ jobSet, info });
    }
    if (!this.draining) {
      // Set before the call: drain() may finish synchronously when no job set has jobs.
      this.draining = true;
      this.running = this.drain();
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.failed) {
        const next = this.queue.shift()!;
        if (next.jobSet.jobs.length > 0) await this.runJobSet(next.jobSet, next.info);
        if (!this.failed) this.markDone(next.jobSet.time);
      }
    } finally {
      this.draining = false;
    }
  }

  private async runJobSet(jobSet: JobSet, submitted: BatchInfo): Promise<void> {
    const { bus, clock } = this.options;
    const start = clock.now();
    const outputs = new Map<number, OutputOperationInfo>();
    let info: BatchInfo = { ...submitted, processingStartTime: start, schedulingDelay: start - jobSet.submissionTime };
    bus.post('onBatchStarted', { batchInfo: info });
    for (const job of jobSet.jobs) {
      const result = await this.runJob(job);
      outputs.set(job.outputId, result.info);
      if (result.error) {
        this.failed = true;
        // No later batch will run: stop announcing new ones to listeners.
        this.accepting = false;
        this.finish(info, outputs);
        this.options.onFatalError(result.error);
        return;
      }
    }
    info = this.finish(info, outputs);
  }

  private finish(info: BatchInfo, outputs: Map<number, OutputOperationInfo>): BatchInfo {
    const end = this.options.clock.now();
    const done: BatchInfo = {
      ...info,
      outputOperationInfos: outputs,
      processingEndTime: end,
      processingDelay: end - info.processingStartTime!,
      totalDelay: end - info.submissionTime,
    };
    this.options.bus.post('onBatchCompleted', { batchInfo: done });
    return done;
  }

  private async runJob(job: Job): Promise<{ info: OutputOperationInfo; error?: JobFailedError }> {
    const { bus, clock, maxTaskFailures } = this.options;
    const base = { batchTime: job.time, id: job.outputId, name: job.name, description: job.description };
    const startTime = clock.now();
    bus.post('onOutputOperationStarted', { outputOperationInfo: { ...base, startTime, attempts: 0 } });
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxTaskFailures; attempt++) {
      try {
        await job.run();
        const endTime = clock.now();
        const info = { ...base, startTime, endTime, attempts: attempt, duration: endTime - startTime };
        bus.post('onOutputOperationCompleted', { outputOperationInfo: info });
        return { info };
      } catch (error) {
        lastError = error;
      }
    }
    const endTime = clock.now();
    const info: OutputOperationInfo = {
      ...base,
      startTime,
      endTime,
      attempts: maxTaskFailures,
      duration: endTime - startTime,
      failureReason: describe(lastError),
    };
    bus.post('onOutputOperationCompleted', { outputOperationInfo: info });
    return { info, error: new JobFailedError(job.description, job.time, maxTaskFailures, lastError) };
  }

  private markDone(time: Time): void {
    this.lastDoneTime = time;
    this.options.onBatchDone(time);
    for (let i = this.doneWaiters.length - 1; i >= 0; i--) {
      const w = this.doneWaiters[i]!;
      if (w.time <= time) {
        this.doneWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Resolves once every job set up to and including `time` has run, or the scheduler has stopped. */
  whenDone(time: Time): Promise<void> {
    // Once stopped no batch will ever complete: waiting would hang (e.g. advanceBatches after a failure).
    if (this.lastDoneTime >= time || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.doneWaiters.push({ time, resolve }));
  }

  /** Job sets queued and not started yet. */
  get pendingTimes(): Time[] {
    return this.queue.map((q) => q.jobSet.time);
  }

  /**
   * Stops. With `drain`, queued job sets run first; without, they are dropped and returned.
   * Either way the job set that is running finishes (a JavaScript function cannot be interrupted).
   */
  async stop(drain: boolean): Promise<Time[]> {
    this.accepting = false;
    const dropped = drain ? [] : this.queue.splice(0).map((q) => q.jobSet.time);
    await this.running;
    this.stopped = true;
    for (const w of this.doneWaiters.splice(0)) w.resolve();
    return dropped;
  }
}

function batchInfo(jobSet: JobSet): BatchInfo {
  let numRecords = 0;
  for (const i of jobSet.inputInfos.values()) numRecords += i.numRecords;
  return {
    batchTime: jobSet.time,
    streamIdToInputInfo: jobSet.inputInfos,
    submissionTime: jobSet.submissionTime,
    // As Spark: a submitted batch lists its output operations, not started yet (no start time).
    outputOperationInfos: new Map(
      jobSet.jobs.map((j): [number, OutputOperationInfo] => [
        j.outputId,
        { batchTime: jobSet.time, id: j.outputId, name: j.name, description: j.description, attempts: 0 },
      ]),
    ),
    numRecords,
  };
}
