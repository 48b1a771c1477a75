/**
 * Peer: the plain-JS `Map` loop, written as a JS developer would (a fresh Map per batch). One
 * function per key type, so each call site stays monomorphic in V8.
 */

/** Sums `values` per u32 key. */
export function mapSumU32(keys: Uint32Array, values: Float64Array): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    m.set(k, (m.get(k) ?? 0) + values[i]!);
  }
  return m;
}

/** Sums `values` per string key. */
export function mapSumStrings(keys: readonly string[], values: Float64Array): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    m.set(k, (m.get(k) ?? 0) + values[i]!);
  }
  return m;
}
