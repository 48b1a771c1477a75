// reduceByKey over string keys that never repeat across batches (session ids): the kernel
// dictionary follows the recent keys instead of growing with every key ever seen.
import { afterEach, describe, expect, it } from 'vitest';
import { KernelEngine } from '../../src/kernels/engine.js';
import { KeyedAggregation } from '../../src/kernels/keyed-aggregation.js';
import { keyAt, valueAt, type PairColumns } from '../../src/batch/columns.js';
import { sum } from '../../src/reducers.js';

let engine: KernelEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

function utf8Batch(strings: readonly string[], values: Float64Array): PairColumns {
  const enc = new TextEncoder();
  const encoded = strings.map((s) => enc.encode(s));
  const offsets = new Int32Array(strings.length + 1);
  encoded.forEach((e, i) => (offsets[i + 1] = offsets[i]! + e.length));
  const bytes = new Uint8Array(offsets[strings.length]!);
  encoded.forEach((e, i) => bytes.set(e, offsets[i]!));
  return { length: strings.length, keys: { kind: 'utf8', offsets, bytes }, values: { kind: 'f64', data: values } };
}

describe('string keys that churn', () => {
  it('keeps the dictionary near the recent batches\' keys, with exact results every batch', async () => {
    engine = await KernelEngine.create({ workers: 1 });
    const agg = new KeyedAggregation(engine, sum);
    const perBatch = 20_000;
    let maxDictionary = 0;
    for (let b = 0; b < 12; b++) {
      // every key twice in the batch, and never again in another batch
      const strings = Array.from({ length: 2 * perBatch }, (_, i) => `session-${b}-${i % perBatch}`);
      const values = Float64Array.from(strings, (_, i) => i);
      const out = await agg.run([utf8Batch(strings, values)]);
      expect(out.length).toBe(perBatch);
      for (let i = 0; i < out.length; i += 997) {
        const key = keyAt(out.keys, i) as string;
        const j = Number(key.slice(key.lastIndexOf('-') + 1));
        expect(valueAt(out.values, i), key).toBe(j + (j + perBatch));
        expect(key.startsWith(`session-${b}-`)).toBe(true);
      }
      maxDictionary = Math.max(maxDictionary, agg.stringKeyCount);
    }
    // 12 batches saw 240K distinct strings; the dictionary never held more than ~5 batches' worth
    expect(maxDictionary).toBeLessThanOrEqual(100_000);
    expect(maxDictionary).toBeGreaterThanOrEqual(perBatch);
  });
});
