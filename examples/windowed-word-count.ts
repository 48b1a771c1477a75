// Windowed word count: generated sentences, counted per word over a sliding 10-second window
// every second (incremental, with an inverse function), top words printed per batch. Needs no
// server: `npx tsx examples/windowed-word-count.ts [seconds]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamingContext, Seconds, type Batch } from 'sluice';

const runSeconds = Number(process.argv[2] ?? 15);
const words = ['spark', 'sluice', 'stream', 'batch', 'window', 'state', 'kernel', 'arrow', 'wasm', 'node'];

// A deterministic pseudo-random sentence per index, skewed towards the first words.
function sentence(i: number): string {
  let x = (i * 2654435761) >>> 0;
  const out: string[] = [];
  for (let j = 0; j < 6; j++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + j) >>> 0;
    out.push(words[Math.floor(((x % 10_000) / 10_000) ** 2 * words.length)]!);
  }
  return out.join(' ');
}

const ssc = new StreamingContext({ batchInterval: Seconds(1), appName: 'WindowedWordCount' });
const checkpointDir = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
ssc.checkpoint(checkpointDir);

const lines = ssc.generatorStream(sentence, { ratePerSec: 20_000 });
const windowCounts = lines
  .flatMap((l) => l.split(' '))
  .map((w) => [w, 1] as [string, number])
  .reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, Seconds(10), Seconds(1));

windowCounts.foreachRDD((batch: Batch<[string, number]>, time) => {
  const top = batch
    .collect()
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([w, n]) => `${w}=${n}`)
    .join(' ');
  console.log(`${new Date(time).toISOString()}  last 10 s: ${top}`);
});
lines.count().map((n) => `records in batch: ${n}`).print(1);

ssc.addStreamingListener({
  onBatchCompleted: ({ batchInfo }) =>
    console.log(`batch ${batchInfo.batchTime}: ${batchInfo.numRecords} records, processed in ${batchInfo.processingDelay} ms`),
});

process.once('SIGINT', () => void ssc.stop({ graceful: true }));
setTimeout(() => void ssc.stop({ graceful: true }), runSeconds * 1000).unref();
await ssc.start();
try {
  await ssc.awaitTermination();
} finally {
  rmSync(checkpointDir, { recursive: true, force: true });
}
console.log('stopped');
