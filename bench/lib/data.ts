/**
 * Benchmark data: deterministic (seeded) batches that every implementation receives in the same
 * run. Keys are K distinct u32 ids: by default sparse — random values below 2^30, like real id
 * columns, and still V8 small integers, so the JS `Map` peer is not slowed by heap-number keys —
 * or dense, 0..K−1 (a case DuckDB answers with a perfect-hash aggregate: reported apart, as
 * information). Values are f64 holding small integers, so every peer's sums are exact whatever
 * its summation order, and the results can be compared for equality.
 */
import { prng } from './random.js';

export type Distribution = 'uniform' | 'zipf';

export type KeySpace = 'sparse' | 'dense';

/** A batch of (u32 key, f64 value) rows. */
export interface U32Batch {
  readonly keys: Uint32Array;
  readonly values: Float64Array;
  /** The key domain: `cardinality` distinct ids. */
  readonly cardinality: number;
  readonly distribution: Distribution;
  readonly keySpace: KeySpace;
  /** The ids of the key domain (rank or draw index → key). */
  readonly ids: Uint32Array;
  /** Distinct keys that actually occur in the batch. */
  readonly distinct: number;
}

/** A random permutation of [0, n) (Fisher–Yates). */
export function permutation(n: number, rand: () => number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * A sampler of Zipf ranks in [0, n): P(rank r) ∝ 1 / (r + 1)^s, by binary search in the
 * cumulative distribution (exact, and fast enough for a few million draws).
 */
export function zipfSampler(n: number, s: number, rand: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) {
    total += 1 / Math.pow(r + 1, s);
    cdf[r] = total;
  }
  return () => {
    const u = rand() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! <= u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Integer-valued f64 in [0, 1000): exact sums in any order up to 2^53. */
function values(n: number, rand: () => number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.floor(rand() * 1000);
  return v;
}

/** `k` distinct random u32 values below 2^30, in random order. */
export function sparseIds(k: number, rand: () => number): Uint32Array {
  const ids = new Uint32Array(k);
  const seen = new Set<number>();
  for (let i = 0; i < k; ) {
    const x = Math.floor(rand() * 2 ** 30);
    if (!seen.has(x)) {
      seen.add(x);
      ids[i++] = x;
    }
  }
  return ids;
}

/**
 * `n` rows with keys drawn from `cardinality` ids: uniformly, or Zipf(s) over the ranks. Sparse
 * ids are random; dense ids are a random permutation of 0..K−1 (so hot keys are not clustered).
 */
export function u32Batch(n: number, cardinality: number, distribution: Distribution, seed: number, options: { zipfS?: number; keySpace?: KeySpace } = {}): U32Batch {
  const rand = prng(seed);
  const keySpace = options.keySpace ?? 'sparse';
  const ids = keySpace === 'sparse' ? sparseIds(cardinality, rand) : permutation(cardinality, rand);
  const draws = new Uint32Array(n);
  if (distribution === 'uniform') {
    for (let i = 0; i < n; i++) draws[i] = Math.floor(rand() * cardinality);
  } else {
    const rank = zipfSampler(cardinality, options.zipfS ?? 1.1, rand);
    for (let i = 0; i < n; i++) draws[i] = rank();
  }
  const keys = new Uint32Array(n);
  const seen = new Uint8Array(cardinality);
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    const d = draws[i]!;
    keys[i] = ids[d]!;
    if (seen[d] === 0) {
      seen[d] = 1;
      distinct++;
    }
  }
  return { keys, values: values(n, rand), cardinality, distribution, keySpace, ids, distinct };
}

/** A batch of (string key, f64 value) rows, both as an Arrow Utf8 column and as JS strings. */
export interface WordBatch {
  /** Arrow Utf8 layout: i32 offsets[n + 1] into `bytes`. */
  readonly offsets: Int32Array;
  readonly bytes: Uint8Array;
  /** The same words as JS strings (one string object per row, as `split` would give). */
  readonly words: string[];
  readonly values: Float64Array;
  readonly vocabulary: number;
  readonly distinct: number;
}

const LETTERS = 'etaoinshrdlcumwfgypbvkjxqz';

/** `size` distinct lowercase pseudo-words of 2–12 letters, with English-like letter frequencies. */
export function vocabulary(size: number, rand: () => number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  while (out.length < size) {
    const len = 2 + Math.floor(rand() * rand() * 11);
    let w = '';
    for (let i = 0; i < len; i++) w += LETTERS[Math.floor(rand() * rand() * LETTERS.length)];
    if (!seen.has(w)) {
      seen.add(w);
      out.push(w);
    }
  }
  return out;
}

/** `n` words drawn Zipf(s) from a vocabulary of `vocabularySize` words. */
export function wordBatch(n: number, vocabularySize: number, seed: number, zipfS = 1.1): WordBatch {
  const rand = prng(seed);
  const vocab = vocabulary(vocabularySize, rand);
  const perm = permutation(vocabularySize, rand);
  const rank = zipfSampler(vocabularySize, zipfS, rand);
  const enc = new TextEncoder();
  const encoded = vocab.map((w) => enc.encode(w));
  const ids = new Uint32Array(n);
  let totalBytes = 0;
  for (let i = 0; i < n; i++) {
    const id = perm[rank()]!;
    ids[i] = id;
    totalBytes += encoded[id]!.length;
  }
  const offsets = new Int32Array(n + 1);
  const bytes = new Uint8Array(totalBytes);
  const words = new Array<string>(n);
  const dec = new TextDecoder();
  const seen = new Uint8Array(vocabularySize);
  let distinct = 0;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    const b = encoded[id]!;
    bytes.set(b, at);
    offsets[i] = at;
    at += b.length;
    if (seen[id] === 0) {
      seen[id] = 1;
      distinct++;
    }
  }
  offsets[n] = at;
  // Fresh string objects, decoded from the column as a reader of it would, so that no two rows
  // share a string (and its cached hash) unless the engine itself makes them.
  for (let i = 0; i < n; i++) words[i] = dec.decode(bytes.subarray(offsets[i]!, offsets[i + 1]!));
  return { offsets, bytes, words, values: values(n, rand), vocabulary: vocabularySize, distinct };
}
