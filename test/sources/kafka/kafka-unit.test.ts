// kafkaStream without a broker: offset ranges, option checks, and a start that cannot connect.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Milliseconds, StreamingContext } from '../../../src/index.js';
import type { KafkaStreamOptions } from '../../../src/sources/kafka/kafka-input.js';
import { describeRanges, mergeRanges, offsetRangesOf, partitionKey, type KafkaReceivedMessage } from '../../../src/sources/kafka/offsets.js';
import { rejectionOf, thrownBy } from '../../support/async.js';
import { RETRY } from './support.js';

const message = (topic: string, partition: number, offset: number): KafkaReceivedMessage => ({
  payload: new Uint8Array(0),
  partition: partitionKey(topic, partition),
  topic,
  partitionId: partition,
  offset,
  epoch: 1,
});

describe('offset ranges', () => {
  it('gives one range per topic-partition, first offset to last + 1, sorted by topic and partition', () => {
    const messages = [message('b', 0, 7), message('a', 1, 10), message('a', 0, 3), message('a', 1, 11), message('a', 0, 4), message('a', 1, 12)];
    expect(offsetRangesOf(messages)).toEqual([
      { topic: 'a', partition: 0, fromOffset: 3, untilOffset: 5 },
      { topic: 'a', partition: 1, fromOffset: 10, untilOffset: 13 },
      { topic: 'b', partition: 0, fromOffset: 7, untilOffset: 8 },
    ]);
    expect(offsetRangesOf([])).toEqual([]);
  });

  it('spans gaps (compacted or transaction-marker offsets) and partitions numbered above 9 sort numerically', () => {
    expect(offsetRangesOf([message('t', 10, 5), message('t', 2, 0), message('t', 10, 9)])).toEqual([
      { topic: 't', partition: 2, fromOffset: 0, untilOffset: 1 },
      { topic: 't', partition: 10, fromOffset: 5, untilOffset: 10 },
    ]);
  });

  it('merges ranges of one partition and describes them', () => {
    const a = { topic: 't', partition: 0, fromOffset: 10, untilOffset: 20 };
    expect(mergeRanges(undefined, a)).toBe(a);
    expect(mergeRanges(a, { ...a, fromOffset: 20, untilOffset: 35 })).toEqual({ ...a, untilOffset: 35 });
    expect(describeRanges([a, { ...a, partition: 3, fromOffset: 0, untilOffset: 1 }])).toBe('t/0 [10, 20), t/3 [0, 1)');
  });
});

describe('kafkaStream options', () => {
  const ssc = () => new StreamingContext({ batchInterval: Milliseconds(100) });
  const base: KafkaStreamOptions = { brokers: 'localhost:9092', topics: 'events', groupId: 'job' };

  it('checks brokers, topics, groupId, startingOffsets and limits when the stream is defined', () => {
    const bad: [Partial<KafkaStreamOptions>, RegExp][] = [
      [{ brokers: [] }, /'brokers' must be one or more 'host:port'/],
      [{ brokers: '' }, /'brokers'/],
      [{ topics: [] }, /'topics' must be one or more topic names/],
      [{ topics: 'a/b' }, /'topics'/],
      [{ groupId: '' }, /'groupId' must be a non-empty string/],
      [{ startingOffsets: 'beginning' as 'earliest' }, /startingOffsets must be 'latest' or 'earliest'/],
      [{ maxRatePerPartition: 0 }, /maxRatePerPartition must be a positive number/],
      [{ restartBackoff: { initialDelayMs: 0, maxDelayMs: 10 } }, /restartBackoff/],
      [{ format: 'binary' }, /needs a schema/],
    ];
    for (const [options, error] of bad) expect(thrownBy(() => ssc().kafkaStream({ ...base, ...options })).message, JSON.stringify(options)).toMatch(error);
    expect(() => ssc().kafkaStream({ ...base, topics: ['a', 'b.c', 'd_e-1'], brokers: ['h1:1', 'h2:2'], startingOffsets: 'earliest' })).not.toThrow();
  });

  it('fails start() with the cause when no broker can be reached', async () => {
    // A port nobody listens on.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const context = ssc();
    context.kafkaStream({ ...base, brokers: `127.0.0.1:${port}`, client: { retry: { ...RETRY, retries: 1 }, connectionTimeout: 200 } }).foreachRDD(() => {});
    const error = await rejectionOf(context.start());
    expect(String(error)).toMatch(new RegExp(`cannot start the Kafka consumer \\(brokers 127\\.0\\.0\\.1:${port}\\).*ECONNREFUSED`));
    expect(context.state).toBe('stopped');
  });
});
