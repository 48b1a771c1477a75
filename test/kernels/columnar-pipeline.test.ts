// A columnar pipeline — Arrow source → keyed or windowed aggregation with a built-in reducer →
// a sink reading columns — never builds a JS object per record: rows are only made on demand.
import { tableFromArrays } from 'apache-arrow';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Batch, Seconds, StreamingContext, sum, type PairColumns } from '../../src/index.js';
import { advanceBatches } from '../../src/testing.js';

let ssc: StreamingContext | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await ssc?.stop();
  ssc = undefined;
});

/** Rows first..first+count−1 of a stream whose key is index mod 10 and whose value is 1. */
function tenKeys(first: number, count: number) {
  const key = new Uint32Array(count);
  for (let i = 0; i < count; i++) key[i] = (first + i) % 10;
  return tableFromArrays({ key, value: new Float64Array(count).fill(1) });
}

function sumByKey(columns: readonly PairColumns[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const c of columns) {
    if (c.keys.kind !== 'u32' || c.values.kind !== 'f64') throw new Error(`unexpected columns ${c.keys.kind}/${c.values.kind}`);
    for (let i = 0; i < c.length; i++) out.set(c.keys.data[i]!, (out.get(c.keys.data[i]!) ?? 0) + c.values.data[i]!);
  }
  return out;
}

describe('columnar pipelines', () => {
  it('columnarGeneratorStream → reduceByKey(sum) → a column-reading sink makes no record objects', async () => {
    ssc = new StreamingContext({ batchInterval: Seconds(1), clock: 'manual', workers: 0 });
    const rows = vi.spyOn(Batch.prototype, 'partitions', 'get');
    const results: Map<number, number>[] = [];
    ssc
      .columnarGeneratorStream(tenKeys, { ratePerSec: 50_000 })
      .reduceByKey(sum)
      .foreachRDD((batch) => {
        expect(batch.columns).toBeDefined();
        results.push(sumByKey(batch.columns!));
      });
    await ssc.start();
    await advanceBatches(ssc, 3);
    expect(results).toHaveLength(3);
    for (const r of results) expect(r).toEqual(new Map(Array.from({ length: 10 }, (_, k) => [k, 5000])));
    expect(rows).not.toHaveBeenCalled();
  });

  it('reduceByKeyAndWindow(sum) keeps the window on the kernels, still without record objects', async () => {
    ssc = new StreamingContext({ batchInterval: Seconds(1), clock: 'manual', workers: 0 });
    const rows = vi.spyOn(Batch.prototype, 'partitions', 'get');
    const totals: number[] = [];
    ssc
      .columnarGeneratorStream(tenKeys, { ratePerSec: 1000 })
      .reduceByKeyAndWindow(sum, Seconds(3), Seconds(1))
      .foreachRDD((batch) => {
        totals.push([...sumByKey(batch.columns ?? []).values()].reduce((a, b) => a + b, 0));
      });
    await ssc.start();
    await advanceBatches(ssc, 5);
    expect(totals).toEqual([1000, 2000, 3000, 3000, 3000]);
    expect(rows).not.toHaveBeenCalled();
  });

  it('the generator must return a table of exactly the rows asked for', async () => {
    ssc = new StreamingContext({ batchInterval: Seconds(1), clock: 'manual', workers: 0 });
    ssc.columnarGeneratorStream((first) => tenKeys(first, 3), { ratePerSec: 10 }).foreachRDD(() => undefined);
    await ssc.start();
    await expect(advanceBatches(ssc, 1)).rejects.toThrow(/exactly 10 rows/);
  });
});

describe('Arrow items in queueStream', () => {
  it('a key/value RecordBatch is a pair batch; other tables give one object per row', async () => {
    ssc = new StreamingContext({ batchInterval: Seconds(1), clock: 'manual', workers: 0 });
    const pairs = tableFromArrays({ key: new Int32Array([-1, 2, -1]), value: new Float64Array([0.5, 1, 2]) });
    const other = tableFromArrays({ sensor: new Uint32Array([7]), reading: new Float64Array([21.5]) });
    const seen: unknown[][] = [];
    const counts: unknown[][] = [];
    const objects: unknown[][] = [];
    const stream = ssc.queueStream<[number, number]>([pairs.batches[0]!]);
    stream.foreachRDD((b) => void seen.push(b.collect()));
    stream.reduceByKey(sum).foreachRDD((b) => void counts.push(b.collect()));
    ssc.queueStream<{ sensor: number; reading: number }>([other]).foreachRDD((b) => void objects.push(b.collect()));
    await ssc.start();
    await advanceBatches(ssc, 1);
    expect(seen[0]).toEqual([[-1, 0.5], [2, 1], [-1, 2]]);
    expect(new Map(counts[0] as [number, number][])).toEqual(new Map([[-1, 2.5], [2, 1]]));
    expect(objects[0]).toEqual([{ sensor: 7, reading: 21.5 }]);
  });
});
