/**
 * `npm run bench:kernels`: the WebAssembly kernels against their peers, on the same data, in the
 * same run. Writes bench/results/kernels.json (with the machine and the command) and
 * bench/results/kernels.md (the tables for the README), and prints the markdown.
 *
 * Options: --quick (small batches and budgets, for development; writes nothing),
 *          --only=u32,words,window,dstream (a subset of the case families).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { u32Batch, wordBatch, type Distribution, type KeySpace, type U32Batch, type WordBatch } from './lib/data.js';
import { FAST, SLOW, SLOWEST, measure, rowsPerSec, statsOf, type Budget, type Stats } from './lib/measure.js';
import { machineInfo } from './lib/machine.js';
import { compareSums, referenceSumsStrings, referenceSumsU32 } from './lib/reference.js';
import { mapSumStrings, mapSumU32 } from './peers/map.js';
import { StringDictionary, U32SumTable } from './peers/open-addressing.js';
import { arqueroSum, arqueroTable, arqueroToMap, type ArqueroTable } from './peers/arquero.js';
import { DuckDBPeer } from './peers/duckdb.js';
import { RxjsRunner } from './peers/rxjs-runner.js';
import { MapRingWindow } from './peers/window.js';
import { NativeReference, type NativeInput, type NativeResult } from './peers/native.js';
import { Agg, KernelMemory, KeyKind, RELEASE_WASM, ROOT, ValueKind, exportSums, loadKernel, type KernelLoad } from './kernel.js';
import { runDStreamIsolated } from './dstream.js';
import { evaluateTargets, renderMarkdown } from './lib/report.js';
import type { CaseResult, DStreamReport, ImplId, ImplResult, Report } from './lib/types.js';
import type { KernelExports } from '../src/kernels/abi.js';

// ---------------------------------------------------------------- configuration

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const want = (family: string) => !only || only.includes(family);

const ROWS = QUICK ? 200_000 : 1_000_000;
const CARDINALITIES = [1_000, 100_000, 1_000_000];
const DISTRIBUTIONS: Distribution[] = ['uniform', 'zipf'];
const VOCABULARY = 50_000;
const WINDOW_PANES = 60;
const WINDOW_KEYS = 10_000;
/** Wall-clock cap on one RxJS case (its cost is quadratic in the number of groups). */
const RXJS_CAP_MS = QUICK ? 5_000 : 30_000;

const fast: Budget = QUICK ? { time: 150, iterations: 3, warmupTime: 30, warmupIterations: 1 } : FAST;
const slow: Budget = QUICK ? { ...SLOW, iterations: 1 } : SLOW;
/** RxJS: 2 iterations after a warmup; from 20K groups a single pass (each takes seconds). */
const slowest = (groups: number): Budget => (QUICK || groups >= 20_000 ? { time: 0, iterations: 1, warmupTime: 0, warmupIterations: 0 } : SLOWEST);

// ---------------------------------------------------------------- helpers

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const mrs = (r?: number) => (r === undefined ? '—' : `${(r / 1e6).toFixed(1)}M rows/s`);

function ok(impl: ImplId, rows: number, stats: Stats): ImplResult {
  const r: ImplResult = { impl, status: 'ok', stats, rowsPerSec: rowsPerSec(rows, stats) };
  log(`    ${impl.padEnd(14)} ${mrs(r.rowsPerSec).padStart(16)}  p50 ${stats.p50Ms.toFixed(2)} ms  n=${stats.samples}  ±${stats.rme.toFixed(1)}%`);
  return r;
}

function verify<K>(r: ImplResult, actual: Map<K, number>, expected: Map<K, number>): ImplResult {
  const c = compareSums(actual, expected);
  r.verified = c.ok;
  if (!c.ok) {
    r.verifyNote = c.why;
    log(`    !! ${r.impl}: output differs from the reference: ${c.why}`);
  }
  return r;
}

/** Marks whether a same-algorithm peer's slot order is the kernel's (see ImplResult.mirrorsKernel). */
function mirror(r: ImplResult, order: ArrayLike<number>, kernelOrder: ArrayLike<number> | undefined): ImplResult {
  if (kernelOrder === undefined || r.status !== 'ok') return r;
  let same = order.length === kernelOrder.length;
  for (let i = 0; same && i < order.length; i++) same = order[i] === kernelOrder[i];
  r.mirrorsKernel = same;
  if (!same) log(`    !! ${r.impl}: its table's slot order differs from the kernel's — it no longer mirrors the kernel's algorithm`);
  return r;
}

async function guarded(impl: ImplId, f: () => Promise<ImplResult> | ImplResult): Promise<ImplResult> {
  try {
    return await f();
  } catch (e) {
    const reason = (e as Error).message ?? String(e);
    log(`    !! ${impl} failed: ${reason}`);
    return { impl, status: 'error', reason };
  }
}

// ---------------------------------------------------------------- shared peers

interface Env {
  kernel: KernelLoad;
  native: NativeReference | { reason: string };
  duck: DuckDBPeer;
  rx: RxjsRunner;
}

function pending(impl: ImplId, env: Env): ImplResult {
  return { impl, status: 'pending', reason: env.kernel.ok ? 'not run' : env.kernel.reason };
}

/** What every implementation of one case shares: its id, rows, reference result and peers. */
interface Case<K> {
  readonly id: string;
  readonly n: number;
  readonly ref: Map<K, number>;
  readonly env: Env;
}

/** The kernel's implementations of a case, on kernel memory freed after them; pending without a kernel. */
async function kernelImpls(env: Env, impls: ImplId[], run: (k: KernelExports, mem: KernelMemory) => Promise<ImplResult[]>): Promise<ImplResult[]> {
  if (!env.kernel.ok) return impls.map((impl) => pending(impl, env));
  const k = env.kernel.kernels;
  const mem = new KernelMemory(k);
  try {
    return await run(k, mem);
  } finally {
    mem.freeAll();
  }
}

/** A JS `Map` of the sums, rebuilt by `sum` per iteration. */
function jsMapImpl<K>(c: Case<K>, sum: () => Map<K, number>): Promise<ImplResult> {
  return guarded('js-map', async () => {
    let last = new Map<K, number>();
    const r = ok('js-map', c.n, await measure(`${c.id} js-map`, () => {
      last = sum();
    }, fast));
    return verify(r, last, c.ref);
  });
}

/** The C reference, on `input` written to a file; `decode` maps its result to the reference's keys. */
function nativeImpl<K>(c: Case<K>, input: NativeInput, capacityHint: number | [number, number], decode: (result: NativeResult) => Map<K, number>, kernelOrder: number[] | undefined): Promise<ImplResult> {
  return guarded('c', () => {
    const native = c.env.native;
    if (!(native instanceof NativeReference)) return { impl: 'c', status: 'skipped', reason: native.reason };
    const file = native.writeData(c.id, input);
    const { run, result } = native.run(input.kind, file, capacityHint, { minIters: fast.iterations, minMs: fast.time, warmup: fast.warmupIterations, withResult: true });
    return mirror(verify(ok('c', c.n, statsOf(run.samplesMs)), decode(result!), c.ref), result!.keys, kernelOrder);
  });
}

/** DuckDB: loading the batch into `table`, then the aggregate query; drops the table after. */
async function duckdbImpls<K>(c: Case<K>, table: string, keys: Uint32Array | readonly string[], values: Float64Array): Promise<ImplResult[]> {
  const { id, env } = c;
  const impls = [
    await guarded('duckdb-load', async () => ok('duckdb-load', c.n, await measure(`${id} duckdb-load`, () => env.duck.load(table, keys, values), slow, { async: true }))),
    await guarded('duckdb', async () => {
      const r = ok('duckdb', c.n, await measure(`${id} duckdb`, () => env.duck.query(table), fast, { async: true }));
      return verify(r, await env.duck.resultMap<K>(table), c.ref);
    }),
  ];
  await env.duck.drop(table);
  return impls;
}

function arqueroImpl<K>(c: Case<K>, keys: Uint32Array | readonly string[], values: Float64Array): Promise<ImplResult> {
  return guarded('arquero', async () => {
    const at = arqueroTable(keys, values);
    let last: ArqueroTable | undefined;
    const r = ok('arquero', c.n, await measure(`${c.id} arquero`, () => {
      last = arqueroSum(at);
    }, slow));
    return verify(r, arqueroToMap<K>(last!), c.ref);
  });
}

async function rxjsCase<K>(name: string, rows: number, keys: Uint32Array | string[], values: Float64Array, groups: number, ref: Map<K, number>, env: Env): Promise<ImplResult> {
  const o = await env.rx.run<K>(name, keys, values, slowest(groups), RXJS_CAP_MS);
  if (o.kind === 'error') throw new Error(o.error);
  if (o.kind === 'timeout') {
    const below = rows / (RXJS_CAP_MS / 1000);
    log(`    rxjs           stopped at the ${RXJS_CAP_MS / 1000} s cap: < ${mrs(below)}`);
    return { impl: 'rxjs', status: 'timeout', rowsPerSecBelow: below, reason: `did not finish within the ${RXJS_CAP_MS / 1000} s cap (${groups} groups; RxJS tears groups down in quadratic time)` };
  }
  return verify(ok('rxjs', rows, o.stats), o.result, ref);
}

// ---------------------------------------------------------------- u32 keys

async function u32Case(data: U32Batch, id: string, title: string, env: Env, info?: string): Promise<CaseResult> {
  const n = data.keys.length;
  log(`\n${title}  (${n} rows, ${data.distinct} distinct keys)`);
  const ref = referenceSumsU32(data.keys, data.values);
  const hint = data.distinct; // tables pre-sized from the (same-shaped) last batch
  const c: Case<number> = { id, n, ref, env };
  const impls: ImplResult[] = [];
  let kernelOrder: number[] | undefined; // the kernel table's keys in slot order

  // the kernel, through its loader
  impls.push(...await kernelImpls(env, ['kernel', 'kernel+export'], async (k, mem) => {
    const kp = mem.copyIn(data.keys);
    const vp = mem.copyIn(data.values);
    const keysOut = mem.alloc(n * 4);
    const sumsOut = mem.alloc(n * 8);
    const t = k.aggNew(KeyKind.U32, ValueKind.F64, Agg.SUM, hint);
    try {
      return [
        await guarded('kernel', async () => {
          const r = ok('kernel', n, await measure(`${id} kernel`, () => {
            k.aggClear(t);
            k.aggAdd(t, kp, vp, n);
          }, fast));
          const out = exportSums(mem, t, k.aggSize(t)); // a Map keeps the export's slot order
          kernelOrder = [...out.keys()];
          return verify(r, out, ref);
        }),
        await guarded('kernel+export', async () => {
          let exported = 0;
          const r = ok('kernel+export', n, await measure(`${id} kernel+export`, () => {
            k.aggClear(t);
            k.aggAdd(t, kp, vp, n);
            exported = k.aggExport(t, keysOut, 0, sumsOut, 0, 0, 0);
          }, fast));
          const keys = mem.u32(keysOut, exported);
          const sums = mem.f64(sumsOut, exported);
          const m = new Map<number, number>();
          for (let i = 0; i < exported; i++) m.set(keys[i]!, sums[i]!);
          return verify(r, m, ref);
        }),
      ];
    } finally {
      k.aggFree(t);
    }
  }));

  impls.push(await jsMapImpl(c, () => mapSumU32(data.keys, data.values)));

  impls.push(await guarded('js-oa', async () => {
    const t = new U32SumTable(hint);
    const r = ok('js-oa', n, await measure(`${id} js-oa`, () => {
      t.clear();
      t.add(data.keys, data.values);
    }, fast));
    return mirror(verify(r, t.toMap(), ref), t.export().keys, kernelOrder);
  }));

  impls.push(await nativeImpl(c, { kind: 'u32', keys: data.keys, values: data.values }, hint, (result) => {
    const m = new Map<number, number>();
    result.keys.forEach((key, i) => m.set(key, result.sums[i]!));
    return m;
  }, kernelOrder));

  impls.push(...await duckdbImpls(c, `t_${id.replace(/[^a-z0-9]/gi, '_')}`, data.keys, data.values));
  impls.push(await arqueroImpl(c, data.keys, data.values));
  impls.push(await guarded('rxjs', () => rxjsCase(`${id} rxjs`, n, data.keys, data.values, data.distinct, ref, env)));

  return {
    id,
    title,
    family: 'u32',
    ...(info ? { info } : {}),
    rows: n,
    params: { cardinality: data.cardinality, distribution: data.distribution, keys: data.keySpace, distinct: data.distinct },
    impls,
  };
}

// ---------------------------------------------------------------- string keys

async function wordsCase(data: WordBatch, env: Env): Promise<CaseResult> {
  const n = data.values.length;
  const id = 'words';
  log(`\nwords (${n} rows, Zipf 1.1 over ${data.vocabulary} words, ${data.distinct} distinct)`);
  const ref = referenceSumsStrings(data.words, data.values);
  const c: Case<string> = { id, n, ref, env };
  const impls: ImplResult[] = [];
  let kernelOrder: number[] | undefined; // the kernel table's word ids in slot order

  impls.push(...await kernelImpls(env, ['kernel', 'kernel+export'], async (k, mem) => {
    const op = mem.copyIn(data.offsets);
    const bp = mem.copyIn(data.bytes);
    const vp = mem.copyIn(data.values);
    const ids = mem.alloc(n * 4);
    const keysOut = mem.alloc(n * 4);
    const sumsOut = mem.alloc(n * 8);
    const dict = k.dictNew(data.vocabulary);
    const t = k.aggNew(KeyKind.U32, ValueKind.F64, Agg.SUM, data.distinct);
    const decode = (size: number): Map<string, number> => {
      const byId = exportSums(mem, t, size);
      kernelOrder = [...byId.keys()];
      const dec = new TextDecoder();
      const m = new Map<string, number>();
      for (const [wid, s] of byId) {
        // copy out: a shared buffer cannot be decoded in place
        m.set(dec.decode(mem.bytes(k.dictBytesOf(dict, wid), k.dictLengthOf(dict, wid)).slice()), s);
      }
      return m;
    };
    try {
      return [
        await guarded('kernel', async () => {
          const r = ok('kernel', n, await measure(`${id} kernel`, () => {
            k.dictEncode(dict, op, bp, n, ids);
            k.aggClear(t);
            k.aggAdd(t, ids, vp, n);
          }, fast));
          return verify(r, decode(k.aggSize(t)), ref);
        }),
        await guarded('kernel+export', async () => {
          const r = ok('kernel+export', n, await measure(`${id} kernel+export`, () => {
            k.dictEncode(dict, op, bp, n, ids);
            k.aggClear(t);
            k.aggAdd(t, ids, vp, n);
            k.aggExport(t, keysOut, 0, sumsOut, 0, 0, 0);
          }, fast));
          return verify(r, decode(k.aggSize(t)), ref);
        }),
      ];
    } finally {
      k.aggFree(t);
      k.dictFree(dict);
    }
  }));

  impls.push(await jsMapImpl(c, () => mapSumStrings(data.words, data.values)));

  impls.push(await guarded('js-oa', async () => {
    const dict = new StringDictionary(data.vocabulary);
    const t = new U32SumTable(data.distinct);
    const ids = new Uint32Array(n);
    const r = ok('js-oa', n, await measure(`${id} js-oa`, () => {
      dict.encode(data.offsets, data.bytes, n, ids);
      t.clear();
      t.add(ids, data.values);
    }, fast));
    const m = new Map<string, number>();
    for (const [wid, s] of t.toMap()) m.set(dict.stringOf(wid), s);
    return mirror(verify(r, m, ref), t.export().keys, kernelOrder);
  }));

  impls.push(await nativeImpl(c, { kind: 'words', offsets: data.offsets, bytes: data.bytes, values: data.values }, [data.distinct, data.vocabulary], (result) => {
    const m = new Map<string, number>();
    result.keys.forEach((wid, i) => m.set(result.dictionary![wid]!, result.sums[i]!));
    return m;
  }, kernelOrder));

  impls.push(...await duckdbImpls(c, 't_words', data.words, data.values));
  impls.push(await arqueroImpl(c, data.words, data.values));
  impls.push(await guarded('rxjs', () => rxjsCase(`${id} rxjs`, n, data.words, data.values, data.distinct, ref, env)));

  return { id, title: `words, Zipf 1.1, ${data.vocabulary / 1000}K vocabulary`, family: 'words', rows: n, params: { vocabulary: data.vocabulary, distinct: data.distinct, bytes: data.bytes.length }, impls };
}

// ---------------------------------------------------------------- sliding window

async function windowCase(env: Env): Promise<CaseResult> {
  const data = u32Batch(ROWS, WINDOW_KEYS, 'uniform', 60_010);
  const n = data.keys.length;
  const id = 'window';
  log(`\nsliding window: ${WINDOW_PANES} panes, ${WINDOW_KEYS} keys, ${n}-row batch per pane (winAdd + winSlide)`);
  const ref = referenceSumsU32(data.keys, data.values);
  const times = (m: Map<number, number>, f: number) => new Map([...m].map(([k, v]) => [k, v * f]));
  /** Checks a 2-pane window after three batches (the first slid out), and the steady state's sums. */
  const verifyWindow = (r: ImplResult, check: Map<number, number>, steady: Map<number, number>): ImplResult => {
    // after a slide the window holds numPanes - 1 full panes and the empty current one
    const c = compareSums(steady, times(ref, WINDOW_PANES - 1));
    verify(r, check, times(ref, 2));
    if (r.verified && !c.ok) {
      r.verified = false;
      r.verifyNote = `steady state: ${c.why}`;
    }
    return r;
  };
  const impls: ImplResult[] = [];

  impls.push(...await kernelImpls(env, ['kernel'], async (k, mem) => {
    const kp = mem.copyIn(data.keys);
    const vp = mem.copyIn(data.values);
    return [await guarded('kernel', async () => {
      // correctness first, on a 2-pane window: add A, slide, add B, slide (A leaves), add C → 2 panes' worth
      const small = k.winNew(KeyKind.U32, ValueKind.F64, Agg.SUM | Agg.COUNT, 2, WINDOW_KEYS);
      let check: Map<number, number>;
      try {
        for (let i = 0; i < 3; i++) {
          if (i > 0) k.winSlide(small);
          k.winAdd(small, kp, vp, n);
        }
        check = exportSums(mem, small, k.winSize(small), true);
      } finally {
        k.winFree(small);
      }
      const win = k.winNew(KeyKind.U32, ValueKind.F64, Agg.SUM | Agg.COUNT, WINDOW_PANES, WINDOW_KEYS);
      try {
        for (let i = 0; i < WINDOW_PANES; i++) {
          k.winAdd(win, kp, vp, n);
          k.winSlide(win);
        } // steady state: every slide evicts a full pane
        const r = ok('kernel', n, await measure(`${id} kernel`, () => {
          k.winAdd(win, kp, vp, n);
          k.winSlide(win);
        }, fast));
        return verifyWindow(r, check, exportSums(mem, win, k.winSize(win), true));
      } finally {
        k.winFree(win);
      }
    })];
  }));

  impls.push(await guarded('js-map-ring', async () => {
    const small = new MapRingWindow(2);
    for (let i = 0; i < 3; i++) {
      if (i > 0) small.slide();
      small.add(data.keys, data.values);
    }
    const win = new MapRingWindow(WINDOW_PANES);
    for (let i = 0; i < WINDOW_PANES; i++) {
      win.add(data.keys, data.values);
      win.slide();
    }
    const r = ok('js-map-ring', n, await measure(`${id} js-map-ring`, () => {
      win.add(data.keys, data.values);
      win.slide();
    }, fast));
    return verifyWindow(r, small.totals(), win.totals());
  }));

  return {
    id,
    title: `sliding window, ${WINDOW_PANES} panes, ${WINDOW_KEYS / 1000}K keys`,
    family: 'window',
    rows: n,
    params: { panes: WINDOW_PANES, keys: WINDOW_KEYS, distribution: 'uniform', batchRows: n },
    impls,
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const machine = machineInfo();
  log(`Sluice kernel benchmark${QUICK ? ' (--quick: development sizes, nothing written)' : ''}`);
  log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);

  const kernel = await loadKernel();
  log(kernel.ok ? `kernel: ${kernel.loader}` : `kernel: PENDING — ${kernel.reason}`);

  let native: NativeReference | { reason: string };
  try {
    native = NativeReference.build();
    log(`native reference: ${native.compiler}: ${native.command}`);
  } catch (e) {
    native = { reason: `C reference not built: ${(e as Error).message}` };
    log(`native reference: SKIPPED — ${native.reason}`);
  }

  const duck = await DuckDBPeer.open();
  const duckThreads = await duck.threads();
  const rx = new RxjsRunner();
  const env: Env = { kernel, native, duck, rx };

  const cases: CaseResult[] = [];
  let dstream: DStreamReport | undefined;
  try {
    if (want('u32')) {
      for (const K of CARDINALITIES) {
        for (const dist of DISTRIBUTIONS) {
          const data = u32Batch(ROWS, K, dist, K + (dist === 'zipf' ? 1 : 0));
          const label = K >= 1e6 ? `${K / 1e6}M` : `${K / 1e3}K`;
          cases.push(await u32Case(data, `u32-${label}-${dist}`, `u32 keys, K = ${label}, ${dist === 'zipf' ? 'Zipf 1.1' : 'uniform'}`, env));
        }
      }
      const dense = u32Batch(ROWS, 1_000, 'uniform', 1_002, { keySpace: 'dense' as KeySpace });
      cases.push(await u32Case(dense, 'u32-1K-uniform-dense', 'u32 keys, K = 1K, uniform, dense ids 0..K−1', env,
        'dense small-range keys: DuckDB answers with its perfect-hash aggregate (key range ≤ 2^perfect_ht_threshold); no target is evaluated here'));
    }
    if (want('words')) cases.push(await wordsCase(wordBatch(ROWS, VOCABULARY, 4_242), env));
    if (want('window')) cases.push(await windowCase(env));
    if (want('dstream')) {
      log('\nfull DStream API');
      dstream = await runDStreamIsolated({ quick: QUICK, budget: fast, log, timeoutMs: 180_000 });
    }
  } finally {
    duck.close();
    await rx.close();
    if (native instanceof NativeReference) native.dispose();
  }

  const report: Report = {
    benchmark: 'sluice kernels',
    command: process.env.npm_lifecycle_event === 'bench:kernels' ? `npm run bench:kernels${argv.length ? ` -- ${argv.join(' ')}` : ''}` : `tsx bench/kernels.bench.ts ${argv.join(' ')}`.trim(),
    script: process.env.npm_lifecycle_script,
    date: started.toISOString(),
    durationSec: Math.round((performance.now() - t0) / 100) / 10,
    machine: { ...machine, gcc: native instanceof NativeReference ? native.compiler : undefined },
    kernel: kernel.ok
      ? { status: 'measured', loader: kernel.loader, wasm: `build/release.wasm sha256:${createHash('sha256').update(readFileSync(RELEASE_WASM)).digest('hex').slice(0, 16)}` }
      : { status: 'pending', reason: kernel.reason },
    git: (() => {
      const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
      const dirty = spawnSync('git', ['status', '--porcelain', '--', 'assembly', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
      return head ? `${head}${dirty ? ' (assembly/ or src/ modified)' : ''}` : undefined;
    })(),
    method: {
      rowsPerBatch: ROWS,
      throughput: 'rows / median iteration time (tinybench; the C reference times its own loop, same statistics)',
      budgets: { fast, arquero: slow, rxjs: 'SLOWEST (2 iterations after 1 warmup), one pass from 20K groups', rxjsCapMs: RXJS_CAP_MS },
      duckdbThreads: duckThreads,
      cflags: native instanceof NativeReference ? native.command : undefined,
    },
    cases,
    dstream,
    targets: [],
  };
  report.targets = evaluateTargets(report);
  const md = renderMarkdown(report);
  process.stdout.write(`\n${md}\n`);
  if (!QUICK && !only) {
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kernels.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(dir, 'kernels.md'), `${md}\n`);
    log(`\nwrote bench/results/kernels.json and bench/results/kernels.md (${report.durationSec} s)`);
  } else {
    log(`\n(${QUICK ? '--quick' : '--only'}: results not written) ${report.durationSec} s`);
  }
}

await main();
