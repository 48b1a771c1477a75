// Worker of assembly/alloc.test.ts: joins the heap of a shared memory (attachKernels), then
// allocates, fills, checks and frees blocks at random while another worker does the same. Each
// block is filled with a byte pattern unique to (worker, block); a block that another thread
// also owns gets its pattern overwritten, which the check catches.
import { parentPort, workerData } from 'node:worker_threads';
import { attachKernels, type KernelTarget } from '../src/kernels/wasm.js';

interface Data {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  target: KernelTarget;
  id: number;
  iterations: number;
  start: Int32Array; // a SharedArrayBuffer flag: both workers start together
}

const data = workerData as Data;
const k = await attachKernels(data.memory, { module: data.module, target: data.target });

let seed = data.id * 7919 + 1;
const rand = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 4294967296;
};

const live: { ptr: number; size: number; tag: number }[] = [];
let corrupted = 0;
let misaligned = 0;
let serial = 0;

function check(b: { ptr: number; size: number; tag: number }): void {
  const u8 = k.u8; // fresh: the other worker may have grown the memory
  for (let i = 0; i < b.size; i += 61) if (u8[b.ptr + i] !== ((b.tag + i) & 0xff)) corrupted++;
  if (u8[b.ptr + b.size - 1] !== ((b.tag + b.size - 1) & 0xff)) corrupted++;
}

Atomics.add(data.start, 0, 1);
while (Atomics.load(data.start, 0) < 2) {
  // wait for the other worker, so the two really run at once
}

for (let it = 0; it < data.iterations; it++) {
  if (live.length > 0 && rand() < 0.45) {
    const b = live.splice(Math.floor(rand() * live.length), 1)[0]!;
    check(b);
    k.free(b.ptr);
    continue;
  }
  const size = rand() < 0.05 ? 20000 + Math.floor(rand() * 200000) : 1 + Math.floor(rand() * 3000);
  const ptr = k.alloc(size);
  if (ptr === 0) throw new Error('alloc returned 0');
  if (ptr % 64 !== 0) misaligned++;
  const tag = (data.id * 101 + serial++ * 13) & 0xff;
  const u8 = k.u8;
  for (let i = 0; i < size; i++) u8[ptr + i] = (tag + i) & 0xff;
  live.push({ ptr, size, tag });
}
for (const b of live) check(b);

parentPort!.postMessage({ live: live.map(({ ptr, size }) => ({ ptr, size })), corrupted, misaligned });
