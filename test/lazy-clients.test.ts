// Importing sluice loads no connector client library (kafkajs, mqtt, zeromq, NATS, redis, DuckDB):
// each is loaded when a source connects or a sink opens. Checked on the built package (dist/, which
// `npm test` builds first) in a child Node process whose module resolutions are recorded by a
// loader hook.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLIENTS = ['kafkajs', 'mqtt', 'zeromq', '@nats-io/transport-node', '@nats-io/jetstream', 'redis', '@duckdb/node-api'];
const dist = resolve(import.meta.dirname, '../dist');

/** Records every module resolution of the process (specifier and URL), one a line, in $SLUICE_RESOLVE_LOG. */
const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.SLUICE_RESOLVE_LOG, specifier + '\\t' + result.url + '\\n');
  return result;
}
`;

/**
 * The child: imports sluice, defines a stream of every broker source and a DuckDB sink (none
 * started), then starts a ZeroMQ source and opens the DuckDB sink, noting after each step which
 * client libraries were resolved so far (or are in the CommonJS cache). Prints it as JSON.
 */
const CHILD = `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const clients = ${JSON.stringify(CLIENTS)};
const loaded = () => {
  const lines = readFileSync(process.env.SLUICE_RESOLVE_LOG, 'utf8').split('\\n').filter(Boolean);
  const resolved = lines.map((l) => l.split('\\t'));
  const cached = Object.keys(require.cache);
  return clients.filter((c) =>
    resolved.some(([specifier, url]) => specifier === c || specifier.startsWith(c + '/') || url.includes('/node_modules/' + c + '/')) ||
    cached.some((f) => f.includes('/node_modules/' + c + '/')),
  );
};
const out = {};
const { StreamingContext, Milliseconds, sinks } = await import(process.env.SLUICE_DIST + '/index.js');
out.afterImport = loaded();

const ssc = new StreamingContext({ batchInterval: Milliseconds(100), ui: false });
ssc.kafkaStream({ brokers: '127.0.0.1:1', topics: 't', groupId: 'g' }).foreachRDD(() => {});
ssc.mqttStream({ url: 'mqtt://127.0.0.1:1', topics: 't', qos: 1 }).foreachRDD(() => {});
ssc.natsStream({ servers: 'nats://127.0.0.1:1', stream: 's', consumer: 'c' }).foreachRDD(() => {});
ssc.redisStream({ url: 'redis://127.0.0.1:1', stream: 's', group: 'g', consumer: 'c' }).foreachRDD(() => {});
ssc.zeromqStream({ endpoint: 'tcp://127.0.0.1:1', pattern: 'pull' }).foreachRDD(() => {});
const sink = sinks.duckdb({ path: ':memory:', table: 't' });
ssc.generatorStream((i) => ({ i }), { ratePerSec: 10 }).saveTo(sink);
try {
  ssc.mqttStream({ url: 'mqtt://127.0.0.1:1', topics: 't', qos: 2 });
} catch (error) {
  out.invalidOptions = String(error);
}
out.afterDefine = loaded();

const zmq = new StreamingContext({ batchInterval: Milliseconds(100), ui: false });
zmq.zeromqStream({ endpoint: 'tcp://127.0.0.1:*', pattern: 'pull', bind: true }).foreachRDD(() => {});
await zmq.start();
await zmq.stop();
await sink.open();
await sink.close();
out.afterUse = loaded();

const { loadClient } = await import(process.env.SLUICE_DIST + '/load-client.js');
const missing = 'sluice-no-such-package';
out.missing = await loadClient(missing, 'mqtt:t@mqtt://127.0.0.1:1', () => import(missing)).then(() => 'loaded', (e) => e.message);
console.log(JSON.stringify(out));
`;

let dir: string;
let result: Record<string, unknown>;

beforeAll(async () => {
  if (!existsSync(join(dist, 'load-client.js'))) throw new Error(`${dist} is missing or out of date: run \`npm run build:ts\` first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'sluice-lazy-'));
  const log = join(dir, 'resolved.log');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  const stdout = await new Promise<string>((resolvePromise, reject) => {
    execFile(
      process.execPath,
      ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e', CHILD],
      { env: { ...process.env, SLUICE_RESOLVE_LOG: log, SLUICE_DIST: pathToFileURL(dist).href, SLUICE_UI: 'false' }, timeout: 60_000 },
      (error, out, err) => (error ? reject(new Error(`the child failed: ${error.message}\n${err}`)) : resolvePromise(out)),
    );
  });
  result = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}, 90_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('connector client libraries load lazily', () => {
  it('importing sluice loads none of them', () => {
    expect(result.afterImport).toEqual([]);
  });

  it('defining streams and a DuckDB sink loads none of them, and options are still checked at once', () => {
    expect(result.afterDefine).toEqual([]);
    expect(result.invalidOptions).toMatch(/mqttStream: 'qos' must be 0 or 1/);
  });

  it('starting a source or opening a sink loads its library, and only its', () => {
    expect(result.afterUse).toEqual(['zeromq', '@duckdb/node-api']);
  });

  it('a library that is not installed fails with the package and the source named', () => {
    expect(result.missing).toBe('mqtt:t@mqtt://127.0.0.1:1: the package "sluice-no-such-package" is not installed; install it with `npm install sluice-no-such-package`');
  });

  it('the recorded resolutions include the modules sluice does import (the hook works)', () => {
    const log = readFileSync(join(dir, 'resolved.log'), 'utf8');
    expect(log).toMatch(/dist\/index\.js/);
    expect(log).toMatch(/node_modules\/apache-arrow\//);
  });
});
