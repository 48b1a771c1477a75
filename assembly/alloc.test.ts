// Unit tests of the shared allocator (assembly/alloc.ts) and of the loader's memory handling
// (src/kernels/wasm.ts): alignment, no overlap, accounting, growth, views after growth,
// additional instances on one memory, and concurrent use from two worker threads.
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { attachKernels, compileKernels, createKernelMemory, instantiateKernels, loadKernels } from '../src/kernels/wasm.js';
import { TARGETS, prng } from './test-helpers.js';

interface Block {
  ptr: number;
  size: number;
}

function expectNoOverlap(blocks: Block[]): void {
  const sorted = [...blocks].sort((a, b) => a.ptr - b.ptr);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    expect(prev.ptr + prev.size, `block at ${prev.ptr} (+${prev.size}) overlaps ${sorted[i]!.ptr}`).toBeLessThanOrEqual(sorted[i]!.ptr);
  }
}

describe.each(TARGETS)('shared allocator (%s build)', (target) => {
  test('blocks are 64-byte aligned, disjoint, reused after free, and accounted in heapUsed', async () => {
    const k = await loadKernels({ target, initialPages: 8 });
    expect(k.heapUsed()).toBe(0);
    expect(k.heapBase()).toBeGreaterThan(1024); // static data starts at memoryBase 1024
    const r = prng(1);
    const live: Block[] = [];
    for (let it = 0; it < 4000; it++) {
      if (live.length > 0 && r() < 0.4) {
        const b = live.splice(Math.floor(r() * live.length), 1)[0]!;
        k.free(b.ptr);
      } else {
        const size = r() < 0.1 ? Math.floor(r() * 100_000) : Math.floor(r() * 700);
        const ptr = k.alloc(size);
        expect(ptr).not.toBe(0);
        expect(ptr % 64).toBe(0);
        expect(ptr).toBeGreaterThanOrEqual(k.heapBase());
        live.push({ ptr, size: Math.max(size, 1) });
      }
    }
    expectNoOverlap(live);
    expect(k.heapUsed()).toBeGreaterThanOrEqual(live.reduce((a, b) => a + b.size, 0));
    // Header + size-class rounding is at most 64 bytes + 25% per block.
    expect(k.heapUsed()).toBeLessThanOrEqual(live.reduce((a, b) => a + 64 + Math.max(64, Math.ceil(b.size * 1.25)), 0));
    const again = k.alloc(500);
    k.free(again);
    expect(k.alloc(500)).toBe(again); // a freed block of the class is reused
    k.free(again);
    for (const b of live) k.free(b.ptr);
    expect(k.heapUsed()).toBe(0);
  });

  test('alloc(0) gives a block, impossible sizes give 0, a double free traps', async () => {
    const k = await loadKernels({ target, initialPages: 4, maximumPages: 64 });
    const p = k.alloc(0);
    expect(p).not.toBe(0);
    expect(k.alloc(0xf0000000)).toBe(0); // over the largest size class
    expect(k.alloc(8 << 20)).toBe(0); // more than this memory's 4 MiB maximum
    k.free(p);
    expect(() => k.free(p)).toThrow(/not a live block/);
    expect(() => k.free(p + 64)).toThrow(/not a live block/);
    k.free(0); // like free(NULL)
  });

  test('memory grows on demand; the views are re-created, old views keep the old length', async () => {
    const k = await loadKernels({ target, initialPages: 4 });
    const before = k.memory.buffer.byteLength;
    const oldView = k.u8;
    expect(oldView.length).toBe(before);
    const big = k.alloc(10 << 20);
    expect(big).not.toBe(0);
    expect(k.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(oldView.length).toBe(before); // a stale view: shared memory keeps the old SAB's length
    expect(k.u8.length).toBe(k.memory.buffer.byteLength);
    expect(k.f64.length).toBe(k.memory.buffer.byteLength / 8);
    // Writes through the fresh view land where the kernels read them.
    const last = big + (10 << 20) - 64;
    k.f64[last / 8] = 12.5;
    expect(k.copyOut(last, 1, Float64Array)[0]).toBe(12.5);
    k.u32[last / 4] = 0xdeadbeef;
    expect(k.view(Uint32Array, last, 1)[0]).toBe(0xdeadbeef);
    k.free(big);
  });

  test('copyIn / copyOut / allocArray round-trip every element type, including unaligned pointers', async () => {
    const k = await loadKernels({ target, initialPages: 4 });
    const f = Float64Array.of(1.5, -0, NaN, Infinity, 5e-324);
    const p = k.copyIn(f);
    const back = k.copyOut(p, f.length, Float64Array);
    f.forEach((x, i) => expect(Object.is(back[i], x)).toBe(true));
    const big = BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n, 0n);
    const q = k.copyIn(big);
    expect(k.copyOut(q, 3, BigInt64Array)).toEqual(big);
    expect(k.copyOut(p + 1, 2, Uint8Array)).toEqual(new Uint8Array(f.buffer, 1, 2)); // unaligned
    const a = k.allocArray(Uint32Array, 1000);
    expect(a % 64).toBe(0);
    k.view(Uint32Array, a, 1000).fill(7);
    expect(k.copyOut(a, 1000, Uint32Array).every((x) => x === 7)).toBe(true);
    k.free(p);
    k.free(q);
    k.free(a);
  });

  test('an attached instance shares the heap without re-initialising it', async () => {
    const k = await loadKernels({ target, initialPages: 4 });
    const held = k.alloc(1000);
    k.u8.fill(0xab, held, held + 1000);
    const used = k.heapUsed();
    const k2 = await attachKernels(k.memory, target);
    expect(k2.heapUsed()).toBe(used); // same control block, not a fresh heap
    const p2 = k2.alloc(1000);
    expect(p2 >= held + 1000 || p2 + 1000 <= held).toBe(true);
    expect(k.u8[held + 999]).toBe(0xab); // instantiating did not clobber live blocks
    k.free(p2); // freed through the other instance
    expect(k2.heapUsed()).toBe(used);
    k2.free(held);
  });

  test('attaching needs an initialised heap of the same build', async () => {
    const fresh = createKernelMemory(4, 64);
    await expect(attachKernels(fresh, target)).rejects.toThrow(/no kernel heap/);
    const k = await loadKernels({ target, memory: fresh });
    // loadKernels on an initialised memory joins it rather than re-initialising.
    const held = k.alloc(100);
    const k3 = await loadKernels({ target, memory: fresh });
    expect(k3.heapUsed()).toBe(k.heapUsed());
    k.free(held);
    // A build with another heap base (other static data: the debug build has its checks'
    // messages) must be refused before its data segments overwrite live blocks.
    const other = target === 'release' ? 'debug' : 'release';
    if (compileKernels(other) && (await loadKernels({ target: other, initialPages: 4, maximumPages: 8 })).heapBase() !== k.heapBase()) {
      await expect(attachKernels(fresh, other)).rejects.toThrow(/another kernel build/);
    }
    // The same check, simulated via the root's record whatever the builds' layouts.
    const root = new Uint32Array(fresh.buffer, 512, 3);
    const base = root[2]!;
    root[2] = base + 64;
    await expect(attachKernels(fresh, target)).rejects.toThrow(/another kernel build/);
    root[2] = base;
  });

  test('the module is compiled once per process and build', () => {
    expect(compileKernels(target)).toBe(compileKernels({ target }));
    expect(compileKernels('release')).not.toBe(compileKernels('debug'));
    expect(() => compileKernels({ wasmUrl: new URL('./missing.wasm', import.meta.url) })).toThrow(/not built/);
  });

  test('two worker threads allocate and free concurrently without overlapping blocks', async () => {
    // Small initial memory: the workers also race on memory.grow.
    const memory = createKernelMemory(4);
    const module = compileKernels(target);
    const k = instantiateKernels(module, memory, { target, initHeap: true });
    const start = new Int32Array(new SharedArrayBuffer(4));
    const iterations = target === 'release' ? 20_000 : 6_000;
    const run = (id: number) =>
      new Promise<{ live: Block[]; corrupted: number; misaligned: number }>((resolve, reject) => {
        const script = new URL('./alloc.worker.ts', import.meta.url).href;
        const w = new Worker(new URL('./test-worker.mjs', import.meta.url), {
          workerData: { script, memory, module, target, id, iterations, start },
        });
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
      });
    const results = await Promise.all([run(1), run(2)]);
    for (const r of results) {
      expect(r.corrupted).toBe(0);
      expect(r.misaligned).toBe(0);
    }
    const all = results.flatMap((r) => r.live);
    expect(all.length).toBeGreaterThan(100);
    expectNoOverlap(all);
    expect(k.heapUsed()).toBeGreaterThanOrEqual(all.reduce((a, b) => a + b.size, 0));
    for (const b of all) k.free(b.ptr);
    expect(k.heapUsed()).toBe(0);
  }, 30_000);
});
