/**
 * At every batch time, cuts the inputs into a batch, asks the graph for that time's jobs and
 * submits them. It never waits for jobs to run: processing that falls behind queues up and
 * shows as scheduling delay instead of shifting batch times.
 */
import type { DStreamGraph } from '../graph.js';
import { floorTime, type Duration, type Time } from '../time.js';
import type { Clock } from './clock.js';
import type { JobScheduler } from './job-scheduler.js';
import { RecurringTimer } from './recurring-timer.js';

export class JobGenerator {
  private readonly timer: RecurringTimer;
  private lastGeneratedTime: Time | undefined;
  private firstTime: Time | undefined;
  private started = false;

  constructor(
    private readonly clock: Clock,
    private readonly batchInterval: Duration,
    private readonly graph: DStreamGraph,
    private readonly scheduler: JobScheduler,
    private readonly onError: (error: unknown) => void,
  ) {
    this.timer = new RecurringTimer(clock, batchInterval, (time) => this.generateJobs(time));
  }

  /**
   * Fixes the batch times and initializes (and so validates) the graph; returns the zero time,
   * one interval before the first batch. Nothing is started yet, so a graph that cannot run
   * fails here without side effects.
   */
  initialize(): Time {
    this.firstTime = this.timer.startTime();
    const zeroTime = this.firstTime - this.batchInterval;
    this.graph.start(zeroTime);
    return zeroTime;
  }

  /**
   * Starts generating batches, the first at the time fixed by {@link initialize}. Call it once
   * the inputs have started, so that no batch is cut from an input that is not ready; if that
   * took longer than an interval, the batch times already passed are still generated, late.
   */
  start(): void {
    if (this.firstTime === undefined) throw new Error('JobGenerator.start() called before initialize()');
    this.started = true;
    this.timer.start(this.firstTime);
  }

  private async generateJobs(time: Time): Promise<void> {
    try {
      const started = this.clock.now();
      const inputInfos = await this.graph.allocateInputs(time);
      const jobs = this.graph.generateJobs(time);
      this.lastGeneratedTime = time;
      // Spark generates batches on a thread of their own, so a job set is submitted right after
      // its batch time. Here a batch that computes synchronously blocks the event loop and the
      // timer with it: this tick may come late. Counting submission from the batch time (plus
      // the time taken to cut the inputs) makes that lateness show as scheduling delay instead
      // of hiding it.
      const now = this.clock.now();
      this.scheduler.submit({ time, jobs, inputInfos, submissionTime: Math.min(now, time + (now - started)) });
    } catch (error) {
      this.onError(error);
    }
  }

  /** The time of the last batch generated. */
  get lastTime(): Time | undefined {
    return this.lastGeneratedTime;
  }

  /**
   * Stops at once: no further batch is generated. Resolves with the batch times that were due
   * but not generated yet (the timer falls behind while a batch blocks the event loop).
   */
  async stop(): Promise<Time[]> {
    await this.timer.stop();
    const skipped: Time[] = [];
    if (!this.started) return skipped;
    for (let t = this.timer.pendingTime; t <= this.clock.now(); t += this.batchInterval) skipped.push(t);
    return skipped;
  }

  /**
   * Stops after generating every batch already due, so that none is skipped. With
   * `includeNext`, data received but not in a batch yet is also taken in: if no due batch is
   * left to take it, one more batch is generated at the next batch time.
   */
  async stopGracefully(includeNext: boolean): Promise<void> {
    if (!this.started) return this.timer.stop();
    const pending = this.timer.pendingTime;
    const lastDue = floorTime(this.clock.now(), this.batchInterval, this.firstTime);
    await this.timer.stopAfter(includeNext ? Math.max(lastDue, pending) : lastDue);
  }
}
