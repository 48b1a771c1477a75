// Per-sensor sums and 60-second statistics of a million readings per second, on the WASM kernels.
// `npx tsx examples/sensor-aggregation.ts [seconds]` (default 5).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { StreamingContext, Seconds, sum, stats } from 'sluice';

const runSeconds = Number(process.argv[2] ?? 5);
const checkpointDir = mkdtempSync(join(tmpdir(), 'sluice-sensors-'));

const ssc = new StreamingContext({ batchInterval: Seconds(1), workers: 2 });
ssc.checkpoint(checkpointDir);
// Any Arrow table with columns `key` and `value` is a pair stream, kept columnar.
const readings = ssc.columnarGeneratorStream(
  (first, count) =>
    tableFromArrays({
      key: Uint32Array.from({ length: count }, (_, i) => (first + i) % 10_000), // sensor id
      value: Float64Array.from({ length: count }, () => 20 + Math.random()), // reading
    }),
  { ratePerSec: 1_000_000 },
);
readings.reduceByKey(sum).foreachRDD((batch, time) => {
  const c = batch.columns![0]!; // the result as columns: no JS object per record
  console.log(`${time}: ${c.length} sensors`);
});
readings.reduceByKeyAndWindow(stats, Seconds(60), Seconds(1)).print(3);

setTimeout(() => void ssc.stop({ graceful: true }), runSeconds * 1000).unref();
await ssc.start();
try {
  await ssc.awaitTermination();
} finally {
  rmSync(checkpointDir, { recursive: true, force: true });
}
