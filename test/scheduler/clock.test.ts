import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ManualClock, SystemClock } from '../../src/scheduler/clock.js';
import { RecurringTimer } from '../../src/scheduler/recurring-timer.js';
import { flush, track } from '../support/async.js';

describe('ManualClock', () => {
  it('starts at 0 or the given time and moves only when told', async () => {
    expect(new ManualClock().now()).toBe(0);
    const clock = new ManualClock(5000);
    expect(clock.now()).toBe(5000);
    await flush();
    expect(clock.now()).toBe(5000);
    clock.advance(250);
    expect(clock.now()).toBe(5250);
    clock.setTime(9000);
    expect(clock.now()).toBe(9000);
  });

  it('wakes a sleeper exactly when the time is reached, not before', async () => {
    const clock = new ManualClock();
    const sleep = track(clock.sleepUntil(1000, new AbortController().signal));
    clock.advance(999);
    await flush();
    expect(sleep.status).toBe('pending');
    clock.advance(1);
    await flush();
    expect(sleep.status).toBe('fulfilled');
  });

  it('wakes only the sleepers whose time has come', async () => {
    const clock = new ManualClock();
    const signal = new AbortController().signal;
    const a = track(clock.sleepUntil(100, signal));
    const b = track(clock.sleepUntil(300, signal));
    clock.setTime(200);
    await flush();
    expect([a.status, b.status]).toEqual(['fulfilled', 'pending']);
    clock.setTime(300);
    await flush();
    expect(b.status).toBe('fulfilled');
  });

  it('resolves at once for a time already passed or an aborted signal', async () => {
    const clock = new ManualClock(1000);
    const past = track(clock.sleepUntil(1000, new AbortController().signal));
    const aborted = new AbortController();
    aborted.abort();
    const early = track(clock.sleepUntil(5000, aborted.signal));
    await flush();
    expect(past.status).toBe('fulfilled');
    expect(early.status).toBe('fulfilled');
  });

  it('an abort wakes a sleeper early, and no abort listener is left behind', async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const sleep = track(clock.sleepUntil(10_000, ac.signal));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    ac.abort();
    await flush();
    expect(sleep.status).toBe('fulfilled');

    const ac2 = new AbortController();
    const woken = clock.sleepUntil(100, ac2.signal);
    clock.advance(100);
    await woken;
    expect(getEventListeners(ac2.signal, 'abort')).toHaveLength(0);
  });

  it('never goes backwards and rejects non-finite moves', () => {
    const clock = new ManualClock(1000);
    expect(() => clock.setTime(999)).toThrow(/cannot go back from 1000 to 999/);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.setTime(Number.NaN)).toThrow(RangeError);
    expect(clock.now()).toBe(1000);
  });
});

describe('SystemClock', () => {
  it('tells wall-clock time', () => {
    const before = Date.now();
    const now = new SystemClock().now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('sleeps until the given time, never waking early', async () => {
    const clock = new SystemClock();
    const ac = new AbortController();
    const target = Date.now() + 40;
    await clock.sleepUntil(target, ac.signal);
    expect(Date.now()).toBeGreaterThanOrEqual(target);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('returns at once for a past time', async () => {
    const started = Date.now();
    await new SystemClock().sleepUntil(started - 1000, new AbortController().signal);
    expect(Date.now() - started).toBeLessThan(50);
  });

  it('an abort cuts a long sleep short', async () => {
    const clock = new SystemClock();
    const ac = new AbortController();
    const started = Date.now();
    const sleep = clock.sleepUntil(started + 60_000, ac.signal);
    setTimeout(() => ac.abort(), 20);
    await sleep;
    expect(Date.now() - started).toBeLessThan(1000);

    const aborted = new AbortController();
    aborted.abort();
    const t0 = Date.now();
    await clock.sleepUntil(t0 + 60_000, aborted.signal);
    expect(Date.now() - t0).toBeLessThan(50);
  });
});

describe('RecurringTimer', () => {
  /** A timer with a 100 ms period on a manual clock at 0, recording each tick's time; not started. */
  function recordingTimer() {
    const clock = new ManualClock();
    const ticks: number[] = [];
    const timer = new RecurringTimer(clock, 100, async (t) => void ticks.push(t));
    return { clock, ticks, timer };
  }

  /** A recordingTimer started at 100, once its first tick has been delivered. */
  async function pastFirstTick() {
    const recording = recordingTimer();
    recording.timer.start(100);
    recording.clock.advance(100);
    await flush();
    return recording;
  }

  it('starts at the first multiple of the period strictly after now', () => {
    const clock = new ManualClock(2500);
    const timer = new RecurringTimer(clock, 1000, async () => {});
    expect(timer.startTime()).toBe(3000);
    clock.setTime(3000);
    expect(timer.startTime()).toBe(4000);
  });

  it('ticks at every multiple of the period as the clock reaches it', async () => {
    const { clock, ticks, timer } = recordingTimer();
    timer.start(timer.startTime());
    await flush();
    expect(ticks).toEqual([]);
    clock.advance(100);
    await flush();
    expect(ticks).toEqual([100]);
    clock.advance(50);
    await flush();
    expect(ticks).toEqual([100]);
    clock.advance(50);
    await flush();
    expect(ticks).toEqual([100, 200]);
    expect(timer.pendingTime).toBe(300);
    await timer.stop();
  });

  it('delivers missed ticks late, in order, one callback at a time', async () => {
    const clock = new ManualClock();
    const events: string[] = [];
    let release: (() => void) | undefined;
    const timer = new RecurringTimer(clock, 100, async (t) => {
      events.push(`start ${t}`);
      if (t === 100) await new Promise<void>((r) => (release = r));
      events.push(`end ${t}`);
    });
    timer.start(100);
    clock.advance(100);
    await flush();
    clock.advance(300); // 200, 300 and 400 fall due while the 100 callback is still running
    await flush();
    expect(events).toEqual(['start 100']);
    release!();
    await flush();
    expect(events).toEqual(['start 100', 'end 100', 'start 200', 'end 200', 'start 300', 'end 300', 'start 400', 'end 400']);
    await timer.stop();
  });

  it('stop() delivers no further tick and waits for the running callback', async () => {
    const clock = new ManualClock();
    const ticks: number[] = [];
    let release: (() => void) | undefined;
    let finished = false;
    const timer = new RecurringTimer(clock, 100, async (t) => {
      ticks.push(t);
      await new Promise<void>((r) => (release = r));
      finished = true;
    });
    timer.start(100);
    clock.advance(100);
    await flush();
    const stopped = track(timer.stop());
    await flush();
    expect(stopped.status).toBe('pending');
    release!();
    await flush();
    expect(finished).toBe(true);
    expect(stopped.status).toBe('fulfilled');
    clock.advance(1000);
    await flush();
    expect(ticks).toEqual([100]);
  });

  it('stop() on a sleeping timer returns at once, and on a timer never started too', async () => {
    const clock = new ManualClock();
    const timer = new RecurringTimer(clock, 100, async () => {});
    await timer.stop();
    const started = new RecurringTimer(clock, 100, async () => {});
    started.start(100);
    await started.stop();
  });

  it('stopAfter(t) delivers every tick up to and including t, then stops', async () => {
    const { clock, ticks, timer } = await pastFirstTick();
    const stopped = track(timer.stopAfter(300));
    clock.advance(100);
    await flush();
    expect(stopped.status).toBe('pending');
    clock.advance(500);
    await flush();
    expect(ticks).toEqual([100, 200, 300]);
    expect(stopped.status).toBe('fulfilled');
  });

  it('stopAfter(t) with no tick left up to t stops a sleeping timer at once', async () => {
    const { clock, ticks, timer } = await pastFirstTick();
    await timer.stopAfter(100); // sleeping until 200, which must not be delivered
    clock.advance(500);
    await flush();
    expect(ticks).toEqual([100]);
  });

  it('stopAfter(t) still delivers late ticks up to t', async () => {
    const { clock, ticks, timer } = recordingTimer();
    timer.start(100);
    clock.advance(450);
    await timer.stopAfter(300);
    expect(ticks).toEqual([100, 200, 300]);
  });

  it('keeps to the grid on a system clock', async () => {
    const clock = new SystemClock();
    const ticks: { time: number; at: number }[] = [];
    const timer = new RecurringTimer(clock, 20, async (time) => void ticks.push({ time, at: Date.now() }));
    timer.start(timer.startTime());
    await new Promise((r) => setTimeout(r, 110));
    await timer.stop();
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    for (const [i, t] of ticks.entries()) {
      expect(t.time % 20).toBe(0);
      expect(t.at).toBeGreaterThanOrEqual(t.time);
      if (i > 0) expect(t.time - ticks[i - 1]!.time).toBe(20);
    }
  });
});
