// Run by redis.test.ts in a child process: reads a Redis stream as one consumer of a group and
// kills itself with SIGKILL in the output of the first non-empty batch, before any XACK.
import { Milliseconds, StreamingContext } from '../../../src/index.js';

const options = JSON.parse(process.argv[2]!) as { url: string; stream: string; group: string; consumer: string };
const ssc = new StreamingContext({ batchInterval: Milliseconds(100), ui: false });
ssc.redisStream<string>(options).foreachRDD((batch) => {
  const n = batch.count();
  if (n === 0) return;
  process.stdout.write(`received ${n}\n`);
  process.kill(process.pid, 'SIGKILL');
});
await ssc.start();
