import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobFailedError, Milliseconds, StreamingContext, type BatchInfo } from '../../src/index.js';
import { ManualClock } from '../../src/scheduler/clock.js';
import type { Job, JobSet } from '../../src/scheduler/job.js';
import { JobScheduler } from '../../src/scheduler/job-scheduler.js';
import { ListenerBus } from '../../src/scheduler/listener-bus.js';
import type { StreamInputInfo } from '../../src/scheduler/listener.js';
import { deferred, flush } from '../support/async.js';
import { recordListenerEvents } from '../support/context.js';

function job(time: number, outputId: number, run: () => Promise<void> | void): Job {
  return { time, outputId, name: `out${outputId}`, description: `out${outputId} of test stream`, run: async () => run() };
}

function jobSet(time: number, jobs: Job[], submissionTime = time, records: number[] = []): JobSet {
  const inputInfos = new Map<number, StreamInputInfo>(
    records.map((numRecords, id) => [id, { inputStreamId: id, name: `in${id}`, numRecords, metadata: {} }]),
  );
  return { time, jobs, inputInfos, submissionTime };
}

/** A scheduler on a manual clock whose listener events, done batches and fatal errors are recorded. */
function setup(maxTaskFailures = 4) {
  const clock = new ManualClock(1000);
  const bus = new ListenerBus();
  const { events, listener, batches, outputs } = recordListenerEvents();
  bus.add(listener);
  const done: number[] = [];
  const fatal: JobFailedError[] = [];
  const scheduler = new JobScheduler({
    clock,
    bus,
    maxTaskFailures,
    onBatchDone: (t) => void done.push(t),
    onFatalError: (e) => void fatal.push(e),
  });
  return { clock, bus, events, done, fatal, scheduler, batches, outputs };
}

describe('JobScheduler', () => {
  it('runs job sets one at a time, in batch order, and the jobs of a set in output order', async () => {
    const { scheduler, done } = setup();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const work = (label: string) => async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${label}`);
      await flush();
      log.push(`end ${label}`);
      running--;
    };
    for (const t of [1000, 2000, 3000]) scheduler.submit(jobSet(t, [job(t, 0, work(`${t}/0`)), job(t, 1, work(`${t}/1`))]));
    await scheduler.whenDone(3000);
    expect(maxRunning).toBe(1);
    expect(log).toEqual(
      [1000, 2000, 3000].flatMap((t) => [`start ${t}/0`, `end ${t}/0`, `start ${t}/1`, `end ${t}/1`]),
    );
    expect(done).toEqual([1000, 2000, 3000]);
  });

  it('reports batch and output-operation events in order, with delays measured on the clock', async () => {
    const { clock, scheduler, events, batches, outputs } = setup();
    // Batch 1000 takes 1500 ms; batch 2000 is submitted while it runs and so waits 500 ms.
    scheduler.submit(
      jobSet(1000, [
        job(1000, 0, () => {
          clock.setTime(2000);
          scheduler.submit(jobSet(2000, [job(2000, 0, () => clock.advance(100))], 2000, [7]));
          clock.setTime(2500);
        }),
      ], 1000, [2, 3]),
    );
    await scheduler.whenDone(2000);

    expect(events.map((e) => e.name)).toEqual([
      'onBatchSubmitted', // 1000
      'onBatchStarted',
      'onOutputOperationStarted',
      'onBatchSubmitted', // 2000, while 1000 runs
      'onOutputOperationCompleted',
      'onBatchCompleted',
      'onBatchStarted', // 2000
      'onOutputOperationStarted',
      'onOutputOperationCompleted',
      'onBatchCompleted',
    ]);
    const [first, second] = batches('onBatchCompleted');
    expect(first).toMatchObject({
      batchTime: 1000,
      numRecords: 5,
      submissionTime: 1000,
      processingStartTime: 1000,
      processingEndTime: 2500,
      schedulingDelay: 0,
      processingDelay: 1500,
      totalDelay: 1500,
    });
    expect(first!.streamIdToInputInfo.get(1)).toMatchObject({ numRecords: 3, name: 'in1' });
    expect(second).toMatchObject({
      batchTime: 2000,
      numRecords: 7,
      submissionTime: 2000,
      processingStartTime: 2500,
      processingEndTime: 2600,
      schedulingDelay: 500,
      processingDelay: 100,
      totalDelay: 600,
    });
    expect(first!.outputOperationInfos.get(0)).toMatchObject({
      batchTime: 1000,
      id: 0,
      name: 'out0',
      description: 'out0 of test stream',
      startTime: 1000,
      endTime: 2500,
      duration: 1500,
      attempts: 1,
    });
    expect(first!.outputOperationInfos.get(0)!.failureReason).toBeUndefined();
    expect(outputs('onOutputOperationStarted')[0]).toMatchObject({ batchTime: 1000, id: 0, startTime: 1000 });
    expect(batches('onBatchSubmitted').map((b) => b.batchTime)).toEqual([1000, 2000]);
    expect(batches('onBatchStarted')[1]).toMatchObject({ batchTime: 2000, schedulingDelay: 500 });
  });

  it('counts a job set without jobs as done, in order, without posting events', async () => {
    const { scheduler, events, done } = setup();
    const gate = deferred();
    scheduler.submit(jobSet(1000, [job(1000, 0, () => gate.promise)]));
    scheduler.submit(jobSet(2000, []));
    const second = vi.fn();
    void scheduler.whenDone(2000).then(second);
    await flush();
    expect(second).not.toHaveBeenCalled();
    expect(done).toEqual([]);
    gate.resolve();
    await scheduler.whenDone(2000);
    expect(done).toEqual([1000, 2000]);
    expect(events.filter((e) => (e.event as { batchInfo?: BatchInfo }).batchInfo?.batchTime === 2000)).toEqual([]);
  });

  it('retries a failing job and reports the attempts it took', async () => {
    const { scheduler, outputs, fatal, done } = setup(4);
    let calls = 0;
    scheduler.submit(
      jobSet(1000, [
        job(1000, 0, () => {
          calls++;
          if (calls <= 2) throw new Error(`flaky ${calls}`);
        }),
      ]),
    );
    await scheduler.whenDone(1000);
    expect(calls).toBe(3);
    expect(fatal).toEqual([]);
    expect(done).toEqual([1000]);
    const [completed] = outputs('onOutputOperationCompleted');
    expect(completed).toMatchObject({ attempts: 3 });
    expect(completed!.failureReason).toBeUndefined();
  });

  it('gives up after exactly maxTaskFailures attempts and runs no later batch', async () => {
    const { scheduler, fatal, done, outputs, batches, events } = setup(3);
    const cause = new TypeError('bad record');
    let attempts = 0;
    const later = vi.fn();
    const sibling = vi.fn();
    scheduler.submit(
      jobSet(1000, [
        job(1000, 0, () => {
          attempts++;
          throw cause;
        }),
        job(1000, 1, sibling),
      ]),
    );
    scheduler.submit(jobSet(2000, [job(2000, 0, later)]));
    await flush();
    scheduler.submit(jobSet(3000, [job(3000, 0, later)]));
    await flush();

    expect(attempts).toBe(3);
    expect(fatal).toHaveLength(1);
    const error = fatal[0]!;
    expect(error).toBeInstanceOf(JobFailedError);
    expect(error).toMatchObject({ operation: 'out0 of test stream', batchTime: 1000, attempts: 3, cause });
    expect(error.message).toBe('Output operation "out0 of test stream" failed for batch 1000 ms after 3 attempt(s): TypeError: bad record');

    expect(later).not.toHaveBeenCalled();
    expect(sibling).not.toHaveBeenCalled();
    // A failed batch is not "done": its data must not be forgotten as if it had been processed.
    expect(done).toEqual([]);
    const failed = outputs('onOutputOperationCompleted')[0]!;
    expect(failed).toMatchObject({ batchTime: 1000, id: 0, attempts: 3, failureReason: 'TypeError: bad record' });
    const [completed] = batches('onBatchCompleted');
    expect(completed!.outputOperationInfos.get(0)).toMatchObject({ failureReason: 'TypeError: bad record' });
    // Batch 3000 arrived after the failure: it is not even announced.
    expect(batches('onBatchSubmitted').map((b) => b.batchTime)).toEqual([1000, 2000]);
    expect(batches('onBatchStarted').map((b) => b.batchTime)).toEqual([1000]);
    expect(events.some((e) => e.name === 'onBatchCompleted' && (e.event as { batchInfo: BatchInfo }).batchInfo.batchTime !== 1000)).toBe(
      false,
    );

    expect(await scheduler.stop(false)).toEqual([2000]);
  });

  it('describes any thrown value in the failure reason, not only Errors', async () => {
    const { scheduler, fatal, outputs } = setup(1);
    scheduler.submit(
      jobSet(1000, [
        job(1000, 0, () => {
          throw { code: 'E42', retriable: false };
        }),
      ]),
    );
    await flush();
    expect(outputs('onOutputOperationCompleted')[0]!.failureReason).toBe('{"code":"E42","retriable":false}');
    expect(fatal[0]!.message).toMatch(/after 1 attempt\(s\): \{"code":"E42","retriable":false\}$/);
    const other = setup(1);
    other.scheduler.submit(
      jobSet(1000, [
        job(1000, 0, () => {
          throw 'plain string';
        }),
      ]),
    );
    await flush();
    expect(other.outputs('onOutputOperationCompleted')[0]!.failureReason).toBe('plain string');
  });

  it('stop(false) waits for the running job set, drops the queued ones and returns their times', async () => {
    const { scheduler, done } = setup();
    const gate = deferred();
    const ran: number[] = [];
    scheduler.submit(jobSet(1000, [job(1000, 0, async () => (ran.push(1000), gate.promise))]));
    scheduler.submit(jobSet(2000, [job(2000, 0, () => void ran.push(2000))]));
    scheduler.submit(jobSet(3000, [job(3000, 0, () => void ran.push(3000))]));
    await flush();
    const waiter = vi.fn();
    void scheduler.whenDone(3000).then(waiter);

    let stopped = false;
    const stopping = scheduler.stop(false).then((dropped) => ((stopped = true), dropped));
    await flush();
    expect(stopped).toBe(false);
    gate.resolve();
    expect(await stopping).toEqual([2000, 3000]);
    expect(ran).toEqual([1000]);
    expect(done).toEqual([1000]);
    // Waiters for dropped batches are released rather than left hanging, and so are later ones.
    expect(waiter).toHaveBeenCalled();
    await scheduler.whenDone(9000);

    scheduler.submit(jobSet(4000, [job(4000, 0, () => void ran.push(4000))]));
    await flush();
    expect(ran).toEqual([1000]);
  });

  it('stop(true) runs every queued job set first', async () => {
    const { scheduler, done } = setup();
    const gate = deferred();
    scheduler.submit(jobSet(1000, [job(1000, 0, () => gate.promise)]));
    scheduler.submit(jobSet(2000, [job(2000, 0, () => {})]));
    scheduler.submit(jobSet(3000, []));
    const stopping = scheduler.stop(true);
    gate.resolve();
    expect(await stopping).toEqual([]);
    expect(done).toEqual([1000, 2000, 3000]);
  });

  it('whenDone resolves at once for a batch already done, and only once the batch is done otherwise', async () => {
    const { scheduler } = setup();
    const gate = deferred();
    scheduler.submit(jobSet(1000, [job(1000, 0, () => {})]));
    await scheduler.whenDone(1000);
    await scheduler.whenDone(500);
    scheduler.submit(jobSet(2000, [job(2000, 0, () => gate.promise)]));
    const waiter = vi.fn();
    void scheduler.whenDone(2000).then(waiter);
    await flush();
    expect(waiter).not.toHaveBeenCalled();
    gate.resolve();
    await flush();
    expect(waiter).toHaveBeenCalled();
  });

  it('a listener that throws does not stop the jobs', async () => {
    const { scheduler, bus, done } = setup();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    bus.add({
      onBatchStarted: () => {
        throw new Error('broken dashboard');
      },
      onOutputOperationCompleted: async () => {
        throw new Error('broken async dashboard');
      },
    });
    const ran = vi.fn();
    scheduler.submit(jobSet(1000, [job(1000, 0, ran)]));
    await scheduler.whenDone(1000);
    await flush();
    expect(ran).toHaveBeenCalledTimes(1);
    expect(done).toEqual([1000]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('broken dashboard'), 'SluiceListenerWarning');
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('broken async dashboard'), 'SluiceListenerWarning');
    warn.mockRestore();
  });
});

describe('scheduling on a system clock', () => {
  afterEach(() => vi.restoreAllMocks());

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  // Synchronous work blocks the event loop, and so the batch timer too.
  const busyWait = (ms: number): void => {
    const until = Date.now() + ms;
    while (Date.now() < until);
  };

  it.each([
    ['waits asynchronously', sleep],
    ['computes synchronously', busyWait],
  ])('keeps batch times on the grid and runs slow batches one after another, with a growing scheduling delay, when the output %s', async (_how, slowWork) => {
    const interval = 50;
    const work = 90; // each batch takes longer than the interval
    const ssc = new StreamingContext({ batchInterval: Milliseconds(interval), appName: 'slow' });
    const runs: { time: number; start: number; end: number }[] = [];
    ssc.queueStream<number>([], { defaultBatch: [1, 2] }).foreachRDD(async (_batch, time) => {
      const start = Date.now();
      await slowWork(work);
      runs.push({ time, start, end: Date.now() });
    });
    const completed: BatchInfo[] = [];
    const fourDone = new Promise<void>((resolve) =>
      ssc.addStreamingListener({
        onBatchCompleted: ({ batchInfo }) => {
          completed.push(batchInfo);
          if (completed.length === 4) resolve();
        },
      }),
    );
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    await ssc.start();
    await fourDone;
    await ssc.stop();

    const times = completed.map((b) => b.batchTime);
    const first = times[0]!;
    expect(first % interval).toBe(0);
    expect(times.slice(0, 4)).toEqual([first, first + interval, first + 2 * interval, first + 3 * interval]);
    expect(runs.slice(0, 4).map((r) => r.time)).toEqual(times.slice(0, 4));
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
    for (const b of completed) {
      expect(b.numRecords).toBe(2);
      expect(b.processingDelay).toBeGreaterThanOrEqual(work - 5);
      expect(b.totalDelay).toBe(b.schedulingDelay! + b.processingDelay!);
      expect(b.processingStartTime).toBeGreaterThanOrEqual(b.submissionTime);
      expect(b.submissionTime).toBeGreaterThanOrEqual(b.batchTime);
    }
    const delays = completed.slice(0, 4).map((b) => b.schedulingDelay!);
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThan(delays[i - 1]!);
    // Each batch waits about (work - interval) ms longer than the one before.
    expect(delays[3]! - delays[0]!).toBeGreaterThanOrEqual(3 * (work - interval) - 20);
    // The batches that queued up meanwhile were dropped by the non-graceful stop, with a warning.
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/stopped without processing \d+ pending batch/), 'SluiceStopWarning');
    expect(ssc.state).toBe('stopped');
  });
});
