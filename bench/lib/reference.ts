/**
 * Reference results, by an algorithm none of the implementations uses (sorting), to verify
 * each implementation's output in the benchmark and in test/bench/peers.test.ts.
 */

/** Per-key sums of u32 keys, by sorting (key, row) pairs packed in an f64 and summing runs. */
export function referenceSumsU32(keys: Uint32Array, values: Float64Array): Map<number, number> {
  const n = keys.length;
  const rowBits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  if (rowBits + 32 > 53) throw new RangeError('referenceSumsU32: batch too large to pack');
  const scale = 2 ** rowBits;
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) packed[i] = keys[i]! * scale + i;
  packed.sort();
  const out = new Map<number, number>();
  let i = 0;
  while (i < n) {
    const k = Math.floor(packed[i]! / scale);
    let s = 0;
    while (i < n && Math.floor(packed[i]! / scale) === k) s += values[packed[i++]! - k * scale]!;
    out.set(k, s);
  }
  return out;
}

/** Per-key sums of string keys, by sorting row indices by string and summing runs. */
export function referenceSumsStrings(keys: readonly string[], values: Float64Array): Map<string, number> {
  const idx = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
  const out = new Map<string, number>();
  let i = 0;
  while (i < idx.length) {
    const w = keys[idx[i]!]!;
    let s = 0;
    while (i < idx.length && keys[idx[i]!] === w) s += values[idx[i++]!]!;
    out.set(w, s);
  }
  return out;
}

/** Whether two result maps are equal; else the first difference. */
export function compareSums<K>(actual: Map<K, number>, expected: Map<K, number>): { ok: true } | { ok: false; why: string } {
  if (actual.size !== expected.size) return { ok: false, why: `${actual.size} keys, expected ${expected.size}` };
  for (const [k, v] of expected) {
    const a = actual.get(k);
    if (a === undefined) return { ok: false, why: `key ${String(k)} missing` };
    if (a !== v && Math.abs(a - v) > 1e-9 * Math.abs(v)) return { ok: false, why: `key ${String(k)}: ${a}, expected ${v}` };
  }
  return { ok: true };
}
