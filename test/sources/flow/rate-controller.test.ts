// The rate limit in force for an input stream: a maximum and, with backpressure, the estimate.
import { describe, expect, it } from 'vitest';
import { Milliseconds, StreamingContext } from '../../../src/index.js';
import type { BatchInfo, StreamInputInfo } from '../../../src/scheduler/listener.js';
import { DEFAULT_INITIAL_RATE, RateController } from '../../../src/sources/flow/rate-controller.js';

const ssc = () => new StreamingContext({ batchInterval: Milliseconds(100), clock: 'manual' });

function completed(streamId: number, time: number, numRecords: number, processingDelay: number, schedulingDelay = 0): BatchInfo {
  const input: StreamInputInfo = { inputStreamId: streamId, name: 's', numRecords, metadata: {} };
  return {
    batchTime: time,
    streamIdToInputInfo: new Map([[streamId, input]]),
    submissionTime: time,
    processingStartTime: time,
    processingEndTime: time + processingDelay,
    processingDelay,
    schedulingDelay,
    totalDelay: processingDelay + schedulingDelay,
    outputOperationInfos: new Map(),
    numRecords,
  };
}

describe('RateController', () => {
  it('without limits, takes everything', () => {
    const r = new RateController(ssc(), 1, {});
    expect(r.rate).toBeUndefined();
    expect(r.maxRecordsPerBatch()).toBe(Infinity);
  });

  it('a maximum rate caps each batch at rate × interval, never below one record', () => {
    expect(new RateController(ssc(), 1, { maxRate: 1000 }).maxRecordsPerBatch()).toBe(100);
    expect(new RateController(ssc(), 1, { maxRate: 1 }).maxRecordsPerBatch()).toBe(1);
  });

  it('with backpressure, caps the first batches by initialRate, then follows the estimate from the listener bus', async () => {
    const context = ssc();
    const r = new RateController(context, 7, { backpressure: true, initialRate: 500 });
    expect(r.rate).toBe(500);
    const bus = context.listenerBus;
    bus.post('onBatchCompleted', { batchInfo: completed(7, 100, 50, 10) }); // seeds the estimator
    bus.post('onBatchCompleted', { batchInfo: completed(8, 200, 999, 10) }); // another stream: ignored
    await new Promise((r) => setTimeout(r, 10));
    expect(r.rate).toBe(500);
    bus.post('onBatchCompleted', { batchInfo: completed(7, 200, 50, 10) }); // 5000 records/s processed
    await new Promise((r) => setTimeout(r, 10));
    expect(r.rate).toBeCloseTo(5000, 6);
    expect(r.maxRecordsPerBatch()).toBe(500);
  });

  it('the maximum rate still caps the estimate; with neither, the first batches get the default initial rate', async () => {
    const context = ssc();
    const r = new RateController(context, 7, { backpressure: true, maxRate: 2000 });
    expect(r.rate).toBe(2000);
    context.listenerBus.post('onBatchCompleted', { batchInfo: completed(7, 100, 50, 10) });
    context.listenerBus.post('onBatchCompleted', { batchInfo: completed(7, 200, 50, 10) });
    await new Promise((r) => setTimeout(r, 10));
    expect(r.rate).toBe(2000);
    expect(new RateController(ssc(), 1, { backpressure: true }).rate).toBe(DEFAULT_INITIAL_RATE);
  });

  it('rejects rates that are not positive', () => {
    expect(() => new RateController(ssc(), 1, { maxRate: 0 })).toThrow('maxRate must be a positive number of records per second, got 0');
    expect(() => new RateController(ssc(), 1, { initialRate: NaN })).toThrow(/initialRate/);
  });
});
