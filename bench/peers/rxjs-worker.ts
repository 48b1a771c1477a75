/**
 * Runs the RxJS peer (rxjs.ts) on its own thread, timed by tinybench there, so that the
 * benchmark can cap its time: RxJS's cost grows quadratically with the number of groups (each
 * completed group's inner subscription is spliced out of an array), and at ~10^6 groups one pass
 * takes minutes.
 */
import { parentPort } from 'node:worker_threads';
import { measure, type Budget } from '../lib/measure.js';
import { rxjsSum } from './rxjs.js';

export interface RxjsJob {
  name: string;
  keys: Uint32Array | string[];
  values: Float64Array;
  budget: Budget;
}

parentPort!.on('message', async (job: RxjsJob) => {
  try {
    let last: [unknown, number][] = [];
    const stats = await measure(job.name, async () => {
      last = await rxjsSum<unknown>(job.keys, job.values);
    }, job.budget, { async: true });
    parentPort!.postMessage({ ok: true, stats, keys: last.map((e) => e[0]), sums: Float64Array.from(last, (e) => e[1]) });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
  }
});
