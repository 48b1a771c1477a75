/**
 * The full DStream API, end to end: Arrow tables queued with `queueStream`, `reduceByKey(sum)`
 * and `reduceByKeyAndWindow(sum, 60 s, 1 s)`, output tuples collected by `foreachRDD`, on a
 * manual clock (no sleeping between batches), with 1 and 2 kernel workers. Each batch is timed
 * by tinybench from the queued input batch to the collected output tuples; records/s is the
 * batch's rows over the median batch time.
 *
 * It needs the integration of the kernels into the DStream API (`sum` exported from
 * src/index.ts, `StreamingContext({ workers })`, Arrow items in `queueStream`) and the built
 * worker (dist/). Whatever is missing is reported as pending, with the reason; nothing is faked.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { u32Batch } from './lib/data.js';
import { compareSums, referenceSumsU32 } from './lib/reference.js';
import { ROOT, loadKernel } from './kernel.js';
import { measure, rowsPerSec, type Budget, type Stats } from './lib/measure.js';
import type { DStreamReport, DStreamRun } from './lib/types.js';

/* The parts of the API used here, typed loosely: the module is imported at run time, so that a
 * missing export is reported as pending instead of failing the whole benchmark. */
interface Stream {
  reduceByKey(r: unknown): Stream;
  reduceByKeyAndWindow(r: unknown, window: number, slide: number): Stream;
  foreachRDD(f: (batch: { collect(): unknown[] }) => void): void;
}
interface Context {
  checkpoint(dir: string): void;
  queueStream(queue: unknown[]): Stream;
  start(): Promise<void>;
  stop(): Promise<void>;
  awaitTermination(): Promise<void>;
}
interface Api {
  StreamingContext: new (options: Record<string, unknown>) => Context;
  sum?: unknown;
  Seconds: (n: number) => number;
}
interface Testing {
  advanceBatches?: (ssc: Context, n: number) => Promise<void>;
}

const KEYS = 1_000;

export async function runDStreamCases(opts: { quick: boolean; budget: Budget; log: (m: string) => void }): Promise<DStreamReport> {
  const pending = (reason: string): DStreamReport => {
    opts.log(`  PENDING — ${reason}`);
    return { status: 'pending', reason, runs: [] };
  };

  const kernel = await loadKernel();
  if (!kernel.ok) return pending(`the kernel: ${kernel.reason}`);
  let api: Api;
  let testing: Testing;
  try {
    api = (await import(pathToFileURL(join(ROOT, 'src', 'index.ts')).href)) as Api;
    testing = (await import(pathToFileURL(join(ROOT, 'src', 'testing.ts')).href)) as Testing;
  } catch (e) {
    return pending(`src/index.ts failed to load: ${(e as Error).message}`);
  }
  if (api.sum === undefined) return pending('src/index.ts does not export the built-in `sum` reducer yet (DStream integration of the kernels)');
  if (typeof testing.advanceBatches !== 'function') return pending('src/testing.ts does not export advanceBatches');
  if (!existsSync(join(ROOT, 'dist', 'worker', 'kernel-worker.js'))) return pending('dist/worker/kernel-worker.js is missing: the worker pool needs `npm run build`');
  const { tableFromArrays } = await import('apache-arrow');

  const rows = opts.quick ? 200_000 : 1_000_000;
  const data = u32Batch(rows, KEYS, 'uniform', 80_001);
  const ref = referenceSumsU32(data.keys, data.values);
  const table = () => tableFromArrays({ key: data.keys, value: data.values });
  // probe: one small batch through reduceByKey(sum) must give [key, sum] tuples
  {
    const probe = await runOnce(api, testing, 'reduceByKey(sum)', 1, () => tableFromArrays({ key: Uint32Array.of(7, 7, 9), value: Float64Array.of(1, 2, 3) }), 1, undefined);
    if (!probe.ok) return pending(`reduceByKey(sum) on an Arrow table does not run yet: ${probe.error}`);
    const got = new Map(probe.last as [number, number][]);
    if (got.get(7) !== 3 || got.get(9) !== 3 || got.size !== 2) return pending(`reduceByKey(sum) on an Arrow table gives ${JSON.stringify(probe.last)}, expected [[7,3],[9,3]]`);
  }

  const runs: DStreamRun[] = [];
  const window = 60;
  const ops: { name: string; warmup: number; factor: (batches: number) => number }[] = [
    { name: 'reduceByKey(sum)', warmup: 5, factor: () => 1 },
    // warm up past a full window, so that every timed batch also evicts one
    { name: `reduceByKeyAndWindow(sum, ${window} s, 1 s)`, warmup: window + 2, factor: (batches) => Math.min(batches, window) },
  ];
  for (const workers of [1, 2]) {
    for (const op of ops) {
      const r = await runOnce(api, testing, op.name, workers, table, op.warmup, opts.budget);
      if (!r.ok) {
        opts.log(`  ${op.name}, ${workers} worker(s): FAILED — ${r.error}`);
        return { status: 'error', reason: `${op.name} with ${workers} worker(s) failed: ${r.error}`, runs };
      }
      const expected = new Map([...ref].map(([k, v]) => [k, v * op.factor(r.batches)]));
      const c = compareSums(new Map(r.last as [number, number][]), expected);
      const run: DStreamRun = {
        operation: op.name,
        workers,
        rowsPerBatch: rows,
        keys: KEYS,
        warmupBatches: op.warmup,
        stats: r.stats,
        recordsPerSec: rowsPerSec(rows, r.stats),
        verified: c.ok,
        ...(c.ok ? {} : { note: c.why }),
      };
      opts.log(`  ${op.name.padEnd(40)} ${workers} worker(s): ${(run.recordsPerSec / 1e6).toFixed(1)}M records/s  p50 ${r.stats.p50Ms.toFixed(2)} ms/batch  n=${r.stats.samples}  ±${r.stats.rme.toFixed(1)}%${c.ok ? '' : `  !! output differs: ${c.why}`}`);
      runs.push(run);
    }
  }
  return { status: 'measured', runs };
}

/**
 * One context: `warmup` batches untimed, then one batch per tinybench iteration — the Arrow
 * table is queued before the iteration (untimed), the iteration advances the clock by one batch
 * and waits for it to be processed: received, aggregated on the kernels, output tuples
 * collected. Returns the timing, the number of batches run and the last output batch.
 */
async function runOnce(
  api: Api,
  testing: Testing,
  op: string,
  workers: number,
  makeTable: () => unknown,
  warmup: number,
  budget: Budget | undefined,
): Promise<{ ok: true; stats: Stats; batches: number; last: unknown[] } | { ok: false; error: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-dstream-'));
  let ssc: Context | undefined;
  try {
    ssc = new api.StreamingContext({ batchInterval: 1000, clock: 'manual', appName: 'bench:kernels', workers });
    ssc.checkpoint(dir);
    const queue: unknown[] = [];
    const input = ssc.queueStream(queue);
    const out = op.startsWith('reduceByKeyAndWindow') ? input.reduceByKeyAndWindow(api.sum, api.Seconds(60), api.Seconds(1)) : input.reduceByKey(api.sum);
    let last: unknown[] = [];
    out.foreachRDD((batch) => {
      last = batch.collect();
    });
    await ssc.start();
    const context = ssc;
    let batches = 0;
    const advance = async () => {
      await testing.advanceBatches!(context, 1);
      batches++;
    };
    for (let i = 0; i < warmup; i++) {
      queue.push(makeTable());
      await advance();
    }
    let stats: Stats = { samples: 0, meanMs: 0, p50Ms: 0, minMs: 0, maxMs: 0, rme: 0 };
    if (budget) stats = await measure(`dstream ${op} ${workers}w`, advance, budget, { async: true, beforeEach: () => void queue.push(makeTable()) });
    await ssc.stop();
    await ssc.awaitTermination();
    ssc = undefined;
    return { ok: true, stats, batches, last };
  } catch (e) {
    return { ok: false, error: (e as Error).message ?? String(e) };
  } finally {
    if (ssc) await ssc.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the cases in a child process (this module with `--child`), so that a crash of the engine
 * or its worker pool — or a hang — is reported as an error of these cases, with the reason,
 * instead of taking the whole benchmark down. The child prints its report as JSON on stdout.
 */
export function runDStreamIsolated(opts: { quick: boolean; budget: Budget; log: (m: string) => void; timeoutMs: number }): Promise<DStreamReport> {
  return new Promise((resolve) => {
    const args = [...process.execArgv, fileURLToPath(import.meta.url), '--child', JSON.stringify({ quick: opts.quick, budget: opts.budget })];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errTail = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      process.stderr.write(d);
      errTail = (errTail + d).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        if (code === 0) return resolve(JSON.parse(out) as DStreamReport);
      } catch {
        // fall through: report what the child said
      }
      const why = signal === 'SIGKILL' ? `did not finish within ${opts.timeoutMs / 1000} s` : `crashed (exit ${code ?? signal})`;
      const last = errTail.trim().split('\n').filter((l) => l.trim() !== '' && !l.startsWith('    at ')).slice(-3).join(' / ');
      opts.log(`  ERROR — the DStream cases ${why}`);
      resolve({ status: 'error', reason: `the full-API run ${why}${last ? `: ${last}` : ''}`, runs: [] });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  const { quick, budget } = JSON.parse(process.argv[3]!) as { quick: boolean; budget: Budget };
  const report = await runDStreamCases({ quick, budget, log: (m) => process.stderr.write(`${m}\n`) });
  process.stdout.write(JSON.stringify(report));
  // the context's worker pool may keep the event loop alive for its idle timeout
  process.exit(0);
}
