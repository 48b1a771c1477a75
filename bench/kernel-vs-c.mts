// Quick kernel ÷ C check on the benchmark's u32 cases (not a test, writes nothing):
//   npx tsx bench/kernel-vs-c.mts [wasm ...]      (default build/release.wasm)
// For kernel experiments: each round times every given WASM build and the C reference on the
// same batch, alternating, so drift on a shared machine hits them alike. Prints M rows/s as the
// median of the rounds' medians, and each build ÷ C. CFLAGS replaces the gcc flags, CFLAGS_EXTRA adds
// some (e.g. -DTOUCH=1, the kernel's touch store); ROUNDS and ITERS tune the effort; CASES filters by case id substring.
import { readFileSync } from 'node:fs';
import { u32Batch, type Distribution } from './lib/data.js';
import { CFLAGS, NativeReference } from './peers/native.js';
import { loadKernels } from '../src/kernels/wasm.js';

const ROWS = 1_000_000;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ITERS = Number(process.env.ITERS ?? 25);
const builds = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['build/release.wasm'];
const caseFilter = process.env.CASES ?? '';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const kernels = await Promise.all(builds.map((path) => loadKernels({ module: new WebAssembly.Module(readFileSync(path)), initialPages: 2048 })));
const native = NativeReference.build([...(process.env.CFLAGS ?? CFLAGS.join(' ')).split(' '), ...(process.env.CFLAGS_EXTRA ?? '').split(' ').filter(Boolean)]);

const rows: string[] = [];
for (const K of [1_000, 100_000, 1_000_000]) {
  for (const dist of ['uniform', 'zipf'] as Distribution[]) {
    const id = `${K} ${dist}`;
    if (!id.includes(caseFilter)) continue;
    const data = u32Batch(ROWS, K, dist, K + (dist === 'zipf' ? 1 : 0));
    const file = native.writeData(`k${K}${dist}`, { kind: 'u32', keys: data.keys, values: data.values });
    const tables = kernels.map((k) => {
      const kp = k.copyIn(data.keys);
      const vp = k.copyIn(data.values);
      return { k, kp, vp, t: k.aggNew(0, 0, 2, data.distinct) };
    });
    const perBuild: number[][] = builds.map(() => []);
    const c: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      tables.forEach(({ k, kp, vp, t }, b) => {
        const times: number[] = [];
        for (let i = 0; i < ITERS + 5; i++) {
          const t0 = performance.now();
          k.aggClear(t);
          k.aggAdd(t, kp, vp, ROWS);
          if (i >= 5) times.push(performance.now() - t0);
        }
        perBuild[b]!.push(ROWS / median(times) / 1e3);
      });
      const run = native.run('u32', file, data.distinct, { minIters: ITERS, minMs: 0, warmup: 5 }).run;
      c.push(ROWS / median(run.samplesMs) / 1e3);
    }
    const cm = median(c);
    const cells = perBuild.map((xs) => `${median(xs).toFixed(0).padStart(5)} (${(median(xs) / cm).toFixed(2)}×)`);
    rows.push(`${id.padEnd(16)} C ${cm.toFixed(0).padStart(5)}   ${cells.join('   ')}`);
    console.log(rows[rows.length - 1]);
    for (const { k, kp, vp, t } of tables) {
      k.aggFree(t);
      k.free(kp);
      k.free(vp);
    }
  }
}
native.dispose();
