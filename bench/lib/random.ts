/**
 * The one seeded PRNG of the benchmarks and the tests: mulberry32, small and fast, uniform in
 * [0, 1), so that benchmark data and random tests are reproducible without a dependency. The
 * benchmark's data and the tests' expectations depend on its exact sequence: do not change it.
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
