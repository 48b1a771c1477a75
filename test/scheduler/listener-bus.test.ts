import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamingContext, type StreamingListener } from '../../src/index.js';
import { ListenerBus } from '../../src/scheduler/listener-bus.js';
import { advanceBatches } from '../../src/testing.js';
import { flush } from '../support/async.js';
import { manualContext, recordListenerEvents } from '../support/context.js';

afterEach(() => vi.restoreAllMocks());

describe('ListenerBus', () => {
  it('delivers each event to every listener that handles it, in the order they were added', () => {
    const bus = new ListenerBus();
    const log: string[] = [];
    bus.add({ onStreamingStarted: (e) => void log.push(`a ${e.time}`) });
    bus.add({ onBatchSubmitted: () => void log.push('b submitted') });
    bus.add({ onStreamingStarted: (e) => void log.push(`c ${e.time}`) });
    bus.post('onStreamingStarted', { time: 42 });
    expect(log).toEqual(['a 42', 'c 42']);
  });

  it('calls handlers with the listener as `this`', () => {
    const bus = new ListenerBus();
    class Counter implements StreamingListener {
      count = 0;
      onStreamingStarted(): void {
        this.count++;
      }
    }
    const counter = new Counter();
    bus.add(counter);
    bus.post('onStreamingStarted', { time: 0 });
    expect(counter.count).toBe(1);
  });

  it('stops delivering to a removed listener; removing an unknown listener is harmless', () => {
    const bus = new ListenerBus();
    const seen = vi.fn();
    const listener = { onStreamingStarted: seen };
    bus.add(listener);
    bus.remove({});
    bus.post('onStreamingStarted', { time: 1 });
    bus.remove(listener);
    bus.post('onStreamingStarted', { time: 2 });
    expect(seen).toHaveBeenCalledTimes(1);
  });

  it('a listener removing itself while handling an event does not make the next one miss it', () => {
    const bus = new ListenerBus();
    const second = vi.fn();
    const once: StreamingListener = { onStreamingStarted: () => bus.remove(once) };
    bus.add(once);
    bus.add({ onStreamingStarted: second });
    bus.post('onStreamingStarted', { time: 1 });
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('a throwing listener is reported as a warning and the others still get the event', () => {
    const bus = new ListenerBus();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const after = vi.fn();
    bus.add({
      onStreamingStarted: () => {
        throw new RangeError('oops');
      },
    });
    bus.add({ onStreamingStarted: after });
    expect(() => bus.post('onStreamingStarted', { time: 1 })).not.toThrow();
    expect(after).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith('Streaming listener threw in onStreamingStarted: RangeError: oops', 'SluiceListenerWarning');
  });

  it('an async listener that rejects is reported instead of becoming an unhandled rejection', async () => {
    const bus = new ListenerBus();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      bus.add({ onStreamingStarted: async () => Promise.reject(new Error('async oops')) });
      bus.post('onStreamingStarted', { time: 1 });
      await flush();
      await flush();
      expect(unhandled).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith('Streaming listener threw in onStreamingStarted: Error: async oops', 'SluiceListenerWarning');
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('StreamingContext listener events', () => {
  it('posts started, then per batch: submitted, started, each output started/completed, completed', async () => {
    const { ssc } = manualContext();
    const { events, batches, outputs } = recordListenerEvents(ssc);
    const a = ssc.queueStream([[1, 2, 3], [4]]);
    const b = ssc.queueStream([['x'], ['y', 'z']]);
    a.map((n) => n * 2).foreachRDD(() => {});
    b.print();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await ssc.start();
    await advanceBatches(ssc, 2);
    await ssc.stop();

    const perBatch = [
      'onBatchSubmitted',
      'onBatchStarted',
      'onOutputOperationStarted',
      'onOutputOperationCompleted',
      'onOutputOperationStarted',
      'onOutputOperationCompleted',
      'onBatchCompleted',
    ];
    expect(events.map((e) => e.name)).toEqual(['onStreamingStarted', ...perBatch, ...perBatch]);
    expect(events[0]!.event).toEqual({ time: 0 });

    const [first, second] = batches('onBatchCompleted');
    expect(first).toMatchObject({ batchTime: 1000, numRecords: 4, schedulingDelay: 0, processingDelay: 0, totalDelay: 0 });
    expect(second).toMatchObject({ batchTime: 2000, numRecords: 3 });
    expect(first!.streamIdToInputInfo.get(a.id)).toMatchObject({ inputStreamId: a.id, name: 'queueStream', numRecords: 3 });
    expect(first!.streamIdToInputInfo.get(b.id)).toMatchObject({ inputStreamId: b.id, numRecords: 1 });
    expect([...first!.outputOperationInfos.values()].map((o) => [o.id, o.name, o.attempts, o.failureReason])).toEqual([
      [0, 'foreachRDD', 1, undefined],
      [1, 'print', 1, undefined],
    ]);
    expect(outputs('onOutputOperationStarted').map((o) => [o.batchTime, o.id])).toEqual([
      [1000, 0],
      [1000, 1],
      [2000, 0],
      [2000, 1],
    ]);
    expect(outputs('onOutputOperationCompleted')[0]!.description).toMatch(/^foreachRDD of map stream #\d+$/);
  });

  it('measures scheduling, processing and total delay on the context clock', async () => {
    const { ssc, clock } = manualContext();
    const { batches } = recordListenerEvents(ssc);
    // Each batch "takes" 300 ms of clock time.
    ssc.queueStream([['a'], ['b'], ['c']]).foreachRDD(() => clock.advance(300));
    await ssc.start();
    await advanceBatches(ssc, 1);
    clock.advance(2000); // batches 2000 and 3000 are due at once: 3000 must wait for 2000
    await ssc.whenBatchesDone(3000);
    await ssc.stop();

    const [first, second, third] = batches('onBatchCompleted');
    expect(first).toMatchObject({
      batchTime: 1000,
      submissionTime: 1000,
      processingStartTime: 1000,
      processingEndTime: 1300,
      schedulingDelay: 0,
      processingDelay: 300,
      totalDelay: 300,
    });
    // Batch 2000 was only generated at 3300 (the clock jumped past it), and batch 3000 was
    // generated while 2000 ran: both count their delays from their batch times.
    expect(second).toMatchObject({
      batchTime: 2000,
      submissionTime: 2000,
      processingStartTime: 3300,
      processingEndTime: 3600,
      schedulingDelay: 1300,
      processingDelay: 300,
      totalDelay: 1600,
    });
    expect(third).toMatchObject({
      batchTime: 3000,
      submissionTime: 3000,
      processingStartTime: 3600,
      schedulingDelay: 600,
      processingDelay: 300,
      totalDelay: 900,
    });
  });

  it('a listener that throws in every callback breaks neither the batches nor the other listeners', async () => {
    const { ssc } = manualContext();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const boom = () => {
      throw new Error('listener bug');
    };
    ssc.addStreamingListener({
      onStreamingStarted: boom,
      onBatchSubmitted: boom,
      onBatchStarted: boom,
      onBatchCompleted: boom,
      onOutputOperationStarted: boom,
      onOutputOperationCompleted: boom,
    });
    const { batches } = recordListenerEvents(ssc);
    const seen: number[][] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD((b) => void seen.push(b.collect()));
    await ssc.start();
    await advanceBatches(ssc, 3);
    await ssc.stop();
    expect(seen).toEqual([[1], [2], [3]]);
    expect(batches('onBatchCompleted').map((b) => b.batchTime)).toEqual([1000, 2000, 3000]);
    expect(warn).toHaveBeenCalledTimes(1 + 3 * 5);
    expect(await ssc.awaitTermination()).toBe(true);
  });

  it('removeStreamingListener stops the events', async () => {
    const { ssc } = manualContext();
    const { events, listener } = recordListenerEvents(ssc);
    ssc.queueStream([[1], [2]]).foreachRDD(() => {});
    await ssc.start();
    await advanceBatches(ssc, 1);
    const count = events.length;
    ssc.removeStreamingListener(listener);
    await advanceBatches(ssc, 1);
    await ssc.stop();
    expect(events.length).toBe(count);
  });

  it('onStreamingStarted comes before the first batch, even when an input is slow to start', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {}); // batches left at stop
    const ssc = new StreamingContext({ batchInterval: 20 });
    const order: string[] = [];
    ssc.addStreamingListener({
      onStreamingStarted: () => void order.push('started'),
      onBatchSubmitted: () => void order.push('batch'),
    });
    const input = ssc.queueStream<number>([]);
    // An input whose start takes several batch intervals (like a slow connection).
    const start = input as unknown as { start(): Promise<void> };
    start.start = () => new Promise((r) => setTimeout(r, 70));
    input.foreachRDD(() => {});
    await ssc.start();
    await new Promise((r) => setTimeout(r, 30));
    await ssc.stop();
    expect(order[0]).toBe('started');
    expect(order.filter((o) => o === 'batch').length).toBeGreaterThanOrEqual(1);
  });
});
