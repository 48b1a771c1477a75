// The shared allocator: every instance of the module (one per thread) runs on the one shared
// memory, so the allocator keeps no state in globals. Its state lives in a control block in
// that memory, behind a spin lock taken with atomic.cmpxchg:
//
//   ROOT (fixed, below ASC_MEMORY_BASE, so no data segment ever overwrites it)
//     +0  u32 magic        ROOT_MAGIC once heapInit has run
//     +4  u32 control      address of the control block
//     +8  u32 heap base    __heap_base of the build that initialised the heap
//   control block (64-byte aligned, CB_SIZE bytes, at the address given to heapInit)
//     +0  u32 lock         0 free, 1 held
//     +8  u64 bump         first never-allocated byte (64-byte aligned)
//     +16 u64 used         bytes in live blocks, headers included
//     +64 u32[NUM_CLASSES] free-list heads, one per size class (0 = empty)
//   block = 64-byte header + payload; the payload is what alloc returns (64-byte aligned)
//     +0  u32 class        size-class index
//     +4  u32 state        BLOCK_LIVE or BLOCK_FREE (catches double frees and wild pointers)
//     +8  u32 next         next block of the class's free list (when free)
//
// Size classes: a request is rounded up to m * 2^e with m in 5..8 and e >= 6 (so at most 25%
// slack, and every size a multiple of 64): 64..512 in steps of 64, then 640, 768, 896, 1024,
// 1280, ... Freed blocks go to their class's free list (LIFO); a freed block that ends at the
// bump pointer is handed back to it instead. Blocks are never split or coalesced: kernels
// allocate few, large blocks (tables, arenas), and a table that doubles frees a block that the
// next table of that size reuses.

// @ts-ignore: decorator
@inline const ROOT: usize = 512;
// @ts-ignore: decorator
@inline const ROOT_MAGIC: u32 = 0x534c4345; // "SLCE"
// @ts-ignore: decorator
@inline export const NUM_CLASSES: u32 = 100;
// @ts-ignore: decorator
@inline export const CB_SIZE: usize = 64 + 4 * 100 + 48; // 512
// @ts-ignore: decorator
@inline const HEADER: usize = 64;
// @ts-ignore: decorator
@inline const BLOCK_LIVE: u32 = 0xa110c8ed;
// @ts-ignore: decorator
@inline const BLOCK_FREE: u32 = 0xf4eeb10c;
// @ts-ignore: decorator
@inline const MAX_REQUEST: usize = 0xe0000000; // its class, 7 << 29, still fits a u32

if (ASC_MEMORY_BASE < <i32>(ROOT + 64)) ERROR('the allocator root needs memoryBase >= 576');

/** Size-class index of a payload of `size` bytes (1 <= size <= MAX_REQUEST). */
// @ts-ignore: decorator
@inline
function classOf(size: usize): u32 {
  const n = <u32>size - 1;
  if (n < 512) return n >>> 6; // 0..7: 64..512
  const e = 29 - clz<u32>(n); // floor(log2 n) - 2, >= 7
  const m = n >>> e; // 4..7
  return 8 + ((e - 7) << 2) + (m - 4);
}

/** Payload bytes of size class `c`. */
// @ts-ignore: decorator
@inline
function classSize(c: u32): usize {
  if (c < 8) return (<usize>c + 1) << 6;
  const e = ((c - 8) >>> 2) + 7;
  const m = ((c - 8) & 3) + 4;
  return (<usize>m + 1) << e;
}

// @ts-ignore: decorator
@inline
function control(): usize {
  return <usize>atomic.load<u32>(ROOT + 4);
}

// @ts-ignore: decorator
@inline
function lock(cb: usize): void {
  while (atomic.cmpxchg<u32>(cb, 0, 1) != 0) {
    // The critical sections are a few dozen instructions (plus a rare memory.grow): spin.
  }
}

// @ts-ignore: decorator
@inline
function unlock(cb: usize): void {
  atomic.store<u32>(cb, 0);
}

export function heapBase(): usize {
  return __heap_base;
}

export function heapInit(start: usize): void {
  assert((start & 63) == 0, 'heapInit: start must be 64-byte aligned');
  assert(start >= __heap_base, 'heapInit: start overlaps static data');
  const end = <u64>start + CB_SIZE;
  const have = <u64>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
  memory.fill(start, 0, CB_SIZE);
  store<u64>(start, <u64>start + CB_SIZE, 8);
  store<u64>(start, 0, 16);
  store<u32>(ROOT, <u32>__heap_base, 8);
  atomic.store<u32>(ROOT, <u32>start, 4);
  atomic.store<u32>(ROOT, ROOT_MAGIC, 0);
}

/** Whether heapInit has run on this memory (for the loader of additional instances). */
export function heapReady(): bool {
  return atomic.load<u32>(ROOT) == ROOT_MAGIC;
}

/** The __heap_base of the build that initialised this memory's heap (0 before heapInit). */
export function heapOwnerBase(): usize {
  return <usize>atomic.load<u32>(ROOT, 8);
}

export function alloc(size: usize): usize {
  const cb = control();
  assert(cb != 0, 'alloc before heapInit');
  if (size > MAX_REQUEST) return 0;
  if (size == 0) size = 1;
  const c = classOf(size);
  const footprint = HEADER + classSize(c);
  const head = cb + 64 + (<usize>c << 2);
  lock(cb);
  let block = <usize>load<u32>(head);
  if (block != 0) {
    if (load<u32>(block, 4) != BLOCK_FREE) {
      unlock(cb);
      abort('alloc: free list corrupted');
    }
    store<u32>(head, load<u32>(block, 8));
  } else {
    const bump = load<u64>(cb, 8);
    const end = bump + <u64>footprint;
    const have = <u64>memory.size() << 16;
    if (end > have) {
      if (end > (<u64>1 << 32)) {
        unlock(cb);
        return 0;
      }
      // Grow by what is missing, at least 1/8 of the memory, so growth (and the hosts'
      // view re-creation) stays rare.
      let pages = <i32>((end - have + 0xffff) >>> 16);
      const eighth = <i32>(have >>> 19);
      if (pages < eighth) pages = eighth;
      if (memory.grow(pages) < 0) {
        pages = <i32>((end - have + 0xffff) >>> 16);
        if (memory.grow(pages) < 0) {
          unlock(cb);
          return 0;
        }
      }
    }
    block = <usize>bump;
    store<u64>(cb, end, 8);
  }
  store<u32>(block, c, 0);
  store<u32>(block, BLOCK_LIVE, 4);
  store<u32>(block, 0, 8);
  store<u64>(cb, load<u64>(cb, 16) + <u64>footprint, 16);
  unlock(cb);
  return block + HEADER;
}

export function free(ptr: usize): void {
  if (ptr == 0) return;
  const cb = control();
  assert(cb != 0, 'free before heapInit');
  assert((ptr & 63) == 0 && ptr > cb, 'free: not a block');
  const block = ptr - HEADER;
  lock(cb);
  const c = load<u32>(block, 0);
  if (load<u32>(block, 4) != BLOCK_LIVE || c >= NUM_CLASSES) {
    unlock(cb);
    abort('free: not a live block (double free?)');
  }
  const footprint = HEADER + classSize(c);
  store<u32>(block, BLOCK_FREE, 4);
  if (<u64>block + <u64>footprint == load<u64>(cb, 8)) {
    store<u64>(cb, <u64>block, 8); // the top block: give it back to the bump pointer
  } else {
    const head = cb + 64 + (<usize>c << 2);
    store<u32>(block, load<u32>(head), 8);
    store<u32>(head, <u32>block);
  }
  store<u64>(cb, load<u64>(cb, 16) - <u64>footprint, 16);
  unlock(cb);
}

/** Bytes currently allocated, block headers and size-class rounding included. */
export function heapUsed(): usize {
  const cb = control();
  if (cb == 0) return 0;
  lock(cb);
  const used = load<u64>(cb, 16);
  unlock(cb);
  return <usize>used;
}

/** Payload capacity of a live block (its size class), for kernels that grow in place. */
export function blockSize(ptr: usize): usize {
  return classSize(load<u32>(ptr - HEADER));
}

/** alloc + abort when memory is exhausted: for kernels, which cannot report failure. */
export function allocOrTrap(size: usize): usize {
  const p = alloc(size);
  if (p == 0) abort('out of memory');
  return p;
}
