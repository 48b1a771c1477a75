// Sensor readings over MQTT: a publisher sends JSON readings to the local Mosquitto, the job
// reads them at QoS 1 (acknowledged once their batch's outputs succeeded), decodes them straight
// into Arrow columns and keeps per-sensor statistics over a sliding window on the WASM kernels.
// Needs a broker: `mosquitto -p 1883`. Then `npx tsx examples/mqtt-sensor-ingest.ts [url]`;
// it stops by itself once every reading was processed.
import { randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import { StreamingContext, Seconds, stats } from 'sluice';

const url = process.argv[2] ?? 'mqtt://127.0.0.1:1883';
const topic = `sluice-example/${randomUUID()}/readings`; // unique: no other run's messages
const SENSORS = 5;
const ROUNDS = 40; // one reading per sensor per round, a round every 50 ms: 2 s of traffic

const ssc = new StreamingContext({ batchInterval: Seconds(1), appName: 'mqtt-sensor-ingest' });
const readings = ssc.mqttStream<{ sensor: number; value: number }>({
  url,
  topics: topic,
  qos: 1,
  format: 'json',
  schema: { sensor: 'u32', value: 'f64' },
});

// Per sensor over the last 10 s, every second: count, mean, min, max, stddev.
readings
  .toPairs<number, number>('sensor', 'value')
  .reduceByKeyAndWindow(stats, Seconds(10), Seconds(1))
  .foreachRDD((batch, time) => {
    for (const [sensor, s] of batch.collect().sort((a, b) => a[0] - b[0])) {
      const f = (x: number) => x.toFixed(2);
      console.log(`${new Date(time).toISOString()} sensor ${sensor}: count ${s.count}, mean ${f(s.mean)}, min ${f(s.min)}, max ${f(s.max)}, stddev ${f(s.stddev)}`);
    }
  });

let processed = 0;
readings.count().foreachRDD((batch) => {
  processed += batch.collect()[0] ?? 0;
});

await ssc.start(); // connected and subscribed: what is published from now on is received

// The devices: sensor s reads around 20 + s degrees.
const publisher = await connectAsync(url);
for (let round = 0; round < ROUNDS; round++) {
  for (let sensor = 0; sensor < SENSORS; sensor++) {
    const value = 20 + sensor + ((round % 5) - 2) / 10;
    await publisher.publishAsync(topic, JSON.stringify({ sensor, value, unit: 'C' }), { qos: 1 });
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await publisher.endAsync();

const published = SENSORS * ROUNDS;
const deadline = Date.now() + 10_000;
while (processed < published && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
await ssc.stop({ graceful: true });
console.log(`published ${published} readings, processed ${processed}`);
process.exitCode = processed >= published ? 0 : 1;
