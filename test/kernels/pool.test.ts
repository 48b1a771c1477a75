// The kernel worker pool: tasks run on workers over the shared memory, and a failing task is a
// clear, catchable error, never a crash of the process.
import { afterEach, describe, expect, it } from 'vitest';
import { KeyKind, ValueKind, Agg } from '../../src/kernels/abi.js';
import { KernelEngine } from '../../src/kernels/engine.js';
import { copyIn, copyOut } from '../../src/kernels/transfer.js';
import { KernelPool } from '../../src/kernels/pool.js';

let engine: KernelEngine | undefined;
let pool: KernelPool | undefined;
afterEach(async () => {
  await pool?.destroy();
  await engine?.close();
  pool = engine = undefined;
});

describe('KernelPool', () => {
  it('workers aggregate into tables in the shared memory, visible to the main thread', async () => {
    engine = await KernelEngine.create({ workers: 0 });
    const k = engine.kernels;
    pool = new KernelPool(2, k.memory, 'release');
    const tables = [k.aggNew(KeyKind.U32, ValueKind.F64, Agg.SUM | Agg.COUNT, 16), k.aggNew(KeyKind.U32, ValueKind.F64, Agg.SUM | Agg.COUNT, 16)];
    const keys = copyIn(k, new Uint32Array([1, 2, 1, 3, 1, 2]));
    const values = copyIn(k, new Float64Array([1, 2, 3, 4, 5, 6]));
    await Promise.all([
      pool.run({ op: 'aggAdd', table: tables[0]!, keys, values, n: 3 }),
      pool.run({ op: 'aggAdd', table: tables[1]!, keys: keys + 12, values: values + 24, n: 3 }),
    ]);
    k.aggMerge(tables[0]!, tables[1]!);
    const n = k.aggSize(tables[0]!);
    const outKeys = k.alloc(n * 4);
    const outSums = k.alloc(n * 8);
    k.aggExport(tables[0]!, outKeys, 0, outSums, 0, 0, 0);
    const ks = copyOut(k, outKeys, n, Uint32Array);
    const ss = copyOut(k, outSums, n, Float64Array);
    expect(new Map(Array.from(ks, (key, i) => [key, ss[i]]))).toEqual(new Map([[1, 9], [2, 8], [3, 4]]));
  });

  it('workers that cannot start (another kernel build on this memory) fail their tasks clearly, without ending the process', async () => {
    engine = await KernelEngine.create({ workers: 0, target: 'release' });
    pool = new KernelPool(2, engine.kernels.memory, 'debug');
    await expect(pool.run({ op: 'aggAdd', table: 0, keys: 0, values: 0, n: 0 })).rejects.toThrow(/kernel worker failed.*another kernel build/);
  });

  it('a task that traps in the kernel rejects with a clear error and the pool keeps working', async () => {
    engine = await KernelEngine.create({ workers: 0, target: 'debug' });
    const k = engine.kernels;
    pool = new KernelPool(2, k.memory, 'debug');
    // Table address 0 is not a table: the kernel traps (its checks are on in the debug build).
    await expect(pool.run({ op: 'aggAdd', table: 0, keys: 0, values: 0, n: 1 })).rejects.toThrow(/A kernel worker failed running aggAdd/);
    const table = k.aggNew(KeyKind.U32, ValueKind.F64, Agg.COUNT, 16);
    await pool.run({ op: 'aggAdd', table, keys: copyIn(k, new Uint32Array([5, 5])), values: 0, n: 2 });
    expect(k.aggSize(table)).toBe(1);
    expect(pool.broken).toBe(false);
  });
});
