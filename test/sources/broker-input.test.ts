// What every broker source gets from BrokerInputDStream, checked with an in-memory broker on a
// manual clock: acks only after a batch's outputs succeed, decoding with malformed records
// counted and dead-lettered, the rate limit, per-partition limits and the memory budget.
import { afterEach, describe, expect, it } from 'vitest';
import { Milliseconds, StreamingContext, type BatchInfo } from '../../src/index.js';
import { advanceBatches } from '../../src/testing.js';
import { BrokerInputDStream, type PullSourceOptions } from '../../src/sources/broker/broker-input.js';
import { MemoryDeadLetterSink } from '../../src/sources/decode/dead-letter.js';
import type { ReceivedMessage } from '../../src/sources/flow/ingest-buffer.js';
import type { Time } from '../../src/time.js';
import { flush } from '../support/async.js';
import { recordEvents } from './helpers.js';

interface FakeMessage extends ReceivedMessage {
  readonly offset: number;
}

const encoder = new TextEncoder();

/** A broker in memory: a log of messages, delivered to the source on connect and on push. */
class FakeSource<T> extends BrokerInputDStream<T, FakeMessage> {
  readonly acked: number[] = [];
  readonly refused: number[] = [];
  private next = 0;
  connected = false;

  constructor(
    ssc: StreamingContext,
    options: PullSourceOptions & { maxRate?: number },
    private readonly log: { partition?: string; payload: string }[] = [],
  ) {
    super(ssc, 'fake', options, options.maxRate, options.maxRatePerPartition);
  }

  push(...payloads: (string | { partition: string; payload: string })[]): void {
    for (const p of payloads) this.log.push(typeof p === 'string' ? { payload: p } : p);
    this.deliver();
  }

  private deliver(): void {
    if (!this.connected || !this.isReceiving) return;
    while (this.next < this.log.length) {
      const { partition, payload } = this.log[this.next]!;
      const m: FakeMessage = { payload: encoder.encode(payload), offset: this.next, ...(partition ? { partition } : {}) };
      if (!this.offer(m)) {
        this.refused.push(this.next);
        this.countDropped();
      }
      this.next++;
    }
  }

  protected async connect(): Promise<void> {
    this.connected = true;
    this.deliver();
  }
  protected pause(): void {}
  protected disconnect(): void {
    this.connected = false;
  }
  protected override partitionCount(): number {
    return new Set(this.log.map((l) => l.partition)).size;
  }
  protected async acknowledge(messages: readonly FakeMessage[], time: Time): Promise<void> {
    void time;
    for (const m of messages) this.acked.push(m.offset);
  }
  protected override describeBatch(messages: readonly FakeMessage[]): Record<string, unknown> {
    return messages.length === 0 ? {} : { fromOffset: messages[0]!.offset, untilOffset: messages.at(-1)!.offset + 1 };
  }
}

let ssc: StreamingContext | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

function context(maxTaskFailures = 4): StreamingContext {
  ssc = new StreamingContext({ batchInterval: Milliseconds(100), clock: 'manual', maxTaskFailures });
  return ssc;
}

const inputOf = (b: BatchInfo) => [...b.streamIdToInputInfo.values()][0]!;

describe('BrokerInputDStream', () => {
  it('acknowledges a batch only after its outputs succeed, in batch order, and reports offset ranges', async () => {
    const c = context();
    const source = new FakeSource<string>(c, { format: 'text' });
    const seen: string[][] = [];
    source.foreachRDD((b) => void seen.push(b.collect()));
    const events = recordEvents(c);
    await c.start();
    source.push('a', 'b');
    await advanceBatches(c, 1);
    source.push('c');
    await advanceBatches(c, 1);
    await flush();
    expect(seen).toEqual([['a', 'b'], ['c']]);
    expect(source.acked).toEqual([0, 1, 2]);
    expect(events.batches.map((b) => inputOf(b).metadata)).toEqual([{ fromOffset: 0, untilOffset: 2 }, { fromOffset: 2, untilOffset: 3 }]);
  });

  it('never acknowledges a batch whose output failed for good', async () => {
    const c = context(1);
    const source = new FakeSource<string>(c, { format: 'text' });
    source.foreachRDD((b) => {
      if (b.collect().includes('poison')) throw new Error('sink down');
    });
    await c.start();
    source.push('ok');
    await advanceBatches(c, 1);
    source.push('poison', 'after');
    await expect(advanceBatches(c, 1)).rejects.toThrow(/sink down/);
    await c.stop();
    expect(source.acked).toEqual([0]);
  });

  it('decodes JSON into columns and counts, dead-letters and acknowledges malformed records', async () => {
    const c = context();
    const deadLetter = new MemoryDeadLetterSink();
    const source = new FakeSource<{ sensor: number; value: number }>(c, {
      format: 'json',
      schema: { sensor: 'u32', value: 'f64' },
      deadLetter,
    });
    const pairs: [number, number][][] = [];
    source.toPairs<number, number>('sensor', 'value').foreachRDD((b) => {
      expect(b.columns).toBeDefined(); // columnar all the way: no object per record
      pairs.push(b.collect());
    });
    const events = recordEvents(c);
    await c.start();
    source.push('{"sensor":1,"value":2.5}', '{"sensor":', '{"sensor":2,"value":-1}', 'x'.repeat(10));
    await advanceBatches(c, 1);
    await flush();
    expect(pairs).toEqual([[[1, 2.5], [2, -1]]]);
    const info = inputOf(events.batches[0]!);
    expect(info.numRecords).toBe(2);
    expect(info.malformedRecords).toBe(2);
    expect(info.deadLetteredRecords).toBe(2);
    expect(deadLetter.records.map((r) => new TextDecoder().decode(r.raw))).toEqual(['{"sensor":', 'x'.repeat(10)]);
    expect(deadLetter.records.every((r) => r.source === 'fake' && r.reason.length > 0)).toBe(true);
    expect(source.acked).toEqual([0, 1, 2, 3]);
    expect(source.counters).toEqual({ malformed: 2, deadLettered: 2, dropped: 0 });
  });

  it("with onMalformed: 'fail', a malformed record stops the context with a clear error", async () => {
    const c = context();
    const source = new FakeSource<unknown>(c, { format: 'json', schema: { v: 'f64' }, onMalformed: 'fail' });
    source.foreachRDD(() => {});
    await c.start();
    source.push('{"v":1}', 'nope');
    await expect(advanceBatches(c, 1)).rejects.toThrow(/json/);
    await expect(c.awaitTermination()).rejects.toThrow(/json/);
    expect(source.acked).toEqual([]);
  });

  it("'dead-letter' without a sink is refused when the stream is defined", () => {
    expect(() => new FakeSource(context(), { onMalformed: 'dead-letter' })).toThrow(/needs a deadLetter sink/);
  });

  it('takes at most rate × interval records per batch and reports the rate in force', async () => {
    const c = context();
    const source = new FakeSource<string>(c, { format: 'text', maxRate: 30 }); // 3 per 100 ms batch
    const sizes: number[] = [];
    source.foreachRDD((b) => void sizes.push(b.count()));
    const events = recordEvents(c);
    await c.start();
    source.push(...Array.from({ length: 8 }, (_, i) => `r${i}`));
    await advanceBatches(c, 4);
    expect(sizes).toEqual([3, 3, 2, 0]);
    expect(inputOf(events.batches[0]!).rateLimit).toBe(30);
  });

  it('limits each partition to maxRatePerPartition × interval', async () => {
    const c = context();
    const source = new FakeSource<string>(c, { format: 'text', maxRatePerPartition: 20 }); // 2 per partition per batch
    const batches: string[][] = [];
    source.foreachRDD((b) => void batches.push(b.collect()));
    const events = recordEvents(c);
    await c.start();
    source.push(...['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'b3'].map((p) => ({ partition: p[0]!, payload: p })));
    await advanceBatches(c, 3);
    expect(batches).toEqual([['a1', 'a2', 'b1', 'b2'], ['a3', 'a4', 'b3'], []]);
    expect(inputOf(events.batches[0]!).rateLimit).toBe(40); // 20 records/s × 2 partitions
  });

  it('holds at most maxBufferBytes until commit; what does not fit is counted as dropped in the next batch', async () => {
    const c = context();
    const source = new FakeSource<string>(c, { format: 'text', maxBufferBytes: 10 });
    source.foreachRDD(() => {});
    const events = recordEvents(c);
    await c.start();
    source.push('aaaa', 'bbbb', 'cccc', 'ddd');
    expect(source.refused).toEqual([2, 3]);
    await advanceBatches(c, 1);
    await flush();
    const info = inputOf(events.batches[0]!);
    expect(info.numRecords).toBe(2);
    expect(info.droppedRecords).toBe(2);
    expect(info.bufferedBytes).toBeLessThanOrEqual(10);
    source.push('eeee');
    expect(source.refused).toEqual([2, 3]); // committed: the budget is free again
  });
});
