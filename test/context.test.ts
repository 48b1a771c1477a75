import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  GraphValidationError,
  IllegalStateError,
  InvalidDurationError,
  JobFailedError,
  Milliseconds,
  Receiver,
  Seconds,
  StreamingContext,
  type BatchInfo,
  type DStream,
  type OutputOperationInfo,
} from '../src/index.js';
import { ManualClock, SystemClock } from '../src/scheduler/clock.js';
import { advanceBatches } from '../src/testing.js';
import { deferred, flush, rejectionOf, track } from './support/async.js';
import { manualContext } from './support/context.js';

/** A receiver the test pushes records into. */
class PushReceiver extends Receiver<string> {
  starts = 0;
  stops = 0;
  onStart(): void {
    this.starts++;
  }
  onStop(): void {
    this.stops++;
  }
}

afterEach(() => vi.restoreAllMocks());

/** process.emitWarning calls, recorded (and kept off the console) once spyOnWarnings() ran. */
let warnings: unknown[][] = [];
function spyOnWarnings(): void {
  warnings = [];
  vi.spyOn(process, 'emitWarning').mockImplementation((...args: unknown[]) => void warnings.push(args));
}
const stopWarnings = (): string[] => warnings.filter((c) => c[1] === 'SluiceStopWarning').map((c) => String(c[0]));

describe('StreamingContext construction', () => {
  it('has defaults and a clock of the requested kind', () => {
    const ssc = new StreamingContext({ batchInterval: Milliseconds(500) });
    expect(ssc.batchInterval).toBe(500);
    expect(ssc.appName).toBe('sluice');
    expect(ssc.state).toBe('initialized');
    expect(ssc.clock).toBeInstanceOf(SystemClock);
    expect(ssc.startTime).toBeUndefined();
    const manual = new StreamingContext({ batchInterval: Seconds(1), appName: 'wc', clock: 'manual' });
    expect(manual.appName).toBe('wc');
    expect(manual.clock).toBeInstanceOf(ManualClock);
  });

  it('rejects a bad batch interval or maxTaskFailures with a clear message', () => {
    expect(() => new StreamingContext({ batchInterval: 0 })).toThrow(InvalidDurationError);
    expect(() => new StreamingContext({ batchInterval: -1 })).toThrow(InvalidDurationError);
    expect(() => new StreamingContext({ batchInterval: 0.5 })).toThrow(InvalidDurationError);
    expect(() => new StreamingContext({ batchInterval: Number.NaN })).toThrow(InvalidDurationError);
    expect(() => new StreamingContext({ batchInterval: 1000, maxTaskFailures: 0 })).toThrow(/maxTaskFailures must be a positive integer/);
    expect(() => new StreamingContext({ batchInterval: 1000, maxTaskFailures: 1.5 })).toThrow(RangeError);
  });
});

describe('StreamingContext lifecycle', () => {
  it('refuses to start without an output operation, as Spark does, and starts nothing', async () => {
    const { ssc } = manualContext();
    const receiver = new PushReceiver();
    ssc.receiverStream(receiver).map((s) => s.length);
    const start = ssc.start();
    await expect(start).rejects.toThrow(GraphValidationError);
    await expect(start).rejects.toThrow(/No output operations registered.*print\(\), foreachRDD\(\) or saveAsTextFiles\(\)/);
    expect(ssc.state).toBe('initialized');
    expect(receiver.starts).toBe(0);
  });

  it('can start after a failed validation once an output is added', async () => {
    const { ssc } = manualContext();
    const stream = ssc.queueStream([[1]]);
    await expect(ssc.start()).rejects.toThrow(GraphValidationError);
    const seen: number[][] = [];
    stream.foreachRDD((b) => void seen.push(b.collect()));
    await ssc.start();
    await advanceBatches(ssc, 1);
    await ssc.stop();
    expect(seen).toEqual([[1]]);
  });

  it('refuses to start a stateful graph without a checkpoint directory, and can start later once it is set', async () => {
    const { ssc, clock } = manualContext();
    const out: [number, unknown[]][] = [];
    ssc
      .queueStream<[string, number]>([[['a', 1]], [['a', 2]]])
      .updateStateByKey<string, number, number>((vs, s) => vs.reduce((x, y) => x + y, s ?? 0))
      .foreachRDD((b, t) => void out.push([t, b.collect()]));
    await expect(ssc.start()).rejects.toThrow(GraphValidationError);
    await expect(ssc.start()).rejects.toThrow(/checkpoint directory has not been set\. Call ssc\.checkpoint\(directory\) before start\(\)/);
    expect(ssc.state).toBe('initialized');
    clock.advance(5500);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-ctx-'));
    try {
      ssc.checkpoint(dir);
      await ssc.start();
      await advanceBatches(ssc, 2);
      await ssc.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(out).toEqual([
      [6000, [['a', 1]]],
      [7000, [['a', 3]]],
    ]);
  });

  it('goes initialized → active → stopped, starting and stopping the inputs', async () => {
    const { ssc } = manualContext();
    const receiver = new PushReceiver();
    ssc.receiverStream(receiver).foreachRDD(() => {});
    const states: string[] = [ssc.state];
    await ssc.start();
    states.push(ssc.state);
    expect(ssc.startTime).toBe(0);
    expect(receiver.starts).toBe(1);
    await ssc.stop();
    states.push(ssc.state);
    expect(states).toEqual(['initialized', 'active', 'stopped']);
    expect(receiver.stops).toBe(1);
  });

  it('cannot be started twice, nor restarted once stopped', async () => {
    const { ssc } = manualContext();
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await ssc.start();
    await expect(ssc.start()).rejects.toThrow(IllegalStateError);
    await expect(ssc.start()).rejects.toThrow(/Cannot call start\(\) on a StreamingContext that is active/);
    await ssc.stop();
    await expect(ssc.start()).rejects.toThrow(/stopped: a stopped context cannot be restarted; create a new StreamingContext/);
  });

  it('rejects new streams, operations and settings once started, and once stopped', async () => {
    const { ssc } = manualContext();
    const stream = ssc.queueStream<number>([]);
    stream.foreachRDD(() => {});
    await ssc.start();
    const attempts: [string, () => unknown][] = [
      ['map', () => stream.map((n) => n + 1)],
      ['print', () => stream.print()],
      ['foreachRDD', () => stream.foreachRDD(() => {})],
      ['saveAsTextFiles', () => stream.saveAsTextFiles('/tmp/never')],
      ['queueStream', () => ssc.queueStream([])],
      ['remember', () => ssc.remember(Seconds(5))],
      ['checkpoint', () => ssc.checkpoint('/tmp/never-checkpoint')],
    ];
    for (const [what, attempt] of attempts) {
      expect(attempt, what).toThrow(IllegalStateError);
    }
    expect(() => stream.map((n) => n)).toThrow(/after starting a context is not supported; define the whole graph before start\(\)/);
    await ssc.stop();
    for (const [what, attempt] of attempts) {
      expect(attempt, what).toThrow(IllegalStateError);
    }
    // Adding a listener is allowed at any time.
    ssc.addStreamingListener({});
  });

  it('stop() before start() stops it for good; calling stop() again is harmless', async () => {
    const { ssc } = manualContext();
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await ssc.stop();
    expect(ssc.state).toBe('stopped');
    await ssc.stop();
    await ssc.stop({ graceful: true });
    await expect(ssc.awaitTermination()).resolves.toBe(true);
    await expect(ssc.start()).rejects.toThrow(IllegalStateError);
  });

  it('concurrent and repeated stop() calls share one shutdown', async () => {
    const { ssc } = manualContext();
    const receiver = new PushReceiver();
    ssc.receiverStream(receiver).foreachRDD(() => {});
    await ssc.start();
    await Promise.all([ssc.stop(), ssc.stop(), ssc.stop({ graceful: true })]);
    await ssc.stop();
    expect(receiver.stops).toBe(1);
    expect(ssc.state).toBe('stopped');
  });

  it.each([false, true])('an input that fails to stop is reported and the context still stops (graceful: %s)', async (graceful) => {
    spyOnWarnings();
    const { ssc } = manualContext();
    const stream = ssc.queueStream<number>([]);
    stream.foreachRDD(() => {});
    const receiver = new PushReceiver();
    ssc.receiverStream(receiver).foreachRDD(() => {});
    const broken = () => Promise.reject(new Error('socket stuck'));
    Object.assign(stream, { stop: broken, stopReceiving: broken });
    await ssc.start();
    await ssc.stop({ graceful });
    expect(ssc.state).toBe('stopped');
    await expect(ssc.awaitTermination()).resolves.toBe(true);
    expect(receiver.stops).toBe(1);
    expect(stopWarnings()[0]).toMatch(/^queueStream stream #\d+ failed to stop: Error: socket stuck$/);
  });

  it('a failing input start fails start() and the context', async () => {
    const { ssc } = manualContext();
    const receiver = new PushReceiver();
    const stream = ssc.queueStream<number>([]);
    stream.foreachRDD(() => {});
    const cause = new Error('cannot connect');
    (stream as unknown as { start(): Promise<void> }).start = () => Promise.reject(cause);
    ssc.receiverStream(receiver).foreachRDD(() => {});
    await expect(ssc.start()).rejects.toBe(cause);
    expect(ssc.state).toBe('stopped');
    await expect(ssc.awaitTermination()).rejects.toBe(cause);
    expect(receiver.stops).toBe(1);
  });
});

describe('batch times', () => {
  it('are the multiples of the batch interval after the zero time', async () => {
    const { ssc, clock } = manualContext();
    clock.setTime(2500);
    const times: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD((_b, t) => void times.push(t));
    await ssc.start();
    await advanceBatches(ssc, 3);
    await ssc.stop();
    expect(times).toEqual([3000, 4000, 5000]);
  });

  it('a clock that jumps several intervals gets one batch per interval, in order', async () => {
    const { ssc, clock } = manualContext();
    const seen: [number, number[]][] = [];
    ssc.queueStream([[1], [2], [3], [4]]).foreachRDD((b, t) => void seen.push([t, b.collect()]));
    await ssc.start();
    clock.advance(Seconds(4));
    await ssc.whenBatchesDone(4000);
    await ssc.stop();
    expect(seen).toEqual([
      [1000, [1]],
      [2000, [2]],
      [3000, [3]],
      [4000, [4]],
    ]);
  });
});

describe('awaitTermination', () => {
  it('resolves true when the context is stopped', async () => {
    const { ssc } = manualContext();
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await ssc.start();
    const waiting = ssc.awaitTermination();
    const state = track(waiting);
    await flush();
    expect(state.status).toBe('pending');
    await ssc.stop();
    await expect(waiting).resolves.toBe(true);
    await expect(ssc.awaitTermination(10)).resolves.toBe(true);
  });

  it('resolves false when the timeout passes first', async () => {
    const { ssc } = manualContext();
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await ssc.start();
    const started = Date.now();
    await expect(ssc.awaitTermination(30)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(ssc.state).toBe('active');
    await ssc.stop();
  });
});

describe('failures', () => {
  it('retries a job whose map function throws, and the retry sees the same batch', async () => {
    const { ssc } = manualContext();
    let calls = 0;
    const out: [number, number[]][] = [];
    const completed: OutputOperationInfo[] = [];
    ssc.addStreamingListener({ onOutputOperationCompleted: (e) => void completed.push(e.outputOperationInfo) });
    ssc
      .queueStream([[1, 2, 3], [4]])
      .map((n) => {
        calls++;
        if (calls <= 2) throw new Error(`transient ${calls}`);
        return n * 10;
      })
      .foreachRDD((b, t) => void out.push([t, b.collect()]));
    await ssc.start();
    await advanceBatches(ssc, 2);
    await ssc.stop();
    // Attempt 1 fails on record 1, attempt 2 fails on record 1 again, attempt 3 maps all three.
    expect(calls).toBe(2 + 3 + 1);
    expect(out).toEqual([
      [1000, [10, 20, 30]],
      [2000, [40]],
    ]);
    expect(completed.map((c) => [c.batchTime, c.attempts, c.failureReason])).toEqual([
      [1000, 3, undefined],
      [2000, 1, undefined],
    ]);
    await expect(ssc.awaitTermination()).resolves.toBe(true);
  });

  it.each([
    [undefined, 4],
    [1, 1],
    [2, 2],
  ])('with maxTaskFailures %s, a function that always throws is attempted exactly %i times, then the context fails', async (max, expected) => {
    const { ssc, clock } = manualContext(max === undefined ? {} : { maxTaskFailures: max });
    let attempts = 0;
    const later: number[] = [];
    const batches: BatchInfo[] = [];
    const started: number[] = [];
    ssc.addStreamingListener({
      onBatchCompleted: (e) => void batches.push(e.batchInfo),
      onBatchStarted: (e) => void started.push(e.batchInfo.batchTime),
    });
    const cause = new TypeError('cannot parse "x"');
    const input = ssc.queueStream([['x'], ['y'], ['z']]);
    input
      .map((s) => {
        attempts++;
        throw cause;
      })
      .foreachRDD(() => {});
    input.foreachRDD((_b, t) => void later.push(t));
    await ssc.start();

    clock.advance(Seconds(3)); // three batches due at once: only the first may run
    const error = await rejectionOf(ssc.awaitTermination());
    expect(attempts).toBe(expected);
    expect(error).toBeInstanceOf(JobFailedError);
    const failed = error as JobFailedError;
    expect(failed.batchTime).toBe(1000);
    expect(failed.attempts).toBe(expected);
    expect(failed.cause).toBe(cause);
    expect(failed.operation).toMatch(/^foreachRDD of map stream #\d+$/);
    expect(failed.message).toMatch(
      new RegExp(`^Output operation "foreachRDD of map stream #\\d+" failed for batch 1000 ms after ${expected} attempt\\(s\\): TypeError: cannot parse "x"$`),
    );
    expect(ssc.state).toBe('stopped');
    // The second output of the failed batch and every later batch never ran.
    expect(later).toEqual([]);
    expect(started).toEqual([1000]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.outputOperationInfos.get(0)).toMatchObject({
      attempts: expected,
      failureReason: 'TypeError: cannot parse "x"',
    });
    // Every waiter sees the same error, and nothing restarts it.
    await expect(ssc.awaitTermination(10)).rejects.toBe(error);
    clock.advance(Seconds(5));
    await flush();
    expect(attempts).toBe(expected);
    await expect(advanceBatches(ssc, 1)).rejects.toBe(error);
  });

  it('a rejected promise from an async output fails the batch like a throw, and is retried', async () => {
    const { ssc } = manualContext({ maxTaskFailures: 3 });
    const seen: number[][] = [];
    let attempts = 0;
    ssc.queueStream([[1, 2], [3]]).foreachRDD(async (b) => {
      attempts++;
      seen.push(b.collect());
      await flush();
      throw new Error('sink unavailable');
    });
    await ssc.start();
    await expect(advanceBatches(ssc, 2)).rejects.toThrow(/failed for batch 1000 ms after 3 attempt\(s\): Error: sink unavailable/);
    // Every attempt got the same batch: retrying does not take the next records from the input.
    expect(seen).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(attempts).toBe(3);
    await expect(ssc.awaitTermination()).rejects.toBeInstanceOf(JobFailedError);
  });

  it('an output that fails once does not lose its batch', async () => {
    const { ssc } = manualContext();
    const delivered: number[] = [];
    let failNext = true;
    ssc.queueStream([[1, 2], [3], [4, 5]]).foreachRDD((b) => {
      if (failNext) {
        failNext = false;
        throw new Error('hiccup');
      }
      delivered.push(...b.collect());
    });
    await ssc.start();
    await advanceBatches(ssc, 3);
    await ssc.stop();
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
  });

  it('an error while cutting the inputs fails the context', async () => {
    const { ssc, clock } = manualContext();
    const stream = ssc.queueStream<number>([[1]]);
    const ran = vi.fn();
    stream.foreachRDD(ran);
    const cause = new Error('disk gone');
    (stream as unknown as { compute(): Promise<never> }).compute = () => Promise.reject(cause);
    await ssc.start();
    clock.advance(1000);
    await expect(ssc.awaitTermination()).rejects.toBe(cause);
    expect(ran).not.toHaveBeenCalled();
    expect(ssc.state).toBe('stopped');
  });
});

describe('stop', () => {
  it('in the middle of a batch waits for that batch, starts no other, and ends awaitTermination', async () => {
    spyOnWarnings();
    const { ssc, clock } = manualContext();
    const gate = deferred();
    const started: number[] = [];
    const finished: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (_b, t) => {
      started.push(t);
      await gate.promise;
      finished.push(t);
    });
    await ssc.start();
    clock.advance(1000);
    await flush();
    expect(started).toEqual([1000]);
    clock.advance(1000); // batch 2000 queues up behind the blocked one

    const stopping = ssc.stop();
    const stopState = track(stopping);
    const terminated = ssc.awaitTermination();
    await flush();
    expect(stopState.status).toBe('pending');
    expect(ssc.state).toBe('active');
    clock.advance(5000);
    await flush();

    gate.resolve();
    await stopping;
    expect(ssc.state).toBe('stopped');
    await expect(terminated).resolves.toBe(true);
    expect(finished).toEqual([1000]);
    expect(started).toEqual([1000]);
    // The batch that was queued is dropped, with a warning saying how to keep it.
    expect(stopWarnings()).toEqual([expect.stringMatching(/stopped without processing 1 pending batch\(es\) \(2000 ms\); use stop\(\{ graceful: true \}\) to process them/)]);
    clock.advance(5000);
    await flush();
    expect(started).toEqual([1000]);
  });

  it('a non-graceful stop with nothing queued gives no warning', async () => {
    spyOnWarnings();
    const { ssc } = manualContext();
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await ssc.start();
    await advanceBatches(ssc, 1);
    await ssc.stop();
    expect(stopWarnings()).toEqual([]);
  });

  it('a graceful stop runs the batches already queued', async () => {
    spyOnWarnings();
    const { ssc, clock } = manualContext();
    const gate = deferred();
    const done: [number, number[]][] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (b, t) => {
      if (t === 1000) await gate.promise;
      done.push([t, b.collect()]);
    });
    await ssc.start();
    clock.advance(3000);
    await flush();
    const stopping = ssc.stop({ graceful: true });
    gate.resolve();
    await stopping;
    expect(done).toEqual([
      [1000, [1]],
      [2000, [2]],
      [3000, [3]],
    ]);
    expect(stopWarnings()).toEqual([]);
    await expect(ssc.awaitTermination()).resolves.toBe(true);
  });

  it('a graceful stop generates and runs the batches already due, even if the timer has not caught up', async () => {
    const { ssc, clock } = manualContext();
    const done: [number, number[]][] = [];
    ssc.queueStream([[1], [2], [3], [4]]).foreachRDD((b, t) => void done.push([t, b.collect()]));
    await ssc.start();
    clock.advance(3000); // batches 1000..3000 are due; none generated yet
    await ssc.stop({ graceful: true });
    expect(done).toEqual([
      [1000, [1]],
      [2000, [2]],
      [3000, [3]],
    ]);
  });

  it('a non-graceful stop names the due batches it skips', async () => {
    spyOnWarnings();
    const { ssc, clock } = manualContext();
    const ran = vi.fn();
    ssc.queueStream([[1], [2]]).foreachRDD(ran);
    await ssc.start();
    clock.advance(2000);
    await ssc.stop();
    // The stop came before the timer woke up: neither due batch was generated, and both are named.
    expect(ran).not.toHaveBeenCalled();
    expect(stopWarnings()).toEqual([expect.stringMatching(/without processing 2 pending batch\(es\) \(1000, 2000 ms\)/)]);
  });

  it('a graceful stop gives data received but not yet in a batch one more batch', async () => {
    const { ssc, clock } = manualContext();
    const receiver = new PushReceiver('push');
    const batches: [number, string[]][] = [];
    ssc.receiverStream(receiver).foreachRDD((b, t) => void batches.push([t, b.collect()]));
    await ssc.start();
    receiver.store(['a', 'b']);
    await advanceBatches(ssc, 1);
    receiver.store('c');
    receiver.store(['d']);

    const stopping = ssc.stop({ graceful: true });
    const state = track(stopping);
    await flush();
    // Receiving stopped first, so nothing more gets in; the pending data waits for its batch time.
    expect(receiver.stops).toBe(1);
    receiver.store('too late');
    expect(state.status).toBe('pending');
    clock.advance(1000);
    await stopping;
    expect(batches).toEqual([
      [1000, ['a', 'b']],
      [2000, ['c', 'd']],
    ]);
    expect(ssc.state).toBe('stopped');
  });

  /** A started context whose receiver has just stored 'a'; `times` are the times of the batches run. */
  async function startedWithStoredRecord() {
    const { ssc } = manualContext();
    const receiver = new PushReceiver();
    const times: number[] = [];
    ssc.receiverStream(receiver).foreachRDD((_b, t) => void times.push(t));
    await ssc.start();
    receiver.store('a');
    return { ssc, times };
  }

  it('a graceful stop with nothing pending returns without another batch', async () => {
    const { ssc, times } = await startedWithStoredRecord();
    await advanceBatches(ssc, 1);
    await ssc.stop({ graceful: true }); // no clock advance needed
    expect(times).toEqual([1000]);
  });

  it('a non-graceful stop does not wait for pending received data', async () => {
    const { ssc, times } = await startedWithStoredRecord();
    await ssc.stop();
    expect(times).toEqual([]);
  });

  it('an output may stop its own context (without awaiting it)', async () => {
    const { ssc } = manualContext();
    const times: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD((_b, t) => {
      times.push(t);
      if (t === 2000) void ssc.stop();
    });
    await ssc.start();
    await advanceBatches(ssc, 2);
    await expect(ssc.awaitTermination()).resolves.toBe(true);
    expect(times).toEqual([1000, 2000]);
    expect(ssc.state).toBe('stopped');
  });

  it('on a system clock, a stop lets no further batch start', async () => {
    spyOnWarnings();
    const ssc = new StreamingContext({ batchInterval: 20 });
    const times: number[] = [];
    ssc.queueStream<number>([], { defaultBatch: [1] }).foreachRDD((_b, t) => void times.push(t));
    await ssc.start();
    await new Promise((r) => setTimeout(r, 70));
    await ssc.stop();
    const count = times.length;
    expect(count).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(times.length).toBe(count);
  });
});

describe('remember', () => {
  /** Runs five batches; with `slice`, each output from 3000 on slices the last three batch times. */
  async function run(remember: boolean, slice: boolean) {
    const { ssc } = manualContext();
    if (remember) ssc.remember(Seconds(3));
    const input: DStream<number> = ssc.queueStream([[1], [2], [3], [4], [5], [6], [7]]);
    const slices: number[][] = [];
    const cached: number[] = [];
    input.foreachRDD(async (_b, t) => {
      if (slice && t >= 3000) slices.push((await input.slice(t - 2000, t)).flatMap((b) => b.collect()));
      cached.push(input.cachedBatchCount);
    });
    await ssc.start();
    await advanceBatches(ssc, 5);
    await ssc.stop();
    return { slices, cached };
  }

  it('keeps the batches of the remember duration, so they can be sliced, and forgets older ones', async () => {
    const { slices, cached } = await run(true, true);
    expect(slices).toEqual([
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 5],
    ]);
    // Seen from inside batch t: t, the two before it (remembered) and t - 3000 (cleared after t).
    expect(cached).toEqual([1, 2, 3, 4, 4]);
  });

  it('without it, an input forgets each batch once the next one is done', async () => {
    const { cached } = await run(false, false);
    expect(cached).toEqual([1, 2, 2, 2, 2]);
  });

  it('rejects a duration that is not positive', () => {
    const { ssc } = manualContext();
    expect(() => ssc.remember(0)).toThrow(InvalidDurationError);
    expect(() => ssc.remember(-1000)).toThrow(/remember duration must be a positive integer/);
  });
});
