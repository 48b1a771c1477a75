/**
 * Helpers of the UI suites: jobs with the UI on a free port, a listener that records what the
 * engine reported (to check the API against), a source with counters and offset metadata, and
 * a receiver that reports errors.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { expect } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Batch, Milliseconds, Receiver, Seconds, StreamingContext, type BatchInfo, type ReceiverInfo, type StreamingContextOptions } from '../../src/index.js';
import { InputDStream } from '../../src/dstream/internal.js';
import type { Time } from '../../src/time.js';

/** Everything the listener bus posted, as a listener registered before start saw it. */
export interface Recorded {
  submitted: BatchInfo[];
  started: BatchInfo[];
  completed: BatchInfo[];
  receiverEvents: ReceiverInfo[];
  startedAt: Time | undefined;
}

export function record(ssc: StreamingContext): Recorded {
  const r: Recorded = { submitted: [], started: [], completed: [], receiverEvents: [], startedAt: undefined };
  ssc.addStreamingListener({
    onStreamingStarted: (e) => void (r.startedAt = e.time),
    onBatchSubmitted: (e) => void r.submitted.push(e.batchInfo),
    onBatchStarted: (e) => void r.started.push(e.batchInfo),
    onBatchCompleted: (e) => void r.completed.push(e.batchInfo),
    onReceiverStarted: (e) => void r.receiverEvents.push(e.receiverInfo),
    onReceiverError: (e) => void r.receiverEvents.push(e.receiverInfo),
    onReceiverStopped: (e) => void r.receiverEvents.push(e.receiverInfo),
  });
  return r;
}

/**
 * A broker-like source: per batch a varying number of order records, the offset ranges they came
 * from as metadata, and the counters a decoding source reports (malformed, dead-lettered,
 * dropped, its rate limit, buffered bytes).
 */
export class OrdersFeed extends InputDStream<string> {
  readonly name = 'orders-feed';
  private offsets = [0, 0];
  private batches = 0;

  constructor(ssc: StreamingContext) {
    super(ssc);
  }

  protected async receive(_time: Time): Promise<Batch<string>> {
    const i = this.batches++;
    const counts = [20 + ((i * 7) % 13), 15 + ((i * 5) % 11)];
    const ranges = counts.map((n, partition) => {
      const fromOffset = this.offsets[partition]!;
      this.offsets[partition] = fromOffset + n;
      return { topic: 'orders', partition, fromOffset, untilOffset: fromOffset + n };
    });
    const malformed = i % 3 === 0 ? 2 : 0;
    const records = counts.flatMap((n, p) => Array.from({ length: n - (p === 0 ? malformed : 0) }, (_, k) => `sku-${(k * 31 + i) % 9} ${1 + (k % 4)}`));
    this.reportMetadata(
      _time,
      { offsetRanges: ranges, consumerGroup: 'sluice-orders' },
      {
        malformedRecords: malformed,
        deadLetteredRecords: malformed > 0 ? 1 : 0,
        droppedRecords: i % 5 === 4 ? 1 : 0,
        rateLimit: 400 - (i % 10) * 15,
        bufferedBytes: 2048 + ((i * 977) % 4096),
      },
    );
    return Batch.of(records);
  }
}

/** Stores a reading every few ms; reports one error after `errorAfter` records. */
export class SensorReceiver extends Receiver<number> {
  private timer: NodeJS.Timeout | undefined;
  private n = 0;
  constructor(private readonly errorAfter = 25) {
    super('sensor-feed');
  }
  onStart(): void {
    this.timer = setInterval(() => {
      this.store(20 + Math.sin(this.n++ / 10) * 5);
      if (this.n === this.errorAfter) this.reportError('sensor 7 sent an unreadable frame', new Error('CRC mismatch in frame 7'));
    }, 4);
  }
  onStop(): void {
    clearInterval(this.timer);
  }
}

/** A context with the UI on a free port (unless `ui` says otherwise). */
export function uiContext(options: Partial<StreamingContextOptions> = {}): StreamingContext {
  return new StreamingContext({ batchInterval: Milliseconds(100), appName: 'ui-test', ui: { port: 0 }, ...options });
}

/**
 * A realistic job: a broker-like feed with counters and offsets, a receiver with an error, a
 * generated click stream; a windowed reduceByKey with state (incremental, checkpointed), a
 * per-batch word count, and a few outputs. Returns a cleanup for its checkpoint directory.
 */
export async function realisticJob(ssc: StreamingContext): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-ui-'));
  ssc.checkpoint(dir);
  const orders = new OrdersFeed(ssc);
  const sensors = ssc.receiverStream(new SensorReceiver());
  const clicks = ssc.generatorStream((i) => `page-${i % 6}`, { ratePerSec: 300 });
  const pairs = orders.map((line): [string, number] => {
    const [sku, qty] = line.split(' ');
    return [sku!, Number(qty)];
  });
  pairs
    .reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, Seconds(1), Milliseconds(ssc.batchInterval))
    .foreachRDD(async (_batch, time) => {
      // A sink that takes a varying few milliseconds, as a real one would.
      await new Promise((r) => setTimeout(r, 2 + ((time / ssc.batchInterval) % 7) * 3));
    });
  clicks.map((p): [string, number] => [p, 1]).reduceByKey((a, b) => a + b).foreachRDD(() => {});
  sensors.count().foreachRDD(() => {});
  return () => rm(dir, { recursive: true, force: true });
}

/** A sample line of the text format: name, optional {labels}, value. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)?\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/;

/** Checks an exposition line by line against the format and returns its samples. */
export function parseExposition(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  expect(text.endsWith('\n')).toBe(true);
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  const typed = new Map<string, string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge']).toContain(meta[3]);
        typed.set(meta[2]!, meta[3]!);
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    expect(m, `not a valid sample line: ${line}`).not.toBeNull();
    const name = m![1]!;
    expect(typed.has(name), `${name} has no TYPE line before it`).toBe(true);
    if (typed.get(name) === 'counter') expect(name.endsWith('_total')).toBe(true);
    const labels: Record<string, string> = {};
    for (const l of (m![2] ?? '').slice(1, -1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    }
    const raw = m![3]!;
    samples.push({ name, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) });
  }
  return samples;
}

