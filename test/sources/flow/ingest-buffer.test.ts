// The memory budget of a source: what it holds until a batch's outputs succeed.
import { describe, expect, it } from 'vitest';
import { IngestBuffer, type ReceivedMessage } from '../../../src/sources/flow/ingest-buffer.js';

const msg = (bytes: number, partition?: string, id = 0): ReceivedMessage & { id: number } => ({
  payload: new Uint8Array(bytes),
  id,
  ...(partition === undefined ? {} : { partition }),
});

describe('IngestBuffer', () => {
  it('refuses messages beyond its byte budget, counting batches not yet committed', () => {
    const b = new IngestBuffer(100);
    expect(b.offer(msg(60))).toBe(true);
    expect(b.offer(msg(50))).toBe(false);
    expect(b.take(1, 10)).toHaveLength(1);
    // Taken into a batch, but not committed: still held.
    expect(b.bytes).toBe(60);
    expect(b.offer(msg(50))).toBe(false);
    b.release(1);
    expect(b.bytes).toBe(0);
    expect(b.offer(msg(50))).toBe(true);
  });

  it('lets one oversize message in when it holds nothing, so the decoder can reject it', () => {
    const b = new IngestBuffer(10);
    expect(b.offer(msg(50))).toBe(true);
    expect(b.offer(msg(1))).toBe(false);
  });

  it('takes oldest first, at most max, and keeps order across batches', () => {
    const b = new IngestBuffer<ReturnType<typeof msg>>(1 << 20);
    for (let i = 0; i < 10; i++) b.offer(msg(1, undefined, i));
    expect(b.take(1, 4).map((m) => m.id)).toEqual([0, 1, 2, 3]);
    expect(b.take(2, 4).map((m) => m.id)).toEqual([4, 5, 6, 7]);
    expect(b.take(3, 4).map((m) => m.id)).toEqual([8, 9]);
    expect(b.length).toBe(0);
    expect(b.messagesOf(2).map((m) => m.id)).toEqual([4, 5, 6, 7]);
    expect(b.release(2).map((m) => m.id)).toEqual([4, 5, 6, 7]);
    expect(b.messagesOf(2)).toEqual([]);
  });

  it('limits each partition, leaving the rest of a busy partition queued in order', () => {
    const b = new IngestBuffer<ReturnType<typeof msg>>(1 << 20);
    ['a', 'a', 'a', 'b', 'a', 'b', 'c'].forEach((p, i) => b.offer(msg(1, p, i)));
    expect(b.take(1, 100, 2).map((m) => m.id)).toEqual([0, 1, 3, 5, 6]);
    expect(b.take(2, 100, 2).map((m) => m.id)).toEqual([2, 4]);
  });

  it('discards queued messages of revoked partitions, not those already in batches', () => {
    const b = new IngestBuffer<ReturnType<typeof msg>>(1 << 20);
    ['a', 'b', 'a', 'b'].forEach((p, i) => b.offer(msg(1, p, i)));
    b.take(1, 1);
    expect(b.discardQueued((m) => m.partition === "a").map((m) => m.id)).toEqual([2]);
    expect(b.take(2, 10).map((m) => m.id)).toEqual([1, 3]);
    expect(b.messagesOf(1).map((m) => m.id)).toEqual([0]);
  });

  it('wakes a waiting puller once it holds less than half its budget', async () => {
    const b = new IngestBuffer(100);
    b.offer(msg(40));
    b.offer(msg(40));
    let woke = false;
    const waiting = b.whenSpace().then(() => (woke = true));
    b.take(1, 1);
    await Promise.resolve();
    expect(woke).toBe(false); // taken but not committed: still 80 bytes held
    b.release(1);
    await waiting;
    expect(woke).toBe(true);
  });

  it('rejects a budget that is not a positive integer', () => {
    expect(() => new IngestBuffer(0)).toThrow('maxBufferBytes must be a positive integer, got 0');
  });
});
