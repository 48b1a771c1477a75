/**
 * The memory a source holds: messages received and not yet in a batch, plus those cut into
 * batches whose outputs have not succeeded yet (they are acknowledged, and their memory freed,
 * only then). Bounded by a byte budget: when it is full, pull sources stop pulling
 * (`whenSpace()`), push sources apply their protocol's flow control or drop and count.
 */
import type { Time } from '../../time.js';

/** A received message: its payload, and where it came from for offset ranges and acks. */
export interface ReceivedMessage {
  readonly payload: Uint8Array;
  /** The partition (Kafka), subject or topic it came from, for per-partition limits and offset ranges. */
  readonly partition?: string;
}

export class IngestBuffer<M extends ReceivedMessage> {
  private queue: M[] = [];
  private head = 0;
  private queuedBytes = 0;
  private readonly inFlight = new Map<Time, { messages: M[]; bytes: number }>();
  private inFlightBytes = 0;
  private spaceWaiters: (() => void)[] = [];

  constructor(readonly maxBytes: number) {
    if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new RangeError(`maxBufferBytes must be a positive integer, got ${maxBytes}`);
  }

  /** Bytes held: queued plus in batches not yet committed. */
  get bytes(): number {
    return this.queuedBytes + this.inFlightBytes;
  }

  /** Messages queued for the next batches. */
  get length(): number {
    return this.queue.length - this.head;
  }

  /**
   * Adds a message if the budget allows; `false` when full (the caller pauses or drops and
   * counts). A message alone bigger than the budget is let in when nothing else is held, so it
   * reaches the decoder (which rejects it as oversize) instead of blocking the source forever.
   */
  offer(message: M): boolean {
    const size = message.payload.byteLength;
    if (this.bytes + size > this.maxBytes && this.bytes > 0) return false;
    this.queue.push(message);
    this.queuedBytes += size;
    return true;
  }

  /**
   * Takes up to `max` queued messages for the batch at `time`, oldest first, and at most
   * `perPartition` from any one partition (later messages of a full partition wait, in order).
   */
  take(time: Time, max: number, perPartition = Infinity): M[] {
    const taken: M[] = [];
    if (perPartition === Infinity) {
      const end = this.head + Math.min(max, this.length);
      for (let i = this.head; i < end; i++) taken.push(this.queue[i]!);
      this.head = end;
    } else {
      const counts = new Map<string | undefined, number>();
      const kept: M[] = [];
      for (let i = this.head; i < this.queue.length; i++) {
        const m = this.queue[i]!;
        const n = counts.get(m.partition) ?? 0;
        if (taken.length < max && n < perPartition) {
          taken.push(m);
          counts.set(m.partition, n + 1);
        } else kept.push(m);
      }
      this.queue = kept;
      this.head = 0;
    }
    this.compact();
    let bytes = 0;
    for (const m of taken) bytes += m.payload.byteLength;
    this.queuedBytes -= bytes;
    const held = this.inFlight.get(time);
    if (held) {
      held.messages.push(...taken);
      held.bytes += bytes;
    } else this.inFlight.set(time, { messages: taken, bytes });
    this.inFlightBytes += bytes;
    return taken;
  }

  /** The messages cut into the batch at `time` and not released yet. */
  messagesOf(time: Time): readonly M[] {
    return this.inFlight.get(time)?.messages ?? [];
  }

  /** Frees the batch at `time` (committed, or abandoned) and wakes sources waiting for space. */
  release(time: Time): M[] {
    const held = this.inFlight.get(time);
    if (!held) return [];
    this.inFlight.delete(time);
    this.inFlightBytes -= held.bytes;
    this.wake();
    return held.messages;
  }

  /**
   * Removes queued messages matching `drop` (e.g. of partitions revoked in a rebalance) and
   * returns them; messages already in batches are not touched.
   */
  discardQueued(drop: (m: M) => boolean): M[] {
    const removed: M[] = [];
    const kept: M[] = [];
    for (let i = this.head; i < this.queue.length; i++) (drop(this.queue[i]!) ? removed : kept).push(this.queue[i]!);
    this.queue = kept;
    this.head = 0;
    for (const m of removed) this.queuedBytes -= m.payload.byteLength;
    if (removed.length > 0) this.wake();
    return removed;
  }

  /** Resolves once the buffer holds less than half its budget (hysteresis: no pull per freed byte). */
  whenSpace(): Promise<void> {
    if (this.bytes < this.maxBytes / 2) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  private wake(): void {
    if (this.bytes >= this.maxBytes / 2 || this.spaceWaiters.length === 0) return;
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }

  private compact(): void {
    // Drop the consumed prefix now and then, so the array does not grow without bound.
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
