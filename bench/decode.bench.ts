/**
 * `npx tsx bench/decode.bench.ts`: the source record decoders on 1M sensor records
 * `{ sensor: u32, ts: f64, value: f32 }`, in M records/s (records ÷ median iteration time,
 * tinybench; and of CPU time, steadier on a busy machine). Not part of `npm test`.
 *
 * - json: one record per payload; the byte scanner (schema given) against `JSON.parse` per
 *   record + the same column building (the schema-less path's method), and `JSON.parse` alone
 *   (no columns) as a floor.
 * - csv: payloads of 1,000 lines; with a schema, and schema-less (header + inference).
 * - binary: 16-byte records, frames of 100 records, and one record per payload.
 *
 * Options: --records=N (default 1,000,000), --quick (short budgets).
 */
import { measure, type Budget } from './lib/measure.js';
import { prng } from './lib/random.js';
import { machineInfo } from './lib/machine.js';
import { createDecoder, validateDecodeOptions, type Decoder, type Schema } from '../src/sources/decode/decoder.js';
import { JsonParseDecoder } from '../src/sources/decode/json.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const N = Number(argv.find((a) => a.startsWith('--records='))?.slice('--records='.length) ?? 1_000_000);
const budget: Budget = QUICK ? { time: 200, iterations: 2, warmupTime: 0, warmupIterations: 1 } : { time: 2000, iterations: 5, warmupTime: 300, warmupIterations: 1 };

const schema: Schema = { sensor: 'u32', ts: 'f64', value: 'f32' };
const enc = new TextEncoder();
const rand = prng(42);

// ---------------------------------------------------------------- data
const sensors = new Uint32Array(N);
const ts = new Float64Array(N);
const values = new Float64Array(N);
for (let i = 0; i < N; i++) {
  sensors[i] = Math.floor(rand() * 10_000);
  ts[i] = 1_700_000_000_000 + i; // ms timestamps
  values[i] = Math.round((15 + rand() * 20) * 1000) / 1000; // a reading with 3 decimals
}

const jsonPayloads: Uint8Array[] = [];
for (let i = 0; i < N; i++) jsonPayloads.push(enc.encode(`{"sensor":${sensors[i]},"ts":${ts[i]},"value":${values[i]}}`));

const CSV_LINES = 1000;
const csvPayloads: Uint8Array[] = [];
const csvHeaderPayloads: Uint8Array[] = [enc.encode('sensor,ts,value\n')];
for (let i = 0; i < N; i += CSV_LINES) {
  let s = '';
  for (let j = i; j < Math.min(N, i + CSV_LINES); j++) s += `${sensors[j]},${ts[j]},${values[j]}\n`;
  const bytes = enc.encode(s);
  csvPayloads.push(bytes);
  csvHeaderPayloads.push(bytes);
}

const WIDTH = 16;
function binaryFrames(perFrame: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < N; i += perFrame) {
    const k = Math.min(perFrame, N - i);
    const buf = new Uint8Array(k * WIDTH);
    const dv = new DataView(buf.buffer);
    for (let j = 0; j < k; j++) {
      dv.setUint32(j * WIDTH, sensors[i + j]!, true);
      dv.setFloat64(j * WIDTH + 4, ts[i + j]!, true);
      dv.setFloat32(j * WIDTH + 12, values[i + j]!, true);
    }
    frames.push(buf);
  }
  return frames;
}
const binary100 = binaryFrames(100);
const binary1 = binaryFrames(1);

const bytesOf = (ps: readonly Uint8Array[]) => ps.reduce((a, p) => a + p.length, 0);

// ---------------------------------------------------------------- cases
interface Case {
  name: string;
  bytes: number;
  run: () => number;
}

function decoderCase(name: string, make: () => Decoder<unknown>, payloads: readonly Uint8Array[]): Case {
  return {
    name,
    bytes: bytesOf(payloads),
    run: () => {
      // A new decoder each time: csv without a schema learns its header from the first payload.
      const r = make().decode(payloads);
      if (r.malformed.length > 0) throw new Error(`${name}: ${r.malformed.length} malformed, first: ${r.malformed[0]!.reason}`);
      return r.records;
    },
  };
}

const maxMessageBytes = 16 * 1024 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const cases: Case[] = [
  decoderCase('json  scanner (schema)', () => createDecoder({ format: 'json', schema }), jsonPayloads),
  decoderCase('json  JSON.parse + columns', () => new JsonParseDecoder(validateDecodeOptions({ format: 'json', schema }), schema), jsonPayloads),
  {
    name: 'json  JSON.parse only (no columns)',
    bytes: bytesOf(jsonPayloads),
    run: () => {
      let n = 0;
      for (const p of jsonPayloads) if (JSON.parse(utf8.decode(p)) !== null) n++;
      return n;
    },
  },
  decoderCase('json  JSON.parse, inferred schema', () => createDecoder({ format: 'json' }), jsonPayloads),
  decoderCase('csv   schema, 1000 lines/payload', () => createDecoder({ format: 'csv', schema, maxMessageBytes }), csvPayloads),
  decoderCase('csv   header + inference', () => createDecoder({ format: 'csv', maxMessageBytes }), csvHeaderPayloads),
  decoderCase('binary 100 records/payload', () => createDecoder({ format: 'binary', schema }), binary100),
  decoderCase('binary 1 record/payload', () => createDecoder({ format: 'binary', schema }), binary1),
];

// ---------------------------------------------------------------- run
const log = (s: string) => process.stdout.write(`${s}\n`);
const m = machineInfo();
log(`decode bench: ${N.toLocaleString('en')} records, ${m.cpu}, ${m.cores} cores, Node ${process.version}${QUICK ? ' (--quick)' : ''}`);
log('');
log('| case | M records/s | MB/s | p50 ms | samples | M records/s of CPU time |');
log('| --- | ---: | ---: | ---: | ---: | ---: |');
const results: Record<string, number> = {};
/** Median process CPU time of a few more runs: steadier than wall time on a shared machine. */
function cpuMs(run: () => unknown, runs = 5): number {
  const ms: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t = process.cpuUsage();
    run();
    const u = process.cpuUsage(t);
    ms.push((u.user + u.system) / 1000);
  }
  return ms.sort((a, b) => a - b)[runs >> 1]!;
}
for (const c of cases) {
  const got = c.run();
  if (got !== N) throw new Error(`${c.name}: decoded ${got} records, expected ${N}`);
  const s = await measure(c.name, () => void c.run(), budget);
  const rate = N / (s.p50Ms / 1000);
  results[c.name] = rate;
  const cpu = cpuMs(c.run, QUICK ? 1 : 5);
  log(
    `| ${c.name} | ${(rate / 1e6).toFixed(2)} | ${(c.bytes / 1e6 / (s.p50Ms / 1000)).toFixed(0)} | ${s.p50Ms.toFixed(1)} | ${s.samples} | ${(N / 1e6 / (cpu / 1000)).toFixed(2)} |`,
  );
}
const ratio = results['json  scanner (schema)']! / results['json  JSON.parse + columns']!;
log('');
log(`json scanner ÷ JSON.parse + columns: ${ratio.toFixed(2)}×`);
