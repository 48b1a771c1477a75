// Keyed and windowed aggregations with a built-in reducer into several partitions: on columnar
// (Arrow) input the output is hash-partitioned column by column — the partitions the JS path gives
// row input, still columnar, and no record made on the way.
import { makeVector, tableFromArrays, vectorFromArray, Dictionary, Int32, Table, Utf8 } from 'apache-arrow';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { Batch, Seconds, StreamingContext, sum, type DStream, type Pair } from '../../src/index.js';
import { advanceBatches, testOperation, type TestBatch } from '../../src/testing.js';
import { partitionOf } from '../../src/batch/keys.js';
import { sortRecords } from '../support/batches.js';

let ssc: StreamingContext | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await ssc?.stop();
  ssc = undefined;
});

/** An Arrow table of `chunks` record batches: key `${prefix}${i mod keys}` (dictionary strings), value i. */
function stringTable(first: number, sizes: readonly number[], keys: number): Table {
  const tables = sizes.map((size, c) => {
    const start = first + sizes.slice(0, c).reduce((a, b) => a + b, 0);
    const words = Array.from({ length: size }, (_, i) => `k${(start + i) % keys}`);
    return new Table({
      key: vectorFromArray(words, new Dictionary(new Utf8(), new Int32())),
      value: makeVector(Float64Array.from({ length: size }, (_, i) => start + i)),
    });
  });
  return tables[0]!.concat(...tables.slice(1));
}

/** The same, with u32 keys. */
function numberTable(first: number, sizes: readonly number[], keys: number): Table {
  const tables = sizes.map((size, c) => {
    const start = first + sizes.slice(0, c).reduce((a, b) => a + b, 0);
    return tableFromArrays({
      key: Uint32Array.from({ length: size }, (_, i) => ((start + i) * 7) % keys),
      value: Float64Array.from({ length: size }, (_, i) => start + i),
    });
  });
  return tables[0]!.concat(...tables.slice(1));
}

/** The records of an Arrow table, as a row batch's array. */
const rowsOf = (table: Table): Pair<unknown, number>[] => Batch.fromArrow<Pair<unknown, number>>(table).collect();

/** Each output batch as its partitions (records sorted within each), plus whether it was columnar. */
function partitionsOf<K>(stream: DStream<Pair<K, number>>, columnar: boolean[]): DStream<Pair<K, number>[]> {
  return stream
    .transform((b) => {
      columnar.push(b.columns !== undefined);
      return b;
    })
    .glom()
    .map((p) => sortRecords(p));
}

describe('aggregations into several partitions keep columnar input columnar', () => {
  const inputs: [string, Table[]][] = [
    ['string', [stringTable(0, [300, 200, 100], 23), stringTable(600, [50, 70], 23)]],
    ['u32', [numberTable(0, [300, 200, 100], 31), numberTable(600, [50, 70], 31)]],
  ];

  test.each(inputs)('reduceByKey(sum, 3) on %s keys: the partitions of row input, columnar', async (_kind, tables) => {
    expect(tables[0]!.batches.length).toBe(3);
    const columnar: boolean[] = [];
    const fromArrow = await testOperation<Pair<unknown, number>, Pair<unknown, number>[]>(tables, (s) => partitionsOf(s.reduceByKey(sum, 3), columnar), { workers: 0 });
    const fromRows = await testOperation<Pair<unknown, number>, Pair<unknown, number>[]>(tables.map(rowsOf), (s) => partitionsOf(s.reduceByKey(sum, 3), []), { workers: 0 });
    expect(columnar).toStrictEqual([true, true]);
    expect(fromArrow).toStrictEqual(fromRows);
    for (const batch of fromArrow) {
      expect(batch).toHaveLength(3);
      batch.forEach((p, i) => p.forEach(([k]) => expect(partitionOf(k, 3)).toBe(i)));
    }
  });

  test("reduceByKey(sum) without numPartitions takes the table's record batches as partitions", async () => {
    const tables = inputs[0]![1];
    const columnar: boolean[] = [];
    const fromArrow = await testOperation<Pair<unknown, number>, Pair<unknown, number>[]>(tables, (s) => partitionsOf(s.reduceByKey(sum), columnar), { workers: 0 });
    // The JS path on the same records in the same partitions.
    const expected = tables.map((t) =>
      Batch.fromPartitions(Batch.fromArrow<Pair<unknown, number>>(t).partitions)
        .reduceByKey((a, b) => a + b)
        .partitions.map((p) => sortRecords(p)),
    );
    expect(columnar).toStrictEqual([true, true]);
    expect(fromArrow.map((b) => b.length)).toStrictEqual([3, 2]);
    expect(fromArrow).toStrictEqual(expected);
  });

  test.each(inputs)('reduceByKeyAndWindow(sum, 2 s, 1 s, 4) on %s keys: the partitions of row input, columnar', async (_kind, tables) => {
    const columnar: boolean[] = [];
    const op = (flags: boolean[]) => (s: DStream<Pair<unknown, number>>) => partitionsOf(s.reduceByKeyAndWindow(sum, Seconds(2), Seconds(1), 4), flags);
    const input: TestBatch<Pair<unknown, number>>[] = [...tables, tables[0]!];
    const fromArrow = await testOperation(input, op(columnar), { workers: 0 });
    const fromRows = await testOperation(input.map((t) => rowsOf(t as Table)), op([]), { workers: 0 });
    expect(columnar).toStrictEqual([true, true, true]);
    expect(fromArrow).toStrictEqual(fromRows);
    for (const batch of fromArrow) expect(batch).toHaveLength(4);
  });

  test('a partitioned result with empty partitions feeds a second aggregation', async () => {
    // Two keys over eight partitions: six are empty, and stay columnar for the window.
    const table = numberTable(0, [40, 40], 2);
    const columnar: boolean[] = [];
    const op = (flags: boolean[]) => (s: DStream<Pair<unknown, number>>) =>
      partitionsOf(
        s
          .reduceByKey(sum, 8)
          .transform((b) => {
            if (flags === columnar) expect(b.columns).toHaveLength(8);
            return b;
          })
          .reduceByKeyAndWindow(sum, Seconds(2), Seconds(1), 3),
        flags,
      );
    const fromArrow = await testOperation([table, table], op(columnar), { workers: 0 });
    const fromRows = await testOperation([rowsOf(table), rowsOf(table)], op([]), { workers: 0 });
    expect(columnar).toStrictEqual([true, true]);
    expect(fromArrow).toStrictEqual(fromRows);
  });

  test('Arrow source → reduceByKey(sum, 3) and a window into 3 partitions → column-reading sinks: no record made', async () => {
    ssc = new StreamingContext({ batchInterval: Seconds(1), clock: 'manual', workers: 0 });
    const rows = vi.spyOn(Batch.prototype, 'partitions', 'get');
    const stream = ssc.queueStream<Pair<string, number>>([stringTable(0, [500, 300], 11), stringTable(800, [400, 100, 50], 11)]);
    const totals: number[] = [];
    const sizes: number[][] = [];
    const read = (batch: Batch<Pair<string, number>>) => {
      expect(batch.columns).toBeDefined();
      sizes.push(batch.columns!.map((c) => c.length));
      let total = 0;
      for (const c of batch.columns!) if (c.values.kind === 'f64') for (let i = 0; i < c.length; i++) total += c.values.data[i]!;
      totals.push(total);
    };
    stream.reduceByKey(sum, 3).foreachRDD(read);
    stream.reduceByKeyAndWindow(sum, Seconds(2), Seconds(1), 3).foreachRDD(read);
    await ssc.start();
    await advanceBatches(ssc, 2);
    const sumTo = (n: number) => (n * (n - 1)) / 2;
    expect(totals).toStrictEqual([sumTo(800), sumTo(800), sumTo(1350) - sumTo(800), sumTo(1350)]);
    for (const s of sizes) {
      expect(s).toHaveLength(3);
      expect(s.reduce((a, b) => a + b, 0)).toBe(11);
    }
    expect(rows).not.toHaveBeenCalled();
  });
});
