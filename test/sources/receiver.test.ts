import { afterEach, describe, expect, it } from 'vitest';
import { IllegalStateError, Milliseconds, Receiver, StreamingContext } from '../../src/index.js';
import type { ReceiverInputDStream } from '../../src/sources/receiver.js';
import { sleep, waitFor } from '../support/async.js';
import { collectBatches } from '../support/batches.js';
import { recordEvents } from './helpers.js';

let ssc: StreamingContext | undefined;

afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

/** A system-clock context with 100 ms batches running `receiver`, started. */
async function run<T>(receiver: Receiver<T>) {
  ssc = new StreamingContext({ batchInterval: Milliseconds(100), appName: 'receiver-test' });
  const stream = ssc.receiverStream(receiver) as ReceiverInputDStream<T>;
  const batches = collectBatches(stream);
  const events = recordEvents(ssc);
  const context = ssc;
  await context.start();
  return { ssc: context, stream, batches, events };
}

/** Stores 0, 1, 2, ... every few milliseconds, singly and in arrays. */
class CounterReceiver extends Receiver<number> {
  next = 0;
  private timer: NodeJS.Timeout | undefined;
  onStart(): void {
    this.timer = setInterval(() => {
      if (this.next % 2 === 0) this.store(this.next++);
      else this.store([this.next++, this.next++]);
    }, 2);
  }
  onStop(): void {
    clearInterval(this.timer);
  }
}

/** Logs its lifecycle; its onStart runs `behaviour` (which may throw or await). */
class ScriptedReceiver extends Receiver<string> {
  readonly log: string[] = [];
  starts = 0;
  constructor(private readonly behaviour: (self: ScriptedReceiver, attempt: number) => void | Promise<void> = () => undefined) {
    super('scripted');
  }
  async onStart(): Promise<void> {
    const attempt = ++this.starts;
    this.log.push(`start ${attempt}`);
    await this.behaviour(this, attempt);
    this.log.push(`started ${attempt}`);
  }
  onStop(): void {
    this.log.push('stop');
  }
}

describe('receiverStream', () => {
  it('delivers everything a custom receiver stores exactly once, in order, across batches', async () => {
    const receiver = new CounterReceiver();
    const { ssc, batches, events } = await run(receiver);
    await waitFor(() => batches.filter((b) => b.length > 0).length >= 3, 'three non-empty batches');
    await ssc.stop({ graceful: true });

    const received = batches.flat();
    expect(received.length).toBe(receiver.next);
    expect(received).toEqual(Array.from({ length: receiver.next }, (_, i) => i));
    expect(events.batches.map((b) => b.numRecords)).toEqual(batches.map((b) => b.length));
    expect(events.receiver.map(([n, info]) => [n, info.name, info.active])).toEqual([
      ['started', 'CounterReceiver', true],
      ['stopped', 'CounterReceiver', false],
    ]);
  });

  it('restarts a receiver whose onStart throws, with doubling backoff, and reports each failure', async () => {
    const startedAt: number[] = [];
    const receiver = new ScriptedReceiver((self, attempt) => {
      startedAt.push(performance.now());
      if (attempt <= 2) throw new Error(`boom ${attempt}`);
      self.store('finally running');
    });
    const { ssc, batches, events } = await run(receiver);
    expect(ssc.state).toBe('active');

    await waitFor(() => batches.flat().includes('finally running'), 'the third start to store a record', 3_000);
    expect(receiver.log).toEqual(['start 1', 'stop', 'start 2', 'stop', 'start 3', 'started 3']);
    // Default backoff: 100 ms, then 200 ms (a timer may fire up to a millisecond early).
    expect(startedAt[1]! - startedAt[0]!).toBeGreaterThanOrEqual(99);
    expect(startedAt[2]! - startedAt[1]!).toBeGreaterThanOrEqual(199);

    expect(events.receiver.map(([n]) => n)).toEqual(['error', 'error', 'started']);
    const errors = events.errors();
    expect(errors.map((e) => [e.lastErrorMessage, e.lastError, e.active])).toEqual([
      ['Receiver scripted failed to start', 'Error: boom 1', true],
      ['Receiver scripted failed to start', 'Error: boom 2', true],
    ]);
    // The started event still shows the last error, as Spark's ReceiverInfo does.
    expect(events.receiver[2]![1].lastError).toBe('Error: boom 2');
  });

  it('on restart(reason) calls onStop, then onStart again after the backoff, and reports the reason', async () => {
    const receiver = new ScriptedReceiver((self, attempt) => {
      if (attempt === 1) setTimeout(() => self.restart('lost the upstream', new Error('ECONNRESET')), 5);
      else self.store(`from start ${attempt}`);
    });
    const { batches, events } = await run(receiver);
    await waitFor(() => batches.flat().length > 0, 'a record after the restart');

    expect(receiver.log).toEqual(['start 1', 'started 1', 'stop', 'start 2', 'started 2']);
    expect(batches.flat()).toEqual(['from start 2']);
    expect(events.receiver.map(([n]) => n)).toEqual(['started', 'error', 'started']);
    expect(events.errors()[0]).toMatchObject({ lastErrorMessage: 'lost the upstream', lastError: 'Error: ECONNRESET', active: true });
  });

  it('posts reportError to the listener and keeps receiving', async () => {
    const receiver = new ScriptedReceiver((self) => {
      self.reportError('one bad record skipped');
      self.store('good');
    });
    const { batches, events } = await run(receiver);
    await waitFor(() => batches.flat().length > 0, 'the stored record');
    expect(batches.flat()).toEqual(['good']);
    expect(receiver.log).toEqual(['start 1', 'started 1']);
    expect(events.errors().map((e) => [e.lastErrorMessage, e.lastError])).toEqual([['one bad record skipped', 'one bad record skipped']]);
  });

  it('is stopped after ssc.stop(), and ignores records stored after it', async () => {
    const receiver = new ScriptedReceiver();
    expect(receiver.isStopped()).toBe(true);
    const { ssc, stream, batches } = await run(receiver);
    expect(receiver.isStopped()).toBe(false);

    await ssc.stop();
    expect(receiver.isStopped()).toBe(true);
    expect(receiver.log).toEqual(['start 1', 'started 1', 'stop']);
    receiver.store('too late');
    receiver.store(['also', 'too late']);
    expect(stream.pendingRecords).toBe(0);
    expect(stream.hasPendingData()).toBe(false);
    expect(batches.flat()).toEqual([]);
  });

  it('on a graceful stop, processes the records already stored in a final batch', async () => {
    const receiver = new ScriptedReceiver();
    const { ssc, stream, batches } = await run(receiver);
    // Let a batch pass, then store right before stopping so that only the final batch can take them.
    await waitFor(() => batches.length >= 1, 'a first batch');
    const seen = batches.length;
    receiver.store(['a', 'b']);
    receiver.store('c');
    expect(stream.pendingRecords).toBe(3);

    await ssc.stop({ graceful: true });
    expect(batches.slice(seen).flat()).toEqual(['a', 'b', 'c']);
    expect(stream.pendingRecords).toBe(0);
  });

  it('waits for an onStart still running before calling onStop on stop', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const receiver = new ScriptedReceiver(async (self, attempt) => {
      if (attempt === 1) setTimeout(() => self.restart('restart to hit the race'), 0);
      else await gate; // the second start is slow, e.g. a handshake
    });
    const { ssc, events } = await run(receiver);
    await waitFor(() => receiver.log.includes('start 2'), 'the second, slow start', 3_000);

    const stopping = ssc.stop();
    await sleep(20);
    expect(receiver.log.at(-1)).toBe('start 2'); // onStop has not run while onStart is unfinished
    release();
    await stopping;
    // onStop ran after the start finished, so whatever it opened was released.
    expect(receiver.log).toEqual(['start 1', 'started 1', 'stop', 'start 2', 'started 2', 'stop']);
    expect(events.receiver.at(-1)![0]).toBe('stopped');
  });

  it('refuses a receiver already used by another stream, and store() before any stream', () => {
    const receiver = new ScriptedReceiver();
    expect(() => receiver.store('x')).toThrow(/Receiver scripted is not attached to a started StreamingContext/);
    const ctx = new StreamingContext({ batchInterval: 100 });
    ctx.receiverStream(receiver);
    expect(() => ctx.receiverStream(receiver)).toThrow(IllegalStateError);
    expect(() => ctx.receiverStream(receiver)).toThrow(/already used by an input stream; create a new instance/);
    expect(() => ctx.receiverStream({ onStart() {}, onStop() {} } as unknown as Receiver<string>)).toThrow(/instance of a Receiver subclass/);
  });
});
