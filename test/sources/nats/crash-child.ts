// Run by nats.test.ts in a child process: reads from a JetStream consumer and kills itself with
// SIGKILL in the output of the first non-empty batch, before anything is acknowledged.
import { Milliseconds, StreamingContext } from '../../../src/index.js';

const options = JSON.parse(process.argv[2]!) as { servers: string; stream: string; consumer: string; ackWaitMs: number };
const ssc = new StreamingContext({ batchInterval: Milliseconds(100), ui: false });
ssc.natsStream<string>(options).foreachRDD((batch) => {
  const n = batch.count();
  if (n === 0) return;
  process.stdout.write(`received ${n}\n`);
  process.kill(process.pid, 'SIGKILL');
});
await ssc.start();
