/**
 * Shared helpers of the source suites: real-clock contexts cleaned up after each test, recording
 * the batch and receiver events of a context, and checks on the batches' input infos.
 */
import { afterEach, expect } from 'vitest';
import { Milliseconds, StreamingContext, type BatchInfo, type DStream, type ReceiverInfo, type StreamingContextOptions, type StreamInputInfo } from '../../src/index.js';
import { sleep, waitFor } from '../support/async.js';
import { collectBatches } from '../support/batches.js';

/**
 * Undo steps for the tests of a file (call it at the top, or in a `describe`): the function it
 * returns registers one; after each test they run in reverse order, their errors ignored (e.g.
 * already closed).
 */
export function useCleanups(): (undo: () => unknown) => void {
  const undos: (() => unknown)[] = [];
  afterEach(async () => {
    for (const undo of undos.splice(0).reverse()) {
      try {
        await undo();
      } catch {
        // already closed
      }
    }
  });
  return (undo) => void undos.push(undo);
}

/** A real-clock context (100 ms batches, no UI unless told), stopped by `cleanup` after the test. */
export function liveContext(cleanup: (undo: () => unknown) => void, options: Partial<StreamingContextOptions> = {}): StreamingContext {
  const ssc = new StreamingContext({ batchInterval: Milliseconds(100), ui: false, ...options });
  cleanup(() => ssc.stop());
  return ssc;
}

/** Everything a listener saw, in order. */
export interface Recorded {
  /** `onBatchCompleted` infos, in batch order. */
  batches: BatchInfo[];
  /** Receiver events as `[name, info]`, in the order posted. */
  receiver: ['started' | 'error' | 'stopped', ReceiverInfo][];
  errors(): ReceiverInfo[];
  /** The input info of each completed batch, of stream `streamId` (default: the context's only input stream). */
  inputs(streamId?: number): StreamInputInfo[];
}

export function recordEvents(ssc: StreamingContext): Recorded {
  const recorded: Recorded = {
    batches: [],
    receiver: [],
    errors: () => recorded.receiver.filter(([n]) => n === 'error').map(([, i]) => i),
    inputs: (streamId) => recorded.batches.map((b) => inputOf(b, streamId)),
  };
  ssc.addStreamingListener({
    onBatchCompleted: (e) => void recorded.batches.push(e.batchInfo),
    onReceiverStarted: (e) => void recorded.receiver.push(['started', e.receiverInfo]),
    onReceiverError: (e) => void recorded.receiver.push(['error', e.receiverInfo]),
    onReceiverStopped: (e) => void recorded.receiver.push(['stopped', e.receiverInfo]),
  });
  return recorded;
}

/** What {@link deliver} saw. */
export interface Delivery<T> {
  /** The records of each batch of the stream (filled on as batches run). */
  batches: T[][];
  /** The records that came through, in order, when `deliver` resolved. */
  records: T[];
  /** The context's events (recorded on as batches run). */
  events: Recorded;
  /** Milliseconds from the end of `send` until the last record came through. */
  elapsedMs: number;
}

/**
 * Starts `ssc`, runs `send` (which sends `count` records to the source of `stream`), waits up to
 * `timeoutMs` until `count` records came through `stream`, then `settleMs` more (for records
 * that should not come).
 */
export async function deliver<T>(
  ssc: StreamingContext,
  stream: DStream<T>,
  send: () => Promise<unknown>,
  count: number,
  { timeoutMs = 2000, settleMs = 0 }: { timeoutMs?: number; settleMs?: number } = {},
): Promise<Delivery<T>> {
  const batches = collectBatches(stream);
  const events = recordEvents(ssc);
  await ssc.start();
  await send();
  const started = Date.now();
  await waitFor(() => batches.reduce((n, b) => n + b.length, 0) >= count, `${count} records`, timeoutMs);
  const elapsedMs = Date.now() - started;
  if (settleMs > 0) await sleep(settleMs);
  return { batches, records: batches.flat(), events, elapsedMs };
}

/** The input info of stream `streamId` in a batch (default: the batch's only input stream). */
export function inputOf(b: BatchInfo, streamId?: number): StreamInputInfo {
  return streamId === undefined ? [...b.streamIdToInputInfo.values()][0]! : b.streamIdToInputInfo.get(streamId)!;
}

/** A count summed over the batches' input infos (absent counts as 0). */
export function totalOf(infos: readonly StreamInputInfo[], count: 'numRecords' | 'malformedRecords' | 'deadLetteredRecords' | 'droppedRecords'): number {
  return infos.reduce((n, i) => n + (i[count] ?? 0), 0);
}

/**
 * Checks the batches of a source held to `rate` records/s (100 ms batches) with a backlog
 * waiting: each took at most its share (rate / 10) and reported the limit, and the batches
 * between the first (it may be cut before the backlog came in) and the last (it may take the
 * rest), at least `full` of them, took `fill` of the share or more. With `elapsedMs`, the time
 * the records took to come through: about their number ÷ `rate` (with room for batches cut late
 * on a loaded machine).
 */
export function expectRateHeld(infos: readonly StreamInputInfo[], rate: number, { full, fill = 1, elapsedMs }: { full: number; fill?: number; elapsedMs?: number }): void {
  const share = rate / 10;
  const taking = infos.filter((i) => i.numRecords > 0);
  for (const i of taking) {
    expect(i.numRecords).toBeLessThanOrEqual(share);
    expect(i.rateLimit).toBe(rate);
  }
  const backlogged = taking.slice(1, -1);
  expect(backlogged.length).toBeGreaterThanOrEqual(full);
  for (const i of backlogged) expect(i.numRecords).toBeGreaterThanOrEqual(share * fill);
  if (elapsedMs === undefined) return;
  const expectedMs = (totalOf(infos, 'numRecords') / rate) * 1000;
  expect(elapsedMs).toBeGreaterThan(expectedMs * 0.9 - 200);
  expect(elapsedMs).toBeLessThan(expectedMs * 1.1 + 600);
}

/**
 * Checks a source kept to its memory budget with a slow output and a backlog: the bytes it held
 * when a batch was cut never exceeded `maxBufferBytes` but came near it (over half: the budget
 * was what held the source back), and no batch took more records of `recordBytes` than it holds.
 */
export function expectBudgetHeld(infos: readonly StreamInputInfo[], maxBufferBytes: number, recordBytes: number): void {
  const held = Math.max(...infos.map((i) => i.bufferedBytes ?? 0));
  expect(held).toBeLessThanOrEqual(maxBufferBytes);
  expect(held).toBeGreaterThan(maxBufferBytes / 2);
  expect(Math.max(...infos.map((i) => i.numRecords))).toBeLessThanOrEqual(Math.floor(maxBufferBytes / recordBytes));
}

/** `n` strings `${prefix}${from}`, `${prefix}${from + 1}`...: records that say which they are. */
export function numbered(prefix: string, n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);
}

/** How many times each value occurs. */
export function counts<T>(xs: readonly T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}
