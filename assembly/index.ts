// The exported ABI of Sluice's WebAssembly kernels (src/kernels/abi.ts), nothing else.
export { heapBase, heapInit, heapReady, heapOwnerBase, alloc, free, heapUsed } from './alloc';
export { fmix32 as hashU32, hashU32Batch, xxh32, hashUtf8Batch } from './hash';
export { dictNew, dictEncode, dictSize, dictBytesOf, dictLengthOf, dictFree } from './dictionary';
export { aggNew, aggAdd, aggMerge, aggSize, aggExport, aggClear, aggFree } from './reduce-by-key';
export { winNew, winAdd, winSlide, winSize, winExport, winFree } from './window';
export { partition } from './partition';
