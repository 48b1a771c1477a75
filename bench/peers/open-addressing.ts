/**
 * Peer: a tuned JS hash table over typed arrays — the kernel's algorithm written in JS
 * (assembly/reduce-by-key.ts, assembly/common.ts), kept in step with it (the benchmark checks
 * that both list their keys in the same slot order):
 *   - murmur3 fmix32, open addressing with linear probing, a power-of-two capacity;
 *   - the kernel's entry layout, 16-byte entries { u32 key, u32 gen, f64 sum }, so a probe
 *     touches one cache line, and its O(1) clear: a slot is occupied iff its gen equals the
 *     table's, and clearing bumps the generation (the table is kept across batches);
 *   - its size-dependent load: a slot array up to 1 MiB doubles at 1/4 full and compares slots
 *     j and j+1 before any probe loop; a larger one doubles at 3/4;
 *   - its blocks of 32 rows: pass 1 hashes the block's keys into a scratch array of home slots
 *     and, in the dense regime, loads each home slot so that the block's cache misses overlap;
 *     pass 2 probes and folds the rows in input order;
 *   - an insert that finds the table at its limit grows it and restarts at that row.
 */

// murmur3's fmix32, the kernel's hash: the engine's own JS implementation.
import { fmix32 } from '../../src/batch/keys.js';

export { fmix32 };

/** The smallest power of two ≥ x. */
export function nextPow2(x: number): number {
  return x <= 1 ? 1 : 2 ** Math.ceil(Math.log2(x));
}

const ENTRY_BYTES = 16;
const SPARSE_BYTES = 1 << 20;
const BLOCK = 32;

/** The size at which an insert first doubles a table of `cap` slots. */
export function growAtOf(cap: number): number {
  return cap * ENTRY_BYTES <= SPARSE_BYTES ? cap >>> 2 : cap - (cap >>> 2);
}

/** The kernel's capacity for `hint` keys: the smallest power of two ≥ 16 that holds them without growing. */
export function capacityFor(hint: number): number {
  const h = Math.max(hint, 1);
  let cap = 16;
  while (growAtOf(cap) < h && cap < 2 ** 30) cap *= 2;
  return cap;
}

export class U32SumTable {
  private words!: Uint32Array; // 4 words per entry: [key, gen, sum lo, sum hi]
  private sums!: Float64Array; // 2 doubles per entry: [key|gen, sum]
  private cap = 0;
  private growAt = 0;
  private gen = 1;
  private count = 0;
  /** Where the dense loop's touch loads go. */
  sink = 0;
  /** A block's home slots (pass 1). */
  private readonly home = new Int32Array(BLOCK);

  constructor(capacityHint: number) {
    this.allocate(capacityFor(capacityHint));
  }

  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.cap;
  }

  private allocate(cap: number): void {
    const buf = new ArrayBuffer(cap * ENTRY_BYTES);
    this.words = new Uint32Array(buf);
    this.sums = new Float64Array(buf);
    this.cap = cap;
    this.growAt = growAtOf(cap);
  }

  /** Folds n rows into the table. */
  add(keys: Uint32Array, values: Float64Array, n = keys.length): void {
    let i = 0;
    while (i < n) i = this.cap * ENTRY_BYTES <= SPARSE_BYTES ? this.addSparse(keys, values, i, n) : this.addDense(keys, values, i, n);
  }

  /** Small table (in cache): slots j and j+1 compared without a branch, then the probe loop. */
  private addSparse(keys: Uint32Array, values: Float64Array, from: number, n: number): number {
    const words = this.words;
    const sums = this.sums;
    const home = this.home;
    const mask = this.cap - 1;
    const growAt = this.growAt;
    const gen = this.gen;
    let size = this.count;
    for (let b = from; b < n; b += BLOCK) {
      const be = Math.min(b + BLOCK, n);
      for (let i = b; i < be; i++) home[i - b] = fmix32(keys[i]!) & mask;
      for (let i = b; i < be; i++) {
        const k = keys[i]!;
        let j = home[i - b]!;
        const j1 = (j + 1) & mask;
        // 0 where the slot holds k of this generation: both slots compared without a branch
        const d0 = (words[j << 2]! ^ k) | (words[(j << 2) + 1]! ^ gen);
        const d1 = (words[j1 << 2]! ^ k) | (words[(j1 << 2) + 1]! ^ gen);
        if (d0 === 0 || d1 === 0) {
          sums[((d0 === 0 ? j : j1) << 1) + 1]! += values[i]!;
          continue;
        }
        for (;;) {
          const w = j << 2;
          if (words[w + 1] !== gen) break;
          if (words[w] === k) break;
          j = (j + 1) & mask;
        }
        if (words[(j << 2) + 1] === gen) {
          sums[(j << 1) + 1]! += values[i]!;
          continue;
        }
        if (size >= growAt) {
          this.count = size;
          this.grow();
          return i;
        }
        size++;
        words[j << 2] = k;
        words[(j << 2) + 1] = gen;
        sums[(j << 1) + 1] = values[i]!;
      }
    }
    this.count = size;
    return n;
  }

  /** Large table (a cache miss a row): each block's home slots loaded before it is probed, then a plain probe. */
  private addDense(keys: Uint32Array, values: Float64Array, from: number, n: number): number {
    const words = this.words;
    const sums = this.sums;
    const home = this.home;
    const mask = this.cap - 1;
    const growAt = this.growAt;
    const gen = this.gen;
    let size = this.count;
    let sink = 0;
    for (let b = from; b < n; b += BLOCK) {
      const be = Math.min(b + BLOCK, n);
      for (let i = b; i < be; i++) home[i - b] = fmix32(keys[i]!) & mask;
      for (let i = b; i < be; i++) sink ^= words[home[i - b]! << 2]!;
      for (let i = b; i < be; i++) {
        const k = keys[i]!;
        let j = home[i - b]!;
        let found = false;
        for (;;) {
          const w = j << 2;
          if (words[w + 1] !== gen) break;
          if (words[w] === k) {
            found = true;
            break;
          }
          j = (j + 1) & mask;
        }
        if (found) {
          sums[(j << 1) + 1]! += values[i]!;
          continue;
        }
        if (size >= growAt) {
          this.count = size;
          this.sink = sink;
          this.grow();
          return i;
        }
        size++;
        words[j << 2] = k;
        words[(j << 2) + 1] = gen;
        sums[(j << 1) + 1] = values[i]!;
      }
    }
    this.count = size;
    this.sink = sink;
    return n;
  }

  private grow(): void {
    const oldWords = this.words;
    const oldSums = this.sums;
    const oldCap = this.cap;
    const gen = this.gen;
    this.allocate(oldCap * 2);
    const words = this.words;
    const sums = this.sums;
    const mask = this.cap - 1;
    for (let s = 0; s < oldCap; s++) {
      if (oldWords[(s << 2) + 1] !== gen) continue;
      const k = oldWords[s << 2]!;
      let j = fmix32(k) & mask;
      while (words[(j << 2) + 1] === gen) j = (j + 1) & mask;
      words[j << 2] = k;
      words[(j << 2) + 1] = gen;
      sums[(j << 1) + 1] = oldSums[(s << 1) + 1]!;
    }
  }

  /** Empties the table, keeping its capacity: O(1), by a new generation. */
  clear(): void {
    this.gen = (this.gen + 1) >>> 0;
    if (this.gen === 0) {
      this.words.fill(0);
      this.gen = 1;
    }
    this.count = 0;
  }

  /** The entries in slot order. */
  export(): { keys: Uint32Array; sums: Float64Array } {
    const keys = new Uint32Array(this.count);
    const out = new Float64Array(this.count);
    let o = 0;
    for (let s = 0; s < this.cap; s++) {
      if (this.words[(s << 2) + 1] !== this.gen) continue;
      keys[o] = this.words[s << 2]!;
      out[o++] = this.sums[(s << 1) + 1]!;
    }
    return { keys, sums: out };
  }

  toMap(): Map<number, number> {
    const { keys, sums } = this.export();
    const m = new Map<number, number>();
    for (let i = 0; i < keys.length; i++) m.set(keys[i]!, sums[i]!);
    return m;
  }
}

// ---- strings: xxHash32 over UTF-8 bytes and a dictionary to dense u32 ids, as the kernel does

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function read32(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
}

/** xxHash32 of b[p, p + len). */
export function xxh32(b: Uint8Array, p: number, len: number, seed: number): number {
  const end = p + len;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = end - 16;
    do {
      v1 = Math.imul(rotl((v1 + Math.imul(read32(b, p), P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(read32(b, p + 4), P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(read32(b, p + 8), P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(read32(b, p + 12), P2)) | 0, 13), P1);
      p += 16;
    } while (p <= limit);
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  while (p + 4 <= end) {
    h = Math.imul(rotl((h + Math.imul(read32(b, p), P3)) | 0, 17), P4);
    p += 4;
  }
  while (p < end) {
    h = Math.imul(rotl((h + Math.imul(b[p]!, P5)) | 0, 11), P1);
    p++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Strings → dense u32 ids, kept across batches, as the kernel's dictionary does
 * (assembly/dictionary.ts): 8-byte slots { u32 hash, u32 id + 1 } (0 = empty) kept at most half
 * full, per id { u32 arena offset, u32 length }, the bytes back to back in an arena; a lookup
 * compares the stored hash, then the length, then the bytes.
 */
export class StringDictionary {
  private slots: Uint32Array; // 2 words per slot: [hash, id + 1]
  private cap: number;
  private growAt: number;
  private entries: Uint32Array; // 2 words per id: [arena offset, length]
  private arena: Uint8Array;
  private arenaUsed = 0;
  private count = 0;

  constructor(capacityHint: number) {
    const hint = Math.min(Math.max(capacityHint, 8), 1 << 24);
    this.cap = nextPow2(hint * 2);
    this.growAt = this.cap >>> 1;
    this.slots = new Uint32Array(this.cap * 2);
    this.entries = new Uint32Array(hint * 2);
    this.arena = new Uint8Array(hint * 16);
  }

  get size(): number {
    return this.count;
  }

  /** Writes the id of each string of an Arrow Utf8 column to `ids`; new strings get the next ids. */
  encode(offsets: Int32Array, bytes: Uint8Array, n: number, ids: Uint32Array): void {
    let slots = this.slots;
    let mask = this.cap - 1;
    let entries = this.entries;
    let arena = this.arena;
    let start = offsets[0]!;
    for (let i = 0; i < n; i++) {
      const end = offsets[i + 1]!;
      const len = end - start;
      const h = xxh32(bytes, start, len, 0);
      let j = h & mask;
      let id = 0;
      for (;;) {
        const id1 = slots[(j << 1) + 1]!;
        if (id1 === 0) {
          // a new string
          if (this.count >= this.growAt) {
            this.growSlots();
            slots = this.slots;
            mask = this.cap - 1;
            j = h & mask;
            while (slots[(j << 1) + 1] !== 0) j = (j + 1) & mask;
          }
          id = this.append(bytes, start, len);
          slots[j << 1] = h;
          slots[(j << 1) + 1] = id + 1;
          entries = this.entries;
          arena = this.arena;
          break;
        }
        if (slots[j << 1] === h) {
          const e = (id1 - 1) << 1;
          if (entries[e + 1] === len) {
            const a = entries[e]!;
            let b = 0;
            while (b < len && arena[a + b] === bytes[start + b]) b++;
            if (b === len) {
              id = id1 - 1;
              break;
            }
          }
        }
        j = (j + 1) & mask;
      }
      ids[i] = id;
      start = end;
    }
  }

  private growSlots(): void {
    const old = this.slots;
    const oldCap = this.cap;
    this.cap *= 2;
    this.growAt = this.cap >>> 1;
    const mask = this.cap - 1;
    const slots = new Uint32Array(this.cap * 2);
    for (let s = 0; s < oldCap; s++) {
      const id1 = old[(s << 1) + 1]!;
      if (id1 === 0) continue;
      const h = old[s << 1]!;
      let j = h & mask;
      while (slots[(j << 1) + 1] !== 0) j = (j + 1) & mask;
      slots[j << 1] = h;
      slots[(j << 1) + 1] = id1;
    }
    this.slots = slots;
  }

  private append(bytes: Uint8Array, start: number, len: number): number {
    const id = this.count;
    if (id * 2 === this.entries.length) {
      const e = new Uint32Array(this.entries.length * 2);
      e.set(this.entries);
      this.entries = e;
    }
    if (this.arenaUsed + len > this.arena.length) {
      const a = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      a.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = a;
    }
    this.arena.set(bytes.subarray(start, start + len), this.arenaUsed);
    this.entries[id << 1] = this.arenaUsed;
    this.entries[(id << 1) + 1] = len;
    this.arenaUsed += len;
    this.count = id + 1;
    return id;
  }

  /** The string of `id`. */
  stringOf(id: number): string {
    const s = this.entries[id << 1]!;
    return new TextDecoder().decode(this.arena.subarray(s, s + this.entries[(id << 1) + 1]!));
  }
}
