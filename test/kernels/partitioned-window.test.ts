// A kernel window's state split by key into partitions, each owned by one task at a time, run
// on the worker pool: the same results as one window, and a worker failure either recovered
// (the task never started) or reported for good (it stopped half way), never silently wrong.
import { afterEach, describe, expect, it } from 'vitest';
import type { PairColumns } from '../../src/batch/columns.js';
import { KernelEngine } from '../../src/kernels/engine.js';
import { PaneWindow } from '../../src/kernels/pane-window.js';
import { WindowStateLostError } from '../../src/index.js';
import type { KernelPool } from '../../src/kernels/pool.js';
import { max, min, stats, sum, type Reducer } from '../../src/reducers.js';
import { TASK_STARTED, type KernelTask } from '../../src/worker/messages.js';
import { keyAt, valueAt } from '../../src/batch/columns.js';

const engines: KernelEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

async function engine(workers: number): Promise<KernelEngine> {
  const e = await KernelEngine.create({ workers });
  engines.push(e);
  return e;
}

/** A batch of n rows over `distinct` u32 keys, integer-valued f64 values (exact sums in any order). */
function batch(n: number, distinct: number, seed: number): PairColumns {
  const keys = new Uint32Array(n);
  const values = new Float64Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    keys[i] = Math.imul(x % distinct, 0x9e3779b1) >>> 0;
    values[i] = (x >>> 20) - 2048;
  }
  return { length: n, keys: { kind: 'u32', data: keys }, values: { kind: 'f64', data: values } };
}

function asMap(c: PairColumns | undefined): Map<unknown, unknown> {
  const m = new Map<unknown, unknown>();
  if (!c) return m;
  for (let i = 0; i < c.length; i++) m.set(keyAt(c.keys, i), valueAt(c.values, i) ?? statsAt(c, i));
  return m;
}

function statsAt(c: PairColumns, i: number): unknown {
  const v = c.values;
  return v.kind === 'stats' ? [v.count[i], v.mean[i], v.min[i], v.max[i], v.stddev[i]] : undefined;
}

/** Runs the same batches and slides through a window; returns the result after each step. */
async function drive(win: PaneWindow, steps: readonly (PairColumns | 'slide')[]): Promise<Map<unknown, unknown>[]> {
  const out: Map<unknown, unknown>[] = [];
  for (const step of steps) {
    if (step === 'slide') win.slide();
    else await win.add([step]);
    out.push(asMap(await win.result()));
  }
  return out;
}

const BIG = 1 << 20; // a batch worth splitting: a few milliseconds of kernel work

describe('a partitioned kernel window', () => {
  it.each([
    ['sum', sum],
    ['min', min],
    ['max', max],
    ['stats', stats],
  ] as [string, Reducer<unknown, unknown>][])('%s: two partitions on the workers give one window\'s results', async (_name, reducer) => {
    const steps: (PairColumns | 'slide')[] = [batch(BIG, 50_000, 1), 'slide', batch(BIG, 50_000, 2), batch(1000, 50_000, 3), 'slide', 'slide', batch(BIG, 80_000, 4), 'slide', 'slide', 'slide'];
    const single = await engine(1);
    const pooled = await engine(2);
    const one = new PaneWindow(single, reducer, 3);
    const two = new PaneWindow(pooled, reducer, 3);
    expect(one.partitions).toBe(1);
    expect(two.partitions).toBe(2);
    const expected = await drive(one, steps);
    const actual = await drive(two, steps);
    for (let i = 0; i < steps.length; i++) {
      if (reducer === stats) {
        // mean and stddev come from sums: exact here (integer values), so compare all five.
        expect(actual[i]!.size, `step ${i}`).toBe(expected[i]!.size);
      }
      expect(actual[i], `step ${i}`).toEqual(expected[i]);
    }
    expect(actual.at(-1)!.size).toBe(0); // everything slid out
    expect(pooled.workerUtilization).toBeDefined(); // the workers ran the big batches
  }, 60_000);

  /** An engine whose pool is a stub: partition tasks run here, window tasks fail as told. */
  async function stubbed(failure: 'never-started' | 'half-way') {
    const real = await engine(0);
    const k = real.kernels;
    const runs: KernelTask[] = [];
    const pool = {
      size: 1,
      broken: false,
      async run(task: KernelTask): Promise<void> {
        runs.push(task);
        if (task.op === 'partition') {
          k.partition(task.keyKind, task.valueKind, task.keys, task.values, task.n, task.parts, task.keysOut, task.valuesOut, task.offsets);
          return;
        }
        if (task.op === 'window' && failure === 'half-way') Atomics.store(new Uint32Array(k.memory.buffer), task.status >>> 2, TASK_STARTED);
        throw new Error('the worker thread died');
      },
    } as unknown as KernelPool;
    const stub = { kernels: k, threads: 2, statePartitions: 2, poolFor: (shares: number) => (shares > 1 ? pool : undefined), track: () => undefined } as unknown as KernelEngine;
    return { stub, runs, reference: await engine(1) };
  }

  it('a window task that a worker never started runs on the calling thread: the results are exact', async () => {
    const { stub, runs, reference } = await stubbed('never-started');
    const steps: (PairColumns | 'slide')[] = [batch(BIG, 20_000, 7), 'slide', batch(BIG, 20_000, 8)];
    const actual = await drive(new PaneWindow(stub, sum, 2), steps);
    const expected = await drive(new PaneWindow(reference, sum, 2), steps);
    expect(runs.some((t) => t.op === 'window')).toBe(true);
    expect(actual).toEqual(expected);
  }, 60_000);

  it('a window task that failed half way loses the window for good, with a clear error, instead of wrong results', async () => {
    const { stub } = await stubbed('half-way');
    const win = new PaneWindow(stub, sum, 2);
    await expect(win.add([batch(BIG, 20_000, 9)])).rejects.toThrow(WindowStateLostError);
    await expect(win.add([batch(10, 20_000, 10)])).rejects.toThrow(/failed half way through partition 1.*restart the stream/);
    await expect(win.result()).rejects.toThrow(WindowStateLostError);
  }, 60_000);
});
