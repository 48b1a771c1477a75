/**
 * Clocks. The system clock sleeps on real timers; the manual clock only moves when a test
 * advances it, so a test can run many batches with no real sleeping.
 */
import type { Time } from '../time.js';

export interface Clock {
  /** Current time in milliseconds. */
  now(): Time;
  /** Resolves once `now() >= time`, or early when `signal` aborts. */
  sleepUntil(time: Time, signal: AbortSignal): Promise<void>;
}

/** Wall-clock time. */
export class SystemClock implements Clock {
  now(): Time {
    return Date.now();
  }

  sleepUntil(time: Time, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const wake = (): void => {
        const left = time - Date.now();
        if (left <= 0 || signal.aborted) {
          signal.removeEventListener('abort', onAbort);
          resolve();
        } else timer = setTimeout(wake, left);
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      let timer = setTimeout(wake, Math.max(0, time - Date.now()));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** A clock that moves only when told to, for deterministic tests. */
export class ManualClock implements Clock {
  private time: Time;
  private readonly sleepers = new Set<{ time: Time; wake: () => void }>();

  constructor(startTime: Time = 0) {
    this.time = startTime;
  }

  now(): Time {
    return this.time;
  }

  /** Moves the clock forward by `ms` and wakes everything sleeping until then. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`A manual clock can only advance by a finite, non-negative number of ms, got ${ms}`);
    }
    this.setTime(this.time + ms);
  }

  /** Sets the clock to `time` (never backwards) and wakes everything sleeping until then. */
  setTime(time: Time): void {
    // A NaN would pass the `<` check below and then freeze every sleeper forever.
    if (!Number.isFinite(time)) throw new RangeError(`A manual clock's time must be a finite number of ms, got ${time}`);
    if (time < this.time) throw new RangeError(`A manual clock cannot go back from ${this.time} to ${time}`);
    this.time = time;
    for (const s of this.sleepers) if (s.time <= time) s.wake();
  }

  sleepUntil(time: Time, signal: AbortSignal): Promise<void> {
    if (time <= this.time || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = {
        time,
        wake: (): void => {
          this.sleepers.delete(sleeper);
          signal.removeEventListener('abort', sleeper.wake);
          resolve();
        },
      };
      this.sleepers.add(sleeper);
      signal.addEventListener('abort', sleeper.wake, { once: true });
    });
  }
}
