// Counts words in text received over TCP, every second — Spark's NetworkWordCount.
// Run a text server first: `nc -lk 9999`, then `npx tsx examples/network-word-count.ts [host] [port]`
// and type lines into nc. Ctrl-C stops gracefully.
import { StreamingContext, Seconds } from 'sluice';

const [host = '127.0.0.1', port = '9999'] = process.argv.slice(2);

const ssc = new StreamingContext({ batchInterval: Seconds(1), appName: 'NetworkWordCount' });
const lines = ssc.socketTextStream(host, Number(port));
const counts = lines
  .flatMap((l) => l.split(' '))
  .map((w) => [w, 1] as [string, number])
  .reduceByKey((a, b) => a + b);
counts.print();

process.once('SIGINT', () => void ssc.stop({ graceful: true }));
process.once('SIGTERM', () => void ssc.stop({ graceful: true }));
await ssc.start();
await ssc.awaitTermination();
