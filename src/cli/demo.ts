/**
 * `sluice demo`: sensor ingestion on embedded defaults. A simulated fleet (generator source,
 * Arrow columns) → per-sensor sliding-window statistics on the WebAssembly kernels
 * (`reduceByKeyAndWindow(stats, window, batch)`) → anomaly flags: a reading more than
 * `threshold` standard deviations from its sensor's mean over the window before it, a stuck
 * sensor (one value repeated), a silent one (values missing) → two tables in one DuckDB file:
 *
 * - `anomalies`: one row per flagged reading or faulty sensor, every batch;
 * - `sensor_stats`: each sensor's window statistics and its anomalies in the window, every
 *   `statsEvery` (a second pair of windows, sliding by that much).
 *
 * A line per batch summarises what was found.
 */
import { Batch, type Pair } from '../batch/batch.js';
import type { PairColumns } from '../batch/columns.js';
import { StreamingContext } from '../context.js';
import { stats, sum, type Stats } from '../reducers.js';
import { duckdb, type DuckDbSink } from '../sinks/duckdb.js';
import { formatDurationShort } from './durations.js';
import { SensorFleet } from './sensor-fleet.js';
import { clockTime } from './status-line.js';
import { formatCount, type SummaryLine } from './summary.js';

/** Options of the demo (the CLI's flags, parsed). */
export interface DemoOptions {
  sensors: number;
  /** Readings per second, over the whole fleet. */
  rate: number;
  batchMs: number;
  windowMs: number;
  /** How often `sensor_stats` gets a row per sensor (a multiple of the batch interval). */
  statsEveryMs: number;
  /** The UI's port (0: any free port), or false for no UI. */
  uiPort: number | false;
  /** The DuckDB file. */
  store: string;
  seed: number;
  /** A reading is an anomaly when it is more than this many standard deviations from its baseline mean. */
  threshold: number;
}

export const DEMO_DEFAULTS: DemoOptions = {
  sensors: 10_000,
  rate: 1_000_000,
  batchMs: 1_000,
  windowMs: 30_000,
  statsEveryMs: 10_000,
  uiPort: 4040,
  store: 'sluice-demo.duckdb',
  seed: 1,
  threshold: 5,
};

/**
 * A sensor's readings are judged once its baseline holds this many readings: a standard
 * deviation estimated from fewer would flag ordinary noise (|t| > 5 is 100 times likelier with
 * 10 readings than with 50).
 */
const MIN_COUNT = 50;

/** One row of `sensor_stats`: a sensor's statistics over the window, and its anomalies in it. */
export interface SensorStatsRow {
  sensor: number;
  count: number;
  mean: number;
  min: number;
  max: number;
  stddev: number;
  /** Rows of `anomalies` for this sensor in the window. */
  anomalies: number;
}

/** One row of `anomalies`: a reading far from its sensor's baseline, or a faulty sensor in a batch. */
export interface AnomalyRow {
  sensor: number;
  /** `outlier` (one reading), `stuck` (the batch's readings all equal) or `silent` (values missing, none valid). */
  kind: 'outlier' | 'stuck' | 'silent';
  /** The reading (outlier), the repeated value (stuck), null (silent). */
  value: number | null;
  /** The sensor's mean and standard deviation over the window before this batch, if known. */
  mean: number | null;
  stddev: number | null;
  /** |value − mean| / stddev, if known. */
  z: number | null;
}

/** What the detection found in one batch. */
export interface Detection {
  readings: number;
  missing: number;
  anomalies: AnomalyRow[];
  outliers: number;
  stuck: number;
  silent: number;
}

/** Totals over the run, for the summary. */
export interface DemoTotals {
  outliers: number;
  stuckSensorBatches: number;
  silentSensorBatches: number;
}

/** The demo's context (not started) and what the CLI reports on. */
export interface Demo {
  ssc: StreamingContext;
  fleet: SensorFleet;
  statsSink: DuckDbSink<SensorStatsRow>;
  anomalySink: DuckDbSink<AnomalyRow>;
  totals: DemoTotals;
  /** Opens the store (so that a locked or unwritable file is reported before the job starts). */
  openStore(): Promise<void>;
  /** Closes the store (also done when the context stops; closing twice is harmless). */
  closeStore(): Promise<void>;
  /** The summary's extra lines. */
  summary(): SummaryLine[];
}

/** Throws a RangeError naming the flag for an option the demo cannot run with. */
export function validateDemoOptions(o: DemoOptions): void {
  if (!Number.isSafeInteger(o.sensors) || o.sensors < 1) throw new RangeError(`--sensors must be a positive integer, got ${o.sensors}`);
  if (!(Number.isFinite(o.rate) && o.rate > 0)) throw new RangeError(`--rate must be a positive number of readings per second, got ${o.rate}`);
  for (const [flag, ms] of [
    ['--window', o.windowMs],
    ['--stats-every', o.statsEveryMs],
  ] as const) {
    if (ms < o.batchMs || ms % o.batchMs !== 0) {
      throw new RangeError(`${flag} (${formatDurationShort(ms)}) must be a multiple of --batch (${formatDurationShort(o.batchMs)})`);
    }
  }
  if (!(Number.isFinite(o.threshold) && o.threshold > 0)) throw new RangeError(`--threshold must be a positive number, got ${o.threshold}`);
  if (o.store.trim() === '') throw new RangeError('--store must be a file path');
}

/** Builds the demo's job. `log` prints the per-batch summary lines. */
export function buildDemo(o: DemoOptions, log: (line: string) => void): Demo {
  validateDemoOptions(o);
  const ssc = new StreamingContext({
    batchInterval: o.batchMs,
    appName: 'sensor-fleet',
    ui: o.uiPort === false ? false : { port: o.uiPort },
  });
  const fleet = new SensorFleet({ sensors: o.sensors, seed: o.seed });
  const totals: DemoTotals = { outliers: 0, stuckSensorBatches: 0, silentSensorBatches: 0 };

  // Readings as Arrow columns (sensor id, value; NaN while a sensor is in a dropout).
  const raw = ssc.columnarGeneratorStream<Pair<number, number>>((first, count, time) => fleet.readings(first, count, time), { ratePerSec: o.rate });
  const valid = raw.transform((batch) => withoutMissing(batch));
  // Per-sensor statistics over the window, every batch: the baseline readings are judged against.
  const recent = valid.reduceByKeyAndWindow(stats, o.windowMs, o.batchMs);
  const detections = raw.transformWith(recent, (readings, window) => Batch.of([detect(readings, window, o.sensors, o.threshold)]));
  const anomalies = detections.flatMap((d) => d.anomalies);

  // sensor_stats: the window's statistics and anomaly counts per sensor, every statsEvery.
  const windowStats = valid.reduceByKeyAndWindow(stats, o.windowMs, o.statsEveryMs);
  const windowAnomalies = anomalies.map((a) => [a.sensor, 1] as Pair<number, number>).reduceByKeyAndWindow(sum, o.windowMs, o.statsEveryMs);
  const snapshots = windowStats.transformWith(windowAnomalies, (s, a) => Batch.of(statsRows(s, a)));

  const statsSink = duckdb<SensorStatsRow>({
    path: o.store,
    table: 'sensor_stats',
    ifExists: 'replace',
    schema: { sensor: 'INTEGER', count: 'BIGINT', mean: 'DOUBLE', min: 'DOUBLE', max: 'DOUBLE', stddev: 'DOUBLE', anomalies: 'INTEGER' },
  });
  const anomalySink = duckdb<AnomalyRow>({
    path: o.store,
    table: 'anomalies',
    ifExists: 'replace',
    schema: { sensor: 'INTEGER', kind: 'VARCHAR', value: 'DOUBLE', mean: 'DOUBLE', stddev: 'DOUBLE', z: 'DOUBLE' },
  });
  anomalies.saveTo(anomalySink);
  snapshots.saveTo(statsSink);
  detections.foreachRDD((batch, time) => {
    const d = batch.collect()[0];
    if (!d) return;
    totals.outliers += d.outliers;
    totals.stuckSensorBatches += d.stuck;
    totals.silentSensorBatches += d.silent;
    log(batchSummary(d, time, statsSink, anomalySink));
  });

  return {
    ssc,
    fleet,
    statsSink,
    anomalySink,
    totals,
    openStore: async () => {
      await statsSink.open!();
      await anomalySink.open!();
    },
    closeStore: async () => {
      await statsSink.close!();
      await anomalySink.close!();
    },
    summary: () => [
      ['sensors', `${formatCount(o.sensors)} (${formatCount(fleet.counters.missing)} readings missing in dropouts)`],
      [
        'anomalies',
        `${formatCount(totals.outliers)} outlier readings (|x − mean| > ${o.threshold}σ; ${formatCount(fleet.counters.spikes)} spikes injected), ` +
          `${formatCount(totals.stuckSensorBatches)} stuck and ${formatCount(totals.silentSensorBatches)} silent sensor-batches ` +
          `(${formatCount(fleet.counters.stuckEpisodes)} stuck and ${formatCount(fleet.counters.dropoutEpisodes)} dropout episodes injected)`,
      ],
      ['store', statsSink.path],
      ['tables', `sensor_stats ${formatCount(statsSink.stats.rows)} rows, anomalies ${formatCount(anomalySink.stats.rows)} rows`],
    ],
  };
}

/** `[12:00:05] 1,000,000 readings (12 missing) · 2 outliers · 1 stuck · 0 silent → 3 rows` (+ the worst outlier). */
function batchSummary(d: Detection, time: number, statsSink: DuckDbSink<unknown>, anomalySink: DuckDbSink<unknown>): string {
  const rows = (s: DuckDbSink<unknown>) => (s.stats.lastTime === time ? s.stats.lastRows : 0);
  let line =
    `[${clockTime(time)}] ${formatCount(d.readings)} readings (${formatCount(d.missing)} missing) · ` +
    `${d.outliers} outlier${d.outliers === 1 ? '' : 's'} · ${d.stuck} stuck · ${d.silent} silent → ${formatCount(rows(statsSink) + rows(anomalySink))} rows`;
  let worst: AnomalyRow | undefined;
  for (const a of d.anomalies) if (a.kind === 'outlier' && (!worst || a.z! > worst.z!)) worst = a;
  if (worst) {
    line += ` · worst: sensor ${worst.sensor} read ${worst.value!.toFixed(2)} (mean ${worst.mean!.toFixed(2)} ± ${worst.stddev!.toFixed(2)}, z ${worst.z!.toFixed(1)})`;
  }
  return line;
}

/** Rows of `sensor_stats` from the window statistics and the window's anomaly counts. */
export function statsRows(window: Batch<Pair<number, Stats>>, anomalyCounts: Batch<Pair<number, number>>): SensorStatsRow[] {
  const counts = new Map<number, number>(anomalyCounts.collect());
  const rows: SensorStatsRow[] = [];
  forEachStats(window, (sensor, count, mean, min, max, stddev) => {
    rows.push({ sensor, count, mean, min, max, stddev, anomalies: counts.get(sensor) ?? 0 });
  });
  return rows;
}

/**
 * Calls `visit` with each sensor's window statistics: straight from the `stats` columns when the
 * batch has them (no object per sensor), from its records otherwise.
 */
function forEachStats(
  window: Batch<Pair<number, Stats>>,
  visit: (sensor: number, count: number, mean: number, min: number, max: number, stddev: number) => void,
): void {
  const cols = window.columns;
  if (cols?.every((p) => p.values.kind === 'stats' && (p.keys.kind === 'u32' || p.keys.kind === 'i32'))) {
    for (const p of cols) {
      const v = p.values as Extract<PairColumns['values'], { kind: 'stats' }>;
      const keys = (p.keys as { data: Uint32Array | Int32Array }).data;
      for (let i = 0; i < p.length; i++) visit(keys[i]!, v.count[i]!, v.mean[i]!, v.min[i]!, v.max[i]!, v.stddev[i]!);
    }
  } else {
    for (const [sensor, s] of window.collect()) visit(sensor, s.count, s.mean, s.min, s.max, s.stddev);
  }
}

/** The readings with a value: a dropout's NaN readings removed, kept columnar. */
export function withoutMissing(batch: Batch<Pair<number, number>>): Batch<Pair<number, number>> {
  if (!batch.columns) return batch.filter(([, v]) => !Number.isNaN(v));
  const parts: PairColumns[] = [];
  for (const p of batch.columns) {
    if (p.values.kind !== 'f64' || (p.keys.kind !== 'u32' && p.keys.kind !== 'i32')) return batch.filter(([, v]) => !Number.isNaN(v));
    const keys = p.keys.data;
    const values = p.values.data;
    let n = 0;
    for (let i = 0; i < p.length; i++) if (values[i] === values[i]) n++;
    if (n === p.length) {
      parts.push(p);
      continue;
    }
    const k = new Uint32Array(n);
    const v = new Float64Array(n);
    for (let i = 0, j = 0; i < p.length; i++) {
      if (values[i] !== values[i]) continue;
      k[j] = keys[i]!;
      v[j++] = values[i]!;
    }
    parts.push({ length: n, keys: { kind: 'u32', data: k }, values: { kind: 'f64', data: v } });
  }
  return Batch.fromColumns<number, number>(parts);
}

/**
 * Flags the batch's readings against their sensors' window statistics with this batch left out
 * (the window at t includes batch t, so its count, sum and sum of squares are taken off first:
 * a spike must not hide by inflating its own baseline), then adds a row for each stuck sensor
 * (all of this batch's readings equal) and each silent one (values missing, none valid).
 * Sensors are ids below `sensors`; typed arrays indexed by id keep this to two passes over the
 * readings.
 */
export function detect(readings: Batch<Pair<number, number>>, window: Batch<Pair<number, Stats>>, sensors: number, threshold: number): Detection {
  const n = sensors;
  const count = new Float64Array(n);
  const mean = new Float64Array(n);
  const sd = new Float64Array(n);
  const inWindow = new Uint8Array(n);
  const put = (key: unknown, c: number, m: number, s: number) => {
    if (typeof key !== 'number' || !(key >= 0 && key < n)) return;
    count[key] = c;
    mean[key] = m;
    sd[key] = s;
    inWindow[key] = 1;
  };
  forEachStats(window, (key, c, m, _min, _max, s) => put(key, c, m, s));

  // Pass 1: this batch per sensor (valid and missing readings, sum, sum of squares, min, max).
  const valid = new Uint32Array(n);
  const missing = new Uint32Array(n);
  const sum = new Float64Array(n);
  const sumsq = new Float64Array(n);
  const lo = new Float64Array(n).fill(Infinity);
  const hi = new Float64Array(n).fill(-Infinity);
  let total = 0;
  let totalMissing = 0;
  const forEachReading = (visit: (sensor: number, x: number) => void) => {
    const cols = readings.columns;
    if (cols?.every((p) => p.values.kind === 'f64' && (p.keys.kind === 'u32' || p.keys.kind === 'i32'))) {
      for (const p of cols) {
        const keys = (p.keys as { data: Uint32Array | Int32Array }).data;
        const values = (p.values as { data: Float64Array }).data;
        for (let i = 0; i < p.length; i++) {
          const s = keys[i]!;
          if (s >= 0 && s < n) visit(s, values[i]!);
        }
      }
    } else {
      for (const [s, x] of readings.collect()) if (s >= 0 && s < n) visit(s, x);
    }
  };
  forEachReading((s, x) => {
    total++;
    if (x !== x) {
      missing[s]!++;
      totalMissing++;
      return;
    }
    valid[s]!++;
    sum[s]! += x;
    sumsq[s]! += x * x;
    if (x < lo[s]!) lo[s] = x;
    if (x > hi[s]!) hi[s] = x;
  });

  // The baseline: the window without this batch.
  const baseCount = new Float64Array(n);
  const baseMean = new Float64Array(n);
  const baseSd = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const c = count[s]! - valid[s]!;
    if (!inWindow[s] || c < MIN_COUNT) continue;
    const m = (count[s]! * mean[s]! - sum[s]!) / c;
    const sq = count[s]! * (sd[s]! * sd[s]! + mean[s]! * mean[s]!) - sumsq[s]!;
    baseCount[s] = c;
    baseMean[s] = m;
    baseSd[s] = Math.sqrt(Math.max(0, sq / c - m * m));
  }

  // Pass 2: each reading against its sensor's baseline.
  const anomalies: AnomalyRow[] = [];
  // A stuck sensor's repeated value is reported as such, not reading by reading.
  const isStuck = (s: number) => valid[s]! >= 3 && lo[s] === hi[s];
  forEachReading((s, x) => {
    const sigma = baseSd[s]!;
    if (x !== x || baseCount[s] === 0 || !(sigma > 0) || isStuck(s)) return;
    const z = Math.abs(x - baseMean[s]!) / sigma;
    if (z > threshold) {
      anomalies.push({ sensor: s, kind: 'outlier', value: x, mean: baseMean[s]!, stddev: sigma, z });
    }
  });

  let stuck = 0;
  let silent = 0;
  const outliers = anomalies.length;
  for (let s = 0; s < n; s++) {
    const kind = missing[s]! > 0 && valid[s] === 0 ? 'silent' : isStuck(s) ? 'stuck' : undefined;
    if (!kind) continue;
    if (kind === 'silent') silent++;
    else stuck++;
    const known = baseCount[s]! > 0;
    const value = kind === 'stuck' ? lo[s]! : null;
    anomalies.push({
      sensor: s,
      kind,
      value,
      mean: known ? baseMean[s]! : null,
      stddev: known ? baseSd[s]! : null,
      z: known && value !== null && baseSd[s]! > 0 ? Math.abs(value - baseMean[s]!) / baseSd[s]! : null,
    });
  }
  return { readings: total, missing: totalMissing, anomalies, outliers, stuck, silent };
}
