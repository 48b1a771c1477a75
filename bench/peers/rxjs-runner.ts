/** The main-thread side of rxjs-worker.ts: one job at a time, ended (and the worker replaced) at a time cap. */
import { Worker } from 'node:worker_threads';
import type { Budget, Stats } from '../lib/measure.js';
import type { RxjsJob } from './rxjs-worker.js';

export type RxjsOutcome<K> =
  | { kind: 'done'; stats: Stats; result: Map<K, number> }
  | { kind: 'timeout'; capMs: number }
  | { kind: 'error'; error: string };

export class RxjsRunner {
  private worker: Worker | undefined;

  private spawn(): Worker {
    // rxjs-worker.mjs registers tsx in the worker, then imports rxjs-worker.ts
    this.worker ??= new Worker(new URL('./rxjs-worker.mjs', import.meta.url));
    return this.worker;
  }

  run<K>(name: string, keys: Uint32Array | string[], values: Float64Array, budget: Budget, capMs: number): Promise<RxjsOutcome<K>> {
    const w = this.spawn();
    return new Promise((resolve) => {
      const done = (o: RxjsOutcome<K>) => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        resolve(o);
      };
      const timer = setTimeout(() => {
        this.worker = undefined;
        void w.terminate();
        done({ kind: 'timeout', capMs });
      }, capMs);
      const onMessage = (m: { ok: true; stats: Stats; keys: K[]; sums: Float64Array } | { ok: false; error: string }) => {
        if (!m.ok) return done({ kind: 'error', error: m.error });
        const result = new Map<K, number>();
        m.keys.forEach((k, i) => result.set(k, m.sums[i]!));
        done({ kind: 'done', stats: m.stats, result });
      };
      const onError = (e: Error) => {
        this.worker = undefined;
        done({ kind: 'error', error: e.stack ?? String(e) });
      };
      w.on('message', onMessage);
      w.on('error', onError);
      const job: RxjsJob = { name, keys, values, budget };
      w.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
