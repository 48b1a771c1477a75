import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { detect, withoutMissing } from '../../src/cli/demo.js';
import { SensorFleet } from '../../src/cli/sensor-fleet.js';
import { Batch, type Stats } from '../../src/index.js';
import { waitFor } from '../support/async.js';
import { killChildrenAfterEach, num, sluice, summaryValue } from './cli-process.js';

killChildrenAfterEach();

async function query(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path);
  try {
    const c = await instance.connect();
    const rows = (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    c.closeSync();
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    instance.closeSync();
  }
}

describe('sluice demo', () => {
  test('runs for --duration, stops gracefully, prints a consistent summary and fills the DuckDB store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-demo-'));
    try {
      const store = join(dir, 'fleet.duckdb');
      const rate = 20_000;
      const sensors = 500;
      const run = sluice(['demo', '--duration', '10s', '--sensors', String(sensors), '--rate', '20k', '--stats-every', '2s', '--store', store, '--ui-port', '0']);
      // The web UI is served while the demo runs.
      await waitFor(() => /^UI: http:\/\/127\.0\.0\.1:\d+$/m.test(run.stdout()), 'the UI address', 15_000, 50);
      const ui = await fetch(/^UI: (\S+)$/m.exec(run.stdout())![1]!);
      expect(ui.status).toBe(200);
      expect(await run.exited, run.stderr()).toBe(0);
      const out = run.stdout();

      // The summary's numbers agree with each other and with the options.
      const events = num(summaryValue(out, 'events'));
      const batches = num(summaryValue(out, 'batches'));
      const perSecond = num(summaryValue(out, 'events/s'));
      expect(events).toBeGreaterThanOrEqual(rate * 10 * 0.9);
      expect(events).toBeLessThanOrEqual(rate * 10 * 1.1);
      expect(events).toBe(batches * rate); // one second of readings per batch
      expect(batches).toBeGreaterThanOrEqual(9);
      expect(batches).toBeLessThanOrEqual(11);
      expect(perSecond).toBeGreaterThanOrEqual(rate * 0.9);
      expect(perSecond).toBeLessThanOrEqual(rate * 1.1);
      const processing = /^mean ([\d.]+) ms, p99 ([\d.]+) ms \(batch interval 1s\)$/.exec(summaryValue(out, 'processing'));
      expect(processing, out).not.toBeNull();
      expect(Number(processing![2])).toBeGreaterThanOrEqual(Number(processing![1]));
      expect(summaryValue(out, 'store')).toBe(store);
      // A summary line per batch, and the status line (plain lines: stdout is a pipe).
      expect(out.match(/^\[\d\d:\d\d:\d\d\] [\d,]+ readings \([\d,]+ missing\) · \d+ outliers? · \d+ stuck · \d+ silent → [\d,]+ rows/gm)?.length).toBe(batches);
      expect(out.match(/^batch \d\d:\d\d:\d\d \| 20,000 rec\/s \| processing \d+ ms \/ 1s \(\d+%\) \| delay \d+ ms \| backlog \d+$/gm)?.length).toBe(batches);
      expect(out).not.toContain('\x1b[');
      expect(out).toContain('10s elapsed: stopping gracefully');

      // The store: window statistics for every sensor every 2 s, and the anomalies.
      const snapshots = Math.floor(batches / 2);
      const [totals] = await query(store, 'SELECT count(*) AS n, count(DISTINCT sensor) AS sensors, count(DISTINCT batch_time) AS times FROM sensor_stats');
      expect(totals).toEqual({ n: sensors * snapshots, sensors, times: snapshots });
      const tables = summaryValue(out, 'tables');
      expect(tables).toBe(`sensor_stats ${(sensors * snapshots).toLocaleString('en-US')} rows, anomalies ${tables.match(/anomalies ([\d,]+) rows/)![1]} rows`);
      const [last] = await query(
        store,
        `SELECT min(count) AS min_count, max(count) AS max_count, bool_and(min <= mean AND mean <= max) AS ordered,
                min(mean) AS lowest, max(mean) AS highest, max(stddev) AS widest, min(stddev) AS narrowest
           FROM sensor_stats WHERE batch_time = (SELECT max(batch_time) FROM sensor_stats)`,
      );
      // 40 readings per sensor per second; the last window holds every batch so far but dropouts.
      const perSensor = (rate / sensors) * snapshots * 2;
      expect(last!.max_count).toBe(perSensor);
      expect(last!.min_count).toBeGreaterThan(perSensor * 0.5);
      expect(last!.ordered).toBe(true);
      expect(last!.lowest).toBeGreaterThan(-10);
      expect(last!.highest).toBeLessThan(50);
      expect(last!.narrowest).toBeGreaterThanOrEqual(0);
      expect(last!.widest).toBeLessThan(20);
      const columns = await query(store, "SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_name = 'sensor_stats' ORDER BY ordinal_position");
      expect(columns.map((r) => `${r.c} ${r.t}`)).toEqual([
        'batch_time TIMESTAMP',
        'sensor INTEGER',
        'count BIGINT',
        'mean DOUBLE',
        'min DOUBLE',
        'max DOUBLE',
        'stddev DOUBLE',
        'anomalies INTEGER',
      ]);
      const kinds = await query(store, 'SELECT DISTINCT kind FROM anomalies');
      expect(kinds.every((r) => ['outlier', 'stuck', 'silent'].includes(r.kind as string))).toBe(true);
      const [outliers] = await query(store, "SELECT count(*) AS n, coalesce(min(z), 99) AS z FROM anomalies WHERE kind = 'outlier'");
      expect(outliers!.z).toBeGreaterThan(5);
      expect(summaryValue(out, 'anomalies')).toMatch(new RegExp(`^${outliers!.n} outlier readings`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 45_000);

  test.each([
    [['--batch', '2x'], /option '--batch <duration>' argument '2x' is invalid\. "2x" is not a duration; use e\.g\. 500ms, 1s, 2m or 1h/],
    [['--duration', '10'], /'--duration <duration>' argument '10' is invalid\. "10" is not a duration \(add a unit: 10s or 10ms\)/],
    [['--batch', '2s', '--window', '45s'], /--window \(45s\) must be a multiple of --batch \(2s\)/],
    [['--rate', '-5'], /'--rate <r>' argument '-5' is invalid\. It must be a positive number of readings per second/],
    [['--sensors', '1.5'], /'--sensors <n>' argument '1\.5' is invalid\. It must be an integer from 1 to 4,294,967,295/],
    [['--bogus'], /unknown option '--bogus'/],
  ])('sluice demo %j is a usage error: a clear message and exit code 2', async (args, message) => {
    const run = sluice(['demo', ...args]);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(message);
  }, 20_000);
});

describe('the simulation and the detection', () => {
  test('the fleet is deterministic for a seed, and injects spikes, stuck values and dropouts', () => {
    const make = (seed: number) => {
      const fleet = new SensorFleet({ sensors: 100, seed, spikeProbability: 1e-3, faultsPerHour: 100 });
      const tables = [1000, 2000, 3000, 4000, 5000].map((t, i) => fleet.readings(i * 10_000, 10_000, t));
      return { fleet, values: tables.flatMap((t) => Array.from(t.getChild('value')!.toArray() as Float64Array)) };
    };
    const a = make(7);
    const b = make(7);
    const c = make(8);
    expect(a.values).toEqual(b.values);
    expect(a.values).not.toEqual(c.values);
    const { counters } = a.fleet;
    expect(counters.readings).toBe(50_000);
    expect(counters.spikes).toBeGreaterThan(20);
    expect(counters.stuckEpisodes + counters.dropoutEpisodes).toBeGreaterThan(0);
    expect(a.values.filter(Number.isNaN).length).toBe(counters.missing);
    const finite = a.values.filter(Number.isFinite);
    expect(finite.reduce((s, v) => s + v, 0) / finite.length).toBeGreaterThan(10);
    expect(finite.reduce((s, v) => s + v, 0) / finite.length).toBeLessThan(30);
  });

  test('readings are judged against the window without their own batch; stuck and silent sensors are reported', () => {
    // Sensor 0: baseline mean 10, sd 1 over 100 readings; this batch adds 10 (normal) and 40 (a spike).
    // Sensor 1: stuck at 5 (three equal readings). Sensor 2: silent (NaN only).
    const base = { count: 100, sum: 1000, sumsq: 100 * (1 + 100) };
    const batchValues = [10, 40];
    const n = base.count + batchValues.length;
    const total = base.sum + batchValues.reduce((s, v) => s + v, 0);
    const totalSq = base.sumsq + batchValues.reduce((s, v) => s + v * v, 0);
    const m = total / n;
    const window: [number, Stats][] = [
      [0, { count: n, mean: m, min: 8, max: 40, stddev: Math.sqrt(totalSq / n - m * m) }],
      [1, { count: 3, mean: 5, min: 5, max: 5, stddev: 0 }],
    ];
    const readings = Batch.fromArrow<[number, number]>(
      tableFromArrays({ key: Uint32Array.from([0, 0, 1, 1, 1, 2, 2]), value: Float64Array.from([10, 40, 5, 5, 5, NaN, NaN]) }),
    );
    const d = detect(readings, Batch.of(window), 3, 5);
    expect(d).toMatchObject({ readings: 7, missing: 2, outliers: 1, stuck: 1, silent: 1 });
    expect(d.anomalies).toEqual([
      { sensor: 0, kind: 'outlier', value: 40, mean: expect.closeTo(10, 9), stddev: expect.closeTo(1, 9), z: expect.closeTo(30, 6) },
      { sensor: 1, kind: 'stuck', value: 5, mean: null, stddev: null, z: null },
      { sensor: 2, kind: 'silent', value: null, mean: null, stddev: null, z: null },
    ]);
  });

  test('missing readings are dropped from the columns without leaving the columnar form', () => {
    const batch = Batch.fromArrow<[number, number]>(tableFromArrays({ key: Uint32Array.from([1, 2, 3]), value: Float64Array.from([1, NaN, 3]) }));
    const valid = withoutMissing(batch);
    expect(valid.columns).toBeDefined();
    expect(valid.collect()).toEqual([
      [1, 1],
      [3, 3],
    ]);
  });
});
