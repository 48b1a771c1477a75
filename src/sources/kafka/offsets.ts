/**
 * Offset bookkeeping of the Kafka source, kept free of kafkajs so it can be tested alone: the
 * offset ranges of a batch (Spark's `HasOffsetRanges`).
 */
import type { ReceivedMessage } from '../flow/ingest-buffer.js';

/**
 * The records of one topic-partition in one batch, as Spark's `OffsetRange`: offsets
 * `fromOffset` (included) to `untilOffset` (excluded). Offsets are numbers, exact up to 2^53.
 */
export interface OffsetRange {
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: number;
  readonly untilOffset: number;
}

/** A received Kafka record: its value as the payload, and where it came from. */
export interface KafkaReceivedMessage extends ReceivedMessage {
  /** `topic/partition`: the unit of `maxRatePerPartition` and of offset ranges. */
  readonly partition: string;
  readonly topic: string;
  readonly partitionId: number;
  readonly offset: number;
  /**
   * The assignment epoch the record was received in (the source counts group joins): the record
   * may be committed only if its partition has been assigned to this consumer ever since.
   */
  readonly epoch: number;
}

/** The key of a topic-partition (topic names cannot contain `/`). */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/**
 * The offset ranges of a batch, sorted by topic and partition: per partition, from its first
 * record's offset to its last one's plus one. A partition with no record in the batch is not
 * listed (Spark lists it with `fromOffset === untilOffset`).
 */
export function offsetRangesOf(messages: readonly KafkaReceivedMessage[]): OffsetRange[] {
  const ranges = new Map<string, { topic: string; partition: number; fromOffset: number; untilOffset: number }>();
  for (const m of messages) {
    const r = ranges.get(m.partition);
    if (!r) ranges.set(m.partition, { topic: m.topic, partition: m.partitionId, fromOffset: m.offset, untilOffset: m.offset + 1 });
    else {
      if (m.offset < r.fromOffset) r.fromOffset = m.offset;
      if (m.offset + 1 > r.untilOffset) r.untilOffset = m.offset + 1;
    }
  }
  return [...ranges.values()].sort(compareRanges);
}

/** The smallest range covering both (same topic-partition). */
export function mergeRanges(a: OffsetRange | undefined, b: OffsetRange): OffsetRange {
  if (!a) return b;
  return { ...b, fromOffset: Math.min(a.fromOffset, b.fromOffset), untilOffset: Math.max(a.untilOffset, b.untilOffset) };
}

export function compareRanges(a: OffsetRange, b: OffsetRange): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || a.fromOffset - b.fromOffset;
}

/** `t/0 [0, 100), t/1 [7, 9)`: offset ranges for messages. */
export function describeRanges(ranges: readonly OffsetRange[]): string {
  return ranges.map((r) => `${r.topic}/${r.partition} [${r.fromOffset}, ${r.untilOffset})`).join(', ');
}
