/**
 * Calls back at every multiple of a period, on a clock. If a callback is slow, missed ticks
 * are still delivered, late, in order: every batch time gets its batch.
 */
import type { Duration, Time } from '../time.js';
import type { Clock } from './clock.js';

export class RecurringTimer {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private nextTime: Time = 0;
  private stopAt: Time = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly period: Duration,
    private readonly callback: (time: Time) => Promise<void>,
  ) {}

  /** The first multiple of the period strictly after now. */
  startTime(): Time {
    return (Math.floor(this.clock.now() / this.period) + 1) * this.period;
  }

  /** Starts ticking at `startTime`. */
  start(startTime: Time): void {
    this.nextTime = startTime;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted && this.nextTime <= this.stopAt) {
      await this.clock.sleepUntil(this.nextTime, this.abort.signal);
      if (this.abort.signal.aborted || this.nextTime > this.stopAt) break;
      const time = this.nextTime;
      this.nextTime += this.period;
      await this.callback(time);
    }
  }

  /** The time of the next tick that has not been delivered yet. */
  get pendingTime(): Time {
    return this.nextTime;
  }

  /** Stops now: no further tick is delivered. Resolves when the current callback returns. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /**
   * Delivers ticks up to and including `lastTime` (late ones included), then stops. Resolves
   * when the last callback returns; at once, apart from a running callback, when no tick up
   * to `lastTime` is left.
   */
  async stopAfter(lastTime: Time): Promise<void> {
    this.stopAt = Math.min(this.stopAt, lastTime);
    // Nothing left to deliver: wake the loop from its sleep rather than wait for a tick it must not deliver.
    if (this.nextTime > this.stopAt) this.abort.abort();
    await this.loop;
  }
}
