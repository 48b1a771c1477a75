import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { Batch, Seconds, stats } from '../../src/index.js';
import { sinks, type Sink } from '../../src/sinks/index.js';
import { advanceBatches } from '../../src/testing.js';
import { manualContext, useTempDir } from '../support/context.js';

const dir = useTempDir('sluice-duckdb-');

/** Opens the file (after the sink closed it), runs `sql` and returns plain rows (bigints as numbers). */
async function query(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path);
  try {
    const c = await instance.connect();
    try {
      const rows = (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
      return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
    } finally {
      c.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

async function columnsOf(path: string, table: string): Promise<string[]> {
  const rows = await query(path, `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`);
  return rows.map((r) => `${r.column_name} ${r.data_type}`);
}

/** Writes `batches` at times 1000, 2000, … straight to a fresh sink, then closes it. */
async function writeAll<T>(sink: Sink<T>, batches: Batch<T>[], firstTime = 1000): Promise<void> {
  await sink.open?.();
  for (const [i, b] of batches.entries()) await sink.write(b, firstTime + i * 1000);
  await sink.close?.();
}

describe('schema inference', () => {
  test('objects: one column per property, nested objects flattened, types from the first batch', async () => {
    const path = join(dir(), 'objects.duckdb');
    const records = [
      { sensor: 1, reading: 20.5, name: 'a', ok: true, at: new Date(5000), pos: { x: 1, y: 2.5 }, tags: ['t'], big: 7n },
      { sensor: 2, reading: 21, name: 'b', ok: false, at: new Date(6000), pos: { x: 3, y: 4 }, tags: [], big: 8n, note: 'late' },
    ];
    await writeAll(sinks.duckdb({ path, table: 'readings' }), [Batch.of(records)]);
    expect(await columnsOf(path, 'readings')).toEqual([
      'batch_time TIMESTAMP',
      'sensor BIGINT',
      'reading DOUBLE',
      'name VARCHAR',
      'ok BOOLEAN',
      'at TIMESTAMP',
      'pos_x BIGINT',
      'pos_y DOUBLE',
      'tags VARCHAR',
      'big BIGINT',
      'note VARCHAR',
    ]);
    const rows = await query(path, 'SELECT epoch_ms(batch_time) AS t, sensor, reading, tags, epoch_ms("at") AS "at", note FROM readings ORDER BY sensor');
    expect(rows).toEqual([
      { t: 1000, sensor: 1, reading: 20.5, tags: '["t"]', at: 5000, note: null },
      { t: 1000, sensor: 2, reading: 21, tags: '[]', at: 6000, note: 'late' },
    ]);
  });

  test('tuples: key and value, or key and the fields of an object value', async () => {
    const path = join(dir(), 'tuples.duckdb');
    await writeAll(sinks.duckdb({ path, table: 'counts' }), [Batch.of<[string, number]>([['a', 1], ['b', 2]])]);
    await writeAll(sinks.duckdb({ path, table: 'windows' }), [Batch.of([[7, { count: 2, mean: 1.5, min: 1, max: 2, stddev: 0.5 }]])]);
    expect(await columnsOf(path, 'counts')).toEqual(['batch_time TIMESTAMP', 'key VARCHAR', 'value BIGINT']);
    expect(await columnsOf(path, 'windows')).toEqual([
      'batch_time TIMESTAMP',
      'key BIGINT',
      'count BIGINT',
      'mean DOUBLE',
      'min BIGINT',
      'max BIGINT',
      'stddev DOUBLE',
    ]);
    expect(await query(path, 'SELECT key, value FROM counts ORDER BY key')).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
  });

  test('Arrow columns: typed columns straight from batch.columns, stats as five columns', async () => {
    const path = join(dir(), 'arrow.duckdb');
    const n = 5000; // over two data chunks
    const table = tableFromArrays({
      key: Uint32Array.from({ length: n }, (_, i) => i % 100),
      value: Float64Array.from({ length: n }, (_, i) => i / 10),
    });
    const batch = Batch.fromArrow<[number, number]>(table);
    expect(batch.columns).toBeDefined();
    await writeAll(sinks.duckdb({ path, table: 'raw' }), [batch, batch]);
    expect(await columnsOf(path, 'raw')).toEqual(['batch_time TIMESTAMP', 'key BIGINT', 'value DOUBLE']);
    expect(await query(path, 'SELECT epoch_ms(batch_time) AS t, count(*) AS n, sum(value) AS s FROM raw GROUP BY ALL ORDER BY t')).toEqual([
      { t: 1000, n: 5000, s: expect.closeTo((4999 * 5000) / 20, 6) },
      { t: 2000, n: 5000, s: expect.closeTo((4999 * 5000) / 20, 6) },
    ]);

    // The kernels' stats output (columnar) through a real stream.
    const { ssc } = manualContext();
    const statsPath = join(dir(), 'stats.duckdb');
    const sink = sinks.duckdb({ path: statsPath, table: 'sensor_stats' });
    ssc.queueStream<[number, number]>([table]).reduceByKeyAndWindow(stats, Seconds(2)).saveTo(sink);
    await ssc.start();
    await advanceBatches(ssc, 2);
    await ssc.stop();
    expect(sink.stats).toMatchObject({ batches: 2, rows: 200, lastRows: 100, lastTime: expect.any(Number) });
    expect(await columnsOf(statsPath, 'sensor_stats')).toEqual([
      'batch_time TIMESTAMP',
      'key BIGINT',
      'count BIGINT',
      'mean DOUBLE',
      'min DOUBLE',
      'max DOUBLE',
      'stddev DOUBLE',
    ]);
    const rows = await query(statsPath, 'SELECT key, count, min, max FROM sensor_stats WHERE key = 3 ORDER BY batch_time');
    expect(rows).toEqual([
      { key: 3, count: 50, min: 0.3, max: 490.3 },
      { key: 3, count: 50, min: 0.3, max: 490.3 },
    ]);
  });

  test('an integer column inferred as BIGINT is widened to DOUBLE when a fraction comes', async () => {
    const path = join(dir(), 'widen.duckdb');
    await writeAll(sinks.duckdb({ path, table: 't' }), [Batch.of([{ v: 1 }, { v: 2 }]), Batch.of([{ v: 2.5 }]), Batch.of([{ v: 3 }])]);
    expect(await columnsOf(path, 't')).toEqual(['batch_time TIMESTAMP', 'v DOUBLE']);
    expect((await query(path, 'SELECT v FROM t ORDER BY batch_time, v')).map((r) => r.v)).toEqual([1, 2, 2.5, 3]);
  });

  test('an explicit schema: objects by name, tuples by position, declared types enforced', async () => {
    const path = join(dir(), 'schema.duckdb');
    const byName = sinks.duckdb({ path, table: 'a', schema: { sensor: 'INTEGER', mean: 'DOUBLE', status: 'VARCHAR' } });
    await writeAll(byName, [Batch.of([{ mean: 2, sensor: 4, extra: 'ignored' }])]);
    expect(await columnsOf(path, 'a')).toEqual(['batch_time TIMESTAMP', 'sensor INTEGER', 'mean DOUBLE', 'status VARCHAR']);
    expect(await query(path, 'SELECT sensor, mean, status FROM a')).toEqual([{ sensor: 4, mean: 2, status: null }]);

    const positional = sinks.duckdb({ path, table: 'b', schema: { sensor: 'UINTEGER', total: 'DOUBLE' } });
    await writeAll(positional, [Batch.of<[number, number]>([[9, 1.25]])]);
    expect(await query(path, 'SELECT sensor, total FROM b')).toEqual([{ sensor: 9, total: 1.25 }]);

    const strict = sinks.duckdb({ path, table: 'c', schema: { n: 'INTEGER' } });
    await strict.open!();
    await expect(strict.write(Batch.of([{ n: 1.5 }]), 1000)).rejects.toThrow(/column "n" is INTEGER, and cannot hold 1\.5/);
    await strict.close!();
  });
});

describe('writes', () => {
  test('each batch is appended in one transaction: a failing batch leaves no row behind', async () => {
    const path = join(dir(), 'tx.duckdb');
    const sink = sinks.duckdb({ path, table: 't', schema: { v: 'DOUBLE' } });
    await sink.open!();
    await sink.write(Batch.of(Array.from({ length: 3000 }, (_, i) => ({ v: i }))), 1000);
    const bad = Array.from({ length: 5000 }, (_, i) => ({ v: i === 4500 ? 'oops' : i }));
    await expect(sink.write(Batch.of(bad), 2000)).rejects.toThrow(/column "v" is DOUBLE, and cannot hold "oops"/);
    await sink.close!();
    expect(await query(path, 'SELECT epoch_ms(batch_time) AS t, count(*) AS n FROM t GROUP BY ALL')).toEqual([{ t: 1000, n: 3000 }]);
  });

  test('a batch written again (a retry) replaces its earlier rows', async () => {
    const path = join(dir(), 'retry.duckdb');
    const sink = sinks.duckdb({ path, table: 't' });
    await sink.open!();
    const batch = Batch.of(Array.from({ length: 2500 }, (_, i) => [i, i * 2] as [number, number]));
    await sink.write(batch, 1000);
    await sink.write(batch, 2000);
    await sink.write(batch, 2000);
    await sink.close!();
    expect(await query(path, 'SELECT epoch_ms(batch_time) AS t, count(*) AS n FROM t GROUP BY ALL ORDER BY t')).toEqual([
      { t: 1000, n: 2500 },
      { t: 2000, n: 2500 },
    ]);
  });

  test('a batch retried by the engine after its write succeeded is not duplicated', async () => {
    const path = join(dir(), 'engine-retry.duckdb');
    const { ssc } = manualContext({ maxTaskFailures: 3 });
    const inner = sinks.duckdb<[string, number]>({ path, table: 'counts' });
    let failures = 0;
    // The write commits, then the acknowledgement is "lost": the engine retries the batch.
    const flaky: Sink<[string, number]> = {
      name: inner.name,
      open: () => inner.open!(),
      close: () => inner.close!(),
      write: async (b, t) => {
        await inner.write(b, t);
        if (failures++ === 0) throw new Error('connection reset after commit');
      },
    };
    ssc.queueStream([[['a', 1], ['b', 2]] as [string, number][], [['c', 3]] as [string, number][]]).saveTo(flaky);
    await ssc.start();
    await advanceBatches(ssc, 2);
    await ssc.stop();
    expect(failures).toBe(3); // 2 attempts of batch 1, 1 of batch 2
    expect(await query(path, 'SELECT key, value FROM counts ORDER BY key')).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
      { key: 'c', value: 3 },
    ]);
  });

  test('without a batch time column, a batch at or before the last one written is skipped', async () => {
    const path = join(dir(), 'no-time.duckdb');
    const sink = sinks.duckdb({ path, table: 't', batchTimeColumn: false });
    await sink.open!();
    await sink.write(Batch.of([{ v: 1 }]), 1000);
    await sink.write(Batch.of([{ v: 1 }]), 1000);
    await sink.write(Batch.of([{ v: 2 }]), 2000);
    await sink.close!();
    expect(await columnsOf(path, 't')).toEqual(['v BIGINT']);
    expect(await query(path, 'SELECT v FROM t ORDER BY v')).toEqual([{ v: 1 }, { v: 2 }]);
  });

  test('empty batches write nothing and create no table until data comes', async () => {
    const path = join(dir(), 'empty.duckdb');
    const sink = sinks.duckdb({ path, table: 't' });
    await sink.open!();
    await sink.write(Batch.empty(), 1000);
    expect(sink.stats.batches).toBe(0);
    await sink.write(Batch.of([{ v: 'x' }]), 2000);
    await sink.close!();
    expect(sink.stats).toEqual({ batches: 1, rows: 1, lastRows: 1, lastTime: 2000 });
  });

  test('two sinks write two tables of one file', async () => {
    const path = join(dir(), 'shared.duckdb');
    const { ssc } = manualContext();
    const input = ssc.queueStream([[1, 2, 3]]);
    input.map((v) => ({ v })).saveTo(sinks.duckdb({ path, table: 'a' }));
    input.map((v) => ({ double: v * 2 })).saveTo(sinks.duckdb({ path, table: 'b' }));
    await ssc.start();
    await advanceBatches(ssc, 1);
    await ssc.stop();
    expect(await query(path, 'SELECT (SELECT sum(v) FROM a) AS a, (SELECT sum(double) FROM b) AS b')).toEqual([{ a: 6, b: 12 }]);
  });
});

describe('lifecycle and options', () => {
  test('the database is closed when the context stops, and the sink refuses writes after', async () => {
    const path = join(dir(), 'close.duckdb');
    const { ssc } = manualContext();
    const sink = sinks.duckdb({ path, table: 't' });
    ssc.queueStream([[{ v: 1 }]]).saveTo(sink);
    await ssc.start();
    await advanceBatches(ssc, 1);
    await ssc.stop();
    // Another database on the same file opens only once the sink's is closed.
    expect(await query(path, 'SELECT v FROM t')).toEqual([{ v: 1 }]);
    await expect(sink.write(Batch.of([{ v: 2 }]), 5000)).rejects.toThrow(/is closed/);
  });

  test('opening twice at once opens the database once, and closing releases it', async () => {
    const path = join(dir(), 'twice.duckdb');
    const sink = sinks.duckdb({ path, table: 't', schema: { v: 'INTEGER' } });
    await Promise.all([sink.open!(), sink.open!()]);
    await sink.write(Batch.of([{ v: 1 }]), 1000);
    await sink.close!();
    await sink.close!();
    expect(await query(path, 'SELECT v FROM t')).toEqual([{ v: 1 }]);
    await expect(sink.open!()).rejects.toThrow(/is closed/);
  });

  test("ifExists: 'append' continues the table, 'replace' starts afresh, 'error' refuses", async () => {
    const path = join(dir(), 'exists.duckdb');
    await writeAll(sinks.duckdb({ path, table: 't' }), [Batch.of([{ v: 1 }]), Batch.of([{ v: 2 }])]);
    // A second run appends; a batch time it wrote before is replaced, not duplicated.
    await writeAll(sinks.duckdb({ path, table: 't' }), [Batch.of([{ v: 20 }]), Batch.of([{ v: 3 }])], 2000);
    expect(await query(path, 'SELECT epoch_ms(batch_time) AS t, v FROM t ORDER BY t')).toEqual([
      { t: 1000, v: 1 },
      { t: 2000, v: 20 },
      { t: 3000, v: 3 },
    ]);
    const clash = sinks.duckdb({ path, table: 't' });
    await clash.open!();
    await expect(clash.write(Batch.of([{ w: 1 }]), 9000)).rejects.toThrow(/field\(s\) w that table t has no column for \(its columns: v\)/);
    await clash.close!();

    await expect(sinks.duckdb({ path, table: 't', ifExists: 'error' }).open!()).rejects.toThrow(/table t exists already/);
    await writeAll(sinks.duckdb({ path, table: 't', ifExists: 'replace' }), [Batch.of([{ w: 'new' }])]);
    expect(await query(path, 'SELECT * EXCLUDE (batch_time) FROM t')).toEqual([{ w: 'new' }]);
  });

  test('bad options are refused at once, with what to write instead', () => {
    const bad = (o: unknown) => () => sinks.duckdb(o as never);
    expect(bad(undefined)).toThrow(/expected options \{ path, table \}/);
    expect(bad({ table: 't' })).toThrow(/path must be the database file/);
    expect(bad({ path: 'x.duckdb', table: 'bad name' })).toThrow(/table must be an identifier/);
    expect(bad({ path: 'x.duckdb', table: 't', schema: { a: 'TEXTS' } })).toThrow(/column "a" has type "TEXTS"; use one of BOOLEAN/);
    expect(bad({ path: 'x.duckdb', table: 't', schema: {} })).toThrow(/schema must map column names to types/);
    expect(bad({ path: 'x.duckdb', table: 't', ifExists: 'merge' })).toThrow(/ifExists must be/);
    expect(bad({ path: 'x.duckdb', table: 't', schema: { batch_time: 'DOUBLE' } })).toThrow(/clashes with the batch time column/);
  });

  test('a database that cannot be opened is a clear error naming the file', async () => {
    const path = join(dir(), 'not-a-db.duckdb');
    await import('node:fs/promises').then((fs) => fs.writeFile(path, 'this is not a database'));
    await expect(sinks.duckdb({ path, table: 't' }).open!()).rejects.toThrow(/duckdb\(not-a-db\.duckdb:t\): cannot open the database .*not-a-db\.duckdb/);
  });
});
