import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { BatchInfo, OutputOperationInfo, StreamInputInfo } from '../../src/index.js';
import { Ring } from '../../src/ui/ring.js';
import { batches, receivers, streamingStatistics, type UiSource } from '../../src/ui/rest.js';
import { StreamingStatusStore } from '../../src/ui/status-store.js';
import { update } from '../../src/ui/live.js';

const INTERVAL = 100;
const streams = [
  { id: 3, name: 'orders' },
  { id: 5, name: 'clicks' },
];

function store(retainedBatches = 1000, running = true): StreamingStatusStore {
  return new StreamingStatusStore({ batchDuration: INTERVAL, retainedBatches, inputStreams: () => streams, isRunning: () => running, expectedOutputOps: () => 2 });
}

function source(s: StreamingStatusStore): UiSource {
  return {
    store: s,
    appName: 'test',
    now: () => 10_000,
    startTime: () => 0,
    runtimeStatus: () => ({ operators: [], workers: { threads: 1, utilization: undefined }, checkpoint: { directory: undefined, lastCheckpointTime: undefined } }),
  };
}

function input(id: number, numRecords: number, extra: Partial<StreamInputInfo> = {}): [number, StreamInputInfo] {
  return [id, { inputStreamId: id, name: streams.find((s) => s.id === id)!.name, numRecords, metadata: {}, ...extra }];
}

function submitted(time: number, inputs: [number, StreamInputInfo][], metadataBytes = 0): BatchInfo {
  const withMetadata = inputs.map(([id, i]): [number, StreamInputInfo] => [id, metadataBytes ? { ...i, metadata: { blob: 'x'.repeat(metadataBytes) + time } } : i]);
  let numRecords = 0;
  for (const [, i] of inputs) numRecords += i.numRecords;
  return { batchTime: time, streamIdToInputInfo: new Map(withMetadata), submissionTime: time, outputOperationInfos: new Map(), numRecords };
}

function op(time: number, id: number, end?: number, failureReason?: string): OutputOperationInfo {
  return {
    batchTime: time,
    id,
    name: 'foreachRDD',
    description: `foreachRDD of stream #${id}`,
    startTime: time + 1,
    attempts: end === undefined ? 0 : 1,
    ...(end === undefined ? {} : { endTime: end, duration: end - time - 1 }),
    ...(failureReason === undefined ? {} : { failureReason }),
  };
}

/** Posts one batch's whole life to `s`: submitted, started after `delay`, `processing` ms of two outputs. */
function runBatch(s: StreamingStatusStore, time: number, records: [number, number], delay = 2, processing = 5, metadataBytes = 0): BatchInfo {
  const info = submitted(time, [input(3, records[0], { malformedRecords: 1, rateLimit: 500 }), input(5, records[1])], metadataBytes);
  s.onBatchSubmitted({ batchInfo: info });
  const started = { ...info, processingStartTime: time + delay, schedulingDelay: delay };
  s.onBatchStarted({ batchInfo: started });
  const ops = new Map([
    [0, op(time, 0, time + delay + processing)],
    [1, op(time, 1, time + delay + processing)],
  ]);
  const done = { ...started, outputOperationInfos: ops, processingEndTime: time + delay + processing, processingDelay: processing, totalDelay: delay + processing };
  s.onBatchCompleted({ batchInfo: done });
  return done;
}

describe('Ring', () => {
  it('keeps the newest items, oldest first, and reports what it evicts', () => {
    const r = new Ring<number>(3);
    expect([r.push(1), r.push(2), r.push(3)]).toEqual([undefined, undefined, undefined]);
    expect(r.push(4)).toBe(1);
    expect(r.toArray()).toEqual([2, 3, 4]);
    expect(r.last()).toBe(4);
    expect(r.findLast((x) => x < 4)).toBe(3);
    expect(r.size).toBe(3);
    expect(() => new Ring(0)).toThrow(RangeError);
  });
});

describe('StreamingStatusStore', () => {
  it('follows a batch from queued to processing to completed, with its output operations', () => {
    const s = store();
    const info = submitted(100, [input(3, 10), input(5, 4)]);
    s.onBatchSubmitted({ batchInfo: info });
    expect(batches(s).map((b) => [b.batchId, b.status, b.numTotalOutputOps, b.numActiveOutputOps])).toEqual([[100, 'QUEUED', 2, 2]]);

    s.onBatchStarted({ batchInfo: { ...info, processingStartTime: 103, schedulingDelay: 3 } });
    s.onOutputOperationStarted({ outputOperationInfo: op(100, 0) });
    s.onOutputOperationCompleted({ outputOperationInfo: op(100, 0, 110) });
    const running = batches(s)[0]!;
    expect(running).toMatchObject({ status: 'PROCESSING', schedulingDelay: 3, numCompletedOutputOps: 1, numActiveOutputOps: 1, numTotalOutputOps: 2 });
    expect(running.processingTime).toBeUndefined();

    const failed = op(100, 1, 120, 'Error: boom');
    s.onOutputOperationCompleted({ outputOperationInfo: failed });
    s.onBatchCompleted({
      batchInfo: { ...info, processingStartTime: 103, schedulingDelay: 3, processingEndTime: 120, processingDelay: 17, totalDelay: 20, outputOperationInfos: new Map([[0, op(100, 0, 110)], [1, failed]]) },
    });
    expect(batches(s)).toEqual([
      {
        batchId: 100,
        batchTime: new Date(100).toISOString(),
        status: 'COMPLETED',
        batchDuration: INTERVAL,
        inputSize: 14,
        schedulingDelay: 3,
        processingTime: 17,
        totalDelay: 20,
        numActiveOutputOps: 0,
        numCompletedOutputOps: 1,
        numFailedOutputOps: 1,
        numTotalOutputOps: 2,
        firstFailureReason: 'Error: boom',
      },
    ]);
    expect(s.numTotalFailedBatches).toBe(1);
  });

  it("counts as Spark: received records when a batch starts, processed when it completes; averages over retained batches", () => {
    const s = store();
    runBatch(s, 100, [10, 5], 2, 5);
    runBatch(s, 200, [20, 0], 3, 8);
    const queued = submitted(300, [input(3, 7), input(5, 1)]);
    s.onBatchSubmitted({ batchInfo: queued });
    const stats = streamingStatistics(source(s));
    expect(stats).toMatchObject({
      startTime: new Date(0).toISOString(),
      numTotalCompletedBatches: 2,
      numRetainedCompletedBatches: 2,
      numActiveBatches: 1,
      numReceivedRecords: 35,
      numProcessedRecords: 35,
      numReceivers: 2,
      numActiveReceivers: 2,
      numInactiveReceivers: 0,
    });
    // Rates over the three retained batches (the queued one included), delays over those that have them.
    expect(stats.avgInputRate).toBeCloseTo(((15 + 20 + 8) * 10) / 3);
    expect(stats.avgSchedulingDelay).toBe(2); // trunc(2.5), a Long division as in Spark
    expect(stats.avgProcessingTime).toBe(6);
    expect(stats.avgTotalDelay).toBe(9);
    const [orders, clicks] = receivers(source(s));
    expect(orders).toMatchObject({ streamId: 3, streamName: 'orders', isActive: true, hasReceiver: false, numRecords: 37, malformedRecords: 2, rateLimit: 500 });
    expect(orders!.eventRates).toEqual([
      [100, 100],
      [200, 200],
      [300, 70],
    ]);
    expect(clicks!.eventRates).toEqual([
      [100, 50],
      [200, 0],
      [300, 10],
    ]);
    expect(orders!.rateLimits).toEqual([
      [100, 500],
      [200, 500],
    ]);
  });

  it('takes receiver status and errors from receiver events; other streams are active while the context runs', () => {
    let running = true;
    const s = new StreamingStatusStore({ batchDuration: INTERVAL, retainedBatches: 10, inputStreams: () => streams, isRunning: () => running });
    s.onReceiverStarted({ receiverInfo: { streamId: 5, name: 'clicks-receiver', active: true } });
    s.onReceiverError({ receiverInfo: { streamId: 5, name: 'clicks-receiver', active: true, lastErrorMessage: 'lost', lastError: 'Error: ECONNRESET', lastErrorTime: 1234 } });
    const [orders, clicks] = receivers(source(s));
    expect(orders).toMatchObject({ isActive: true, hasReceiver: false });
    expect(clicks).toMatchObject({ streamName: 'clicks-receiver', isActive: true, hasReceiver: true, lastErrorMessage: 'lost', lastError: 'Error: ECONNRESET', lastErrorTime: new Date(1234).toISOString() });
    s.onReceiverStopped({ receiverInfo: { streamId: 5, name: 'clicks-receiver', active: false } });
    running = false;
    expect(receivers(source(s)).map((r) => r.isActive)).toEqual([false, false]);
    expect(streamingStatistics(source(s))).toMatchObject({ numActiveReceivers: 0, numInactiveReceivers: 2 });
  });

  it('keeps only the last retainedBatches completed batches, whatever the totals', () => {
    const s = store(50);
    for (let i = 1; i <= 20_000; i++) runBatch(s, i * INTERVAL, [3, 1]);
    expect(s.numTotalCompletedBatches).toBe(20_000);
    expect(s.numRetainedCompletedBatches).toBe(50);
    expect(s.completedBatches().map((b) => b.batchTime)).toEqual(Array.from({ length: 50 }, (_, i) => (19_951 + i) * INTERVAL));
    expect(s.waitingBatches()).toEqual([]);
    expect(s.runningBatches()).toEqual([]);
    expect(s.batch(100)).toBeUndefined();
    expect(s.batch(20_000 * INTERVAL)?.status).toBe('COMPLETED');
    expect(receivers(source(s))[0]!.eventRates).toHaveLength(50);
    expect(batches(s)).toHaveLength(50);
    expect(streamingStatistics(source(s))).toMatchObject({ numProcessedRecords: 80_000, numReceivedRecords: 80_000 });
  });

  it('uses flat memory: 30 000 more batches with 2 KB of metadata each leave the heap where it was', () => {
    // gc() without restarting the worker with --expose-gc: the flag is read when a context is made.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const s = store(100);
    let t = 0;
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) runBatch(s, (t += INTERVAL), [3, 1], 2, 5, 2048);
    };
    run(2_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    run(30_000); // ~60 MB of metadata were the batches kept
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    expect(s.numRetainedCompletedBatches).toBe(100);
    expect(growth).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('live updates', () => {
  it("carry each source's average rate over the retained batches, so the page's averages move", () => {
    const s = store();
    const src = source(s);
    const first = runBatch(s, 100, [10, 4]);
    const a = update(src, true, 'batchCompleted', { batchInfo: first }).receivers.find((r) => r.streamId === 3)!;
    const second = runBatch(s, 200, [30, 4]);
    const b = update(src, true, 'batchCompleted', { batchInfo: second }).receivers.find((r) => r.streamId === 3)!;
    expect(a.avgEventRate).toBe(100); // 10 records per 100 ms batch
    expect(b.avgEventRate).toBe(200); // (100 + 300) / 2
    expect(b.avgEventRate).toBe(receivers(src).find((r) => r.streamId === 3)!.avgEventRate);
    expect(b).not.toHaveProperty('eventRates'); // histories stay in the page, not in every update
  });
});
