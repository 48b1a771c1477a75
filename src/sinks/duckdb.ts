/**
 * `sinks.duckdb({ path, table })`: writes every batch of a stream into a DuckDB table in a local
 * database file, with DuckDB's appender (a data chunk of 2,048 rows at a time), one transaction
 * per batch. No server: DuckDB runs in the process.
 *
 * The table's columns come from an explicit `schema`, or are inferred from the first non-empty
 * batch: plain objects give one column per property (nested objects flattened as `a_b`),
 * `[key, value]` tuples give `key` and `value` (or `key` and the value's properties when it is
 * an object, e.g. the `count, mean, min, max, stddev` of `stats`), and columnar batches (Arrow
 * input, kernel output) give the same columns straight from their typed arrays. Each row also
 * gets the batch time (column `batch_time`, a TIMESTAMP), which makes writes idempotent: a
 * retried batch first deletes what an earlier attempt of the same batch time wrote.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBType, DuckDBValue, DuckDBVector } from '@duckdb/node-api';
import type { Batch } from '../batch/batch.js';
import { keyAt, type PairColumns } from '../batch/columns.js';
import { loadClient } from '../load-client.js';
import type { Time } from '../time.js';
import type { Sink } from './sink.js';

/** The column types the DuckDB sink writes. */
export type DuckDbColumnType = 'BOOLEAN' | 'INTEGER' | 'UINTEGER' | 'BIGINT' | 'FLOAT' | 'DOUBLE' | 'VARCHAR' | 'TIMESTAMP';

/** Options of {@link duckdb}. */
export interface DuckDbSinkOptions {
  /** The database file, created if missing (`':memory:'` for a private in-memory database). */
  path: string;
  /** The table to write, created if missing: a plain SQL identifier such as `sensor_stats`. */
  table: string;
  /**
   * The table's columns in order, e.g. `{ sensor: 'INTEGER', mean: 'DOUBLE' }`. Object records
   * are matched by property name (missing properties are NULL, others ignored); tuples and
   * columnar batches by position: `key`, then `value` or the value's properties. Without it the
   * columns are inferred from the first non-empty batch: numbers are BIGINT when all of that
   * batch's are integers (widened to DOUBLE, with `ALTER TABLE`, when a fraction comes later) and
   * DOUBLE otherwise; bigints BIGINT, strings VARCHAR, booleans BOOLEAN, Dates TIMESTAMP, arrays
   * and other objects VARCHAR holding JSON; a column that is null throughout is VARCHAR.
   */
  schema?: Readonly<Record<string, DuckDbColumnType>>;
  /**
   * The TIMESTAMP column holding each row's batch time (default `'batch_time'`). With it, a
   * batch written again (a retry) replaces its earlier rows in the same transaction. `false`
   * leaves it out; a batch time not after the last one written is then skipped.
   */
  batchTimeColumn?: string | false;
  /**
   * When the table exists already: `'append'` (default; its columns must include the stream's),
   * `'replace'` (dropped and created again when the sink opens) or `'error'`.
   */
  ifExists?: 'append' | 'replace' | 'error';
}

/** What a {@link DuckDbSink} has written so far. */
export interface DuckDbSinkStats {
  /** Batches committed (empty batches are not counted: they write nothing). */
  batches: number;
  /** Rows committed. */
  rows: number;
  /** Rows of the last batch committed. */
  lastRows: number;
  /** Time of the last batch committed. */
  lastTime: Time | undefined;
}

/** The sink returned by {@link duckdb}; `stats` counts what it has written. */
export interface DuckDbSink<T> extends Sink<T> {
  readonly stats: Readonly<DuckDbSinkStats>;
  /** The resolved database path (or `':memory:'`). */
  readonly path: string;
  readonly table: string;
}

/**
 * DuckDB's client library. It is loaded when a sink opens, not with sluice (it is a native
 * addon): a job without a DuckDB sink never loads it.
 */
type DuckDbApi = typeof import('@duckdb/node-api');

const COLUMN_TYPES: readonly DuckDbColumnType[] = ['BOOLEAN', 'INTEGER', 'UINTEGER', 'BIGINT', 'FLOAT', 'DOUBLE', 'VARCHAR', 'TIMESTAMP'];

/** DuckDB's type of a column type (the library exports each under the same name). */
function duckDbType(api: DuckDbApi, type: DuckDbColumnType): DuckDBType {
  return api[type];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

/**
 * A sink writing each batch into a DuckDB table: `stream.saveTo(sinks.duckdb({ path, table }))`.
 *
 * Each batch is appended in one transaction (with the appender, a data chunk at a time) together
 * with its batch time, so a failed batch leaves nothing behind and a retried batch is never
 * written twice. The database is opened before the first batch and closed when the context
 * stops; sinks of the same file share one database.
 *
 * @example
 * ```ts
 * import { StreamingContext, Seconds, stats, sinks } from 'sluice';
 * const ssc = new StreamingContext({ batchInterval: Seconds(1) });
 * const readings = ssc.generatorStream((i) => [i % 100, Math.random()] as [number, number], { ratePerSec: 10_000 });
 * readings.reduceByKeyAndWindow(stats, Seconds(10)).saveTo(sinks.duckdb({ path: 'readings.duckdb', table: 'sensor_stats' }));
 * // sensor_stats(batch_time TIMESTAMP, key BIGINT, count BIGINT, mean DOUBLE, min DOUBLE, max DOUBLE, stddev DOUBLE)
 * ```
 *
 * @throws TypeError or RangeError at once for invalid options (a missing path, a table name
 *   that is not an identifier, an unknown column type).
 */
export function duckdb<T = unknown>(options: DuckDbSinkOptions): DuckDbSink<T> {
  return new DuckDbTableSink<T>(validate(options));
}

interface ValidOptions {
  path: string;
  table: string;
  schema: ColumnDef[] | undefined;
  batchTimeColumn: string | undefined;
  ifExists: 'append' | 'replace' | 'error';
}

function validate(options: DuckDbSinkOptions): ValidOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`sinks.duckdb: expected options { path, table }, got ${String(options)}`);
  }
  const { path, table, schema, batchTimeColumn = 'batch_time', ifExists = 'append' } = options;
  if (typeof path !== 'string' || path.trim() === '') {
    throw new TypeError(`sinks.duckdb: path must be the database file, e.g. { path: 'data.duckdb' }, got ${JSON.stringify(path)}`);
  }
  if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
    throw new TypeError(`sinks.duckdb: table must be an identifier (letters, digits, _; not starting with a digit), got ${JSON.stringify(table)}`);
  }
  if (!['append', 'replace', 'error'].includes(ifExists)) {
    throw new RangeError(`sinks.duckdb: ifExists must be 'append', 'replace' or 'error', got ${JSON.stringify(ifExists)}`);
  }
  if (batchTimeColumn !== false && (typeof batchTimeColumn !== 'string' || batchTimeColumn === '')) {
    throw new TypeError(`sinks.duckdb: batchTimeColumn must be a column name or false, got ${JSON.stringify(batchTimeColumn)}`);
  }
  let defs: ColumnDef[] | undefined;
  if (schema !== undefined) {
    if (typeof schema !== 'object' || schema === null || Object.keys(schema).length === 0) {
      throw new TypeError(`sinks.duckdb: schema must map column names to types, e.g. { sensor: 'INTEGER', mean: 'DOUBLE' }`);
    }
    defs = Object.entries(schema).map(([name, type]) => {
      if (!COLUMN_TYPES.includes(type)) {
        throw new TypeError(`sinks.duckdb: column "${name}" has type ${JSON.stringify(type)}; use one of ${COLUMN_TYPES.join(', ')}`);
      }
      if (name === batchTimeColumn) {
        throw new TypeError(`sinks.duckdb: schema column "${name}" clashes with the batch time column; rename it or set batchTimeColumn`);
      }
      return { name, type, widenable: false };
    });
  }
  return {
    path: path === ':memory:' ? path : resolve(path),
    table,
    schema: defs,
    batchTimeColumn: batchTimeColumn === false ? undefined : batchTimeColumn,
    ifExists,
  };
}

// ---------------------------------------------------------------- shared databases

/** Databases open in this process, by path: DuckDB refuses to open one file twice. */
const databases = new Map<string, { instance: Promise<DuckDBInstance>; refs: number }>();

async function acquire(api: DuckDbApi, path: string): Promise<DuckDBInstance> {
  if (path === ':memory:') return api.DuckDBInstance.create(path);
  let entry = databases.get(path);
  if (!entry) {
    mkdirSync(dirname(path), { recursive: true });
    entry = { instance: api.DuckDBInstance.create(path), refs: 0 };
    databases.set(path, entry);
    entry.instance.catch(() => databases.delete(path));
  }
  entry.refs++;
  return entry.instance;
}

async function release(path: string, instance: DuckDBInstance): Promise<void> {
  const entry = databases.get(path);
  if (path === ':memory:' || !entry) return instance.closeSync();
  if (--entry.refs === 0) {
    databases.delete(path);
    instance.closeSync();
  }
}

// ---------------------------------------------------------------- columns of a batch

interface ColumnDef {
  name: string;
  type: DuckDbColumnType;
  /** A BIGINT inferred from integers may become DOUBLE when a fraction comes; declared ones may not. */
  widenable: boolean;
}

/** One partition of a batch, column by column; `hint` is the type a typed column implies. */
interface ColumnSet {
  length: number;
  columns: Map<string, { data: ArrayLike<unknown>; hint?: DuckDbColumnType }>;
  /** Whether names are positional (tuples, columns) rather than properties (objects). */
  positional: boolean;
}

/** The columns of a columnar partition: `key`, then `value` or the five `stats` columns. */
function columnsOfPairs(p: PairColumns): ColumnSet {
  const columns: ColumnSet['columns'] = new Map();
  const k = p.keys;
  switch (k.kind) {
    case 'utf8':
    case 'dict':
      columns.set('key', { data: Array.from({ length: p.length }, (_, i) => keyAt(k, i)), hint: 'VARCHAR' });
      break;
    case 'f64':
      columns.set('key', { data: k.data, hint: 'DOUBLE' });
      break;
    default:
      columns.set('key', { data: k.data, hint: 'BIGINT' });
  }
  const v = p.values;
  if (v.kind === 'stats') {
    columns.set('count', { data: v.count, hint: 'BIGINT' });
    for (const f of ['mean', 'min', 'max', 'stddev'] as const) columns.set(f, { data: v[f], hint: 'DOUBLE' });
  } else {
    columns.set('value', { data: v.data, hint: v.kind === 'f64' || v.kind === 'f32' ? 'DOUBLE' : 'BIGINT' });
  }
  return { length: p.length, columns, positional: true };
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function flattenInto(row: Record<string, unknown>, prefix: string, value: Record<string, unknown>): void {
  for (const [name, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}_${name}` : name;
    if (isPlainObject(v)) flattenInto(row, key, v);
    else row[key] = v;
  }
}

/** A record as named fields: see {@link DuckDbSinkOptions.schema}. */
function fieldsOf(record: unknown): { row: Record<string, unknown>; positional: boolean } {
  const row: Record<string, unknown> = {};
  if (isPlainObject(record)) {
    flattenInto(row, '', record);
    return { row, positional: false };
  }
  if (Array.isArray(record) && record.length === 2) {
    const [k, v] = record as [unknown, unknown];
    if (isPlainObject(k)) flattenInto(row, 'key', k);
    else row.key = k;
    if (isPlainObject(v)) flattenInto(row, '', v);
    else row.value = v;
    return { row, positional: true };
  }
  row.value = record;
  return { row, positional: true };
}

/** The records of a row batch as columns, in order of first appearance. */
function columnsOfRecords(records: readonly unknown[]): ColumnSet {
  const columns: ColumnSet['columns'] = new Map();
  let positional = true;
  records.forEach((record, i) => {
    const f = fieldsOf(record);
    positional &&= f.positional;
    for (const [name, value] of Object.entries(f.row)) {
      let c = columns.get(name);
      if (!c) columns.set(name, (c = { data: new Array<unknown>(records.length) }));
      (c.data as unknown[])[i] = value;
    }
  });
  return { length: records.length, columns, positional };
}

function columnSetsOf(batch: Batch<unknown>): ColumnSet[] {
  if (batch.columns) return batch.columns.filter((p) => p.length > 0).map(columnsOfPairs);
  const records = batch.collect();
  return records.length === 0 ? [] : [columnsOfRecords(records)];
}

/** The type of a column of JS values, from all its values (see the `schema` option). */
function inferType(data: ArrayLike<unknown>): { type: DuckDbColumnType; widenable: boolean } {
  let type: DuckDbColumnType | undefined;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v === null || v === undefined) continue;
    const t: DuckDbColumnType =
      typeof v === 'number'
        ? Number.isSafeInteger(v)
          ? 'BIGINT'
          : 'DOUBLE'
        : typeof v === 'bigint'
          ? 'BIGINT'
          : typeof v === 'boolean'
            ? 'BOOLEAN'
            : v instanceof Date
              ? 'TIMESTAMP'
              : 'VARCHAR';
    if (type === undefined || type === t) type = t;
    else if ((type === 'BIGINT' && t === 'DOUBLE') || (type === 'DOUBLE' && t === 'BIGINT')) type = 'DOUBLE';
    else return { type: 'VARCHAR', widenable: false }; // mixed kinds: kept as text
  }
  return { type: type ?? 'VARCHAR', widenable: type === 'BIGINT' };
}

// ---------------------------------------------------------------- values

class WidenToDouble extends Error {}

function describeValue(v: unknown): string {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? `${v}n` : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
}

function json(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/**
 * `data` converted for a column of `def.type`; throws {@link WidenToDouble} when a widenable
 * BIGINT column meets a fraction, NaN or an integer beyond 2^53.
 */
function convertColumn(api: DuckDbApi, data: ArrayLike<unknown> | undefined, length: number, def: ColumnDef, table: string): (DuckDBValue | null)[] {
  const out = new Array<DuckDBValue | null>(length);
  if (data === undefined) return out.fill(null);
  const bad = (v: unknown): never => {
    throw new TypeError(`sinks.duckdb(${table}): column "${def.name}" is ${def.type}, and cannot hold ${describeValue(v)}`);
  };
  for (let i = 0; i < length; i++) {
    const v = data[i];
    if (v === null || v === undefined) {
      out[i] = null;
      continue;
    }
    switch (def.type) {
      case 'DOUBLE':
      case 'FLOAT':
        out[i] = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : bad(v);
        break;
      case 'BIGINT':
        if (typeof v === 'number') {
          if (Number.isSafeInteger(v)) out[i] = BigInt(v);
          else if (def.widenable) throw new WidenToDouble();
          else bad(v);
        } else if (typeof v === 'bigint') out[i] = v >= I64_MIN && v <= I64_MAX ? v : bad(v);
        else bad(v);
        break;
      case 'INTEGER':
      case 'UINTEGER': {
        const n = typeof v === 'bigint' ? Number(v) : v;
        const [lo, hi] = def.type === 'INTEGER' ? [-0x80000000, 0x7fffffff] : [0, 0xffffffff];
        out[i] = typeof n === 'number' && Number.isInteger(n) && n >= lo && n <= hi ? n : bad(v);
        break;
      }
      case 'BOOLEAN':
        out[i] = typeof v === 'boolean' ? v : bad(v);
        break;
      case 'VARCHAR':
        out[i] = typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : typeof v === 'object' ? json(v) : String(v);
        break;
      case 'TIMESTAMP': {
        // Dates, and numbers as epoch milliseconds (Sluice's times).
        const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number.NaN;
        out[i] = Number.isFinite(ms) ? new api.DuckDBTimestampValue(BigInt(Math.round(ms * 1000))) : bad(v);
        break;
      }
    }
  }
  return out;
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

// ---------------------------------------------------------------- the sink

class DuckDbTableSink<T> implements DuckDbSink<T> {
  readonly name: string;
  readonly path: string;
  readonly table: string;
  readonly stats: DuckDbSinkStats = { batches: 0, rows: 0, lastRows: 0, lastTime: undefined };
  /** The client library, once loaded (by the first open). */
  private api: DuckDbApi | undefined;
  private instance: DuckDBInstance | undefined;
  private connection: DuckDBConnection | undefined;
  /** The table's columns, batch time column excluded, once it exists. */
  private columns: ColumnDef[] | undefined;
  /** The batch time column's position among the table's columns. */
  private timeIndex = -1;
  private tableColumnCount = 0;
  /** Batch times at or before this may have rows already (from this run or an earlier one). */
  private highWater = -Infinity;
  /** Batch times whose write began but did not commit: a retry deletes what they left. */
  private readonly attempted = new Set<Time>();
  private closed = false;
  private opening: Promise<void> | undefined;

  constructor(private readonly options: ValidOptions) {
    this.path = options.path;
    this.table = options.table;
    this.name = `duckdb(${options.path === ':memory:' ? ':memory:' : options.path.split(/[\\/]/).pop()}:${options.table})`;
  }

  /** Opens the database and creates, replaces or checks the table; calls after the first share its outcome. */
  open(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.name} is closed`));
    this.opening ??= this.connect().catch((error: unknown) => {
      this.opening = undefined; // a later open (the batch's retry) tries again
      throw error;
    });
    return this.opening;
  }

  private async connect(): Promise<void> {
    const api = await loadClient('@duckdb/node-api', this.name, () => import('@duckdb/node-api'));
    this.api = api;
    let instance: DuckDBInstance;
    try {
      instance = await acquire(api, this.path);
    } catch (error) {
      throw new Error(`${this.name}: cannot open the database ${this.path}: ${(error as Error).message ?? error}`, { cause: error });
    }
    try {
      this.connection = await instance.connect();
      this.instance = instance;
      const exists = await this.tableExists();
      if (exists && this.options.ifExists === 'error') {
        throw new Error(`${this.name}: table ${this.table} exists already (ifExists: 'error')`);
      }
      if (exists && this.options.ifExists === 'replace') await this.connection.run(`DROP TABLE ${quote(this.table)}`);
      if (exists && this.options.ifExists === 'append') await this.adoptTable();
      else if (this.options.schema) await this.createTable(this.options.schema);
    } catch (error) {
      this.connection?.closeSync();
      this.connection = undefined;
      this.instance = undefined;
      await release(this.path, instance);
      throw error;
    }
  }

  async write(batch: Batch<T>, time: Time): Promise<void> {
    if (this.closed) throw new Error(`${this.name} is closed: it cannot write batch ${time}`);
    await this.open();
    const c = this.connection!;
    const api = this.api!;
    const timeColumn = this.options.batchTimeColumn;
    if (!timeColumn && time <= this.highWater) return; // written already, and nothing to replace it by
    const parts = columnSetsOf(batch as Batch<unknown>);
    const rows = parts.reduce((n, p) => n + p.length, 0);
    // Rows of this batch time may be in the table already: from an attempt whose outcome is not
    // known (it failed after its commit, say), or from an earlier run appending to the table.
    const replace = timeColumn !== undefined && this.columns !== undefined && (this.attempted.has(time) || time <= this.highWater);
    if (rows === 0 && !replace) return;
    if (!this.columns) await this.createTable(this.infer(parts));
    const converted = parts.map((p) => this.convert(api, p));
    const widen = this.columns!.filter((d, i) => converted.some((p) => p.widened.has(i)) && d.type === 'BIGINT');
    this.attempted.add(time);
    await c.run('BEGIN TRANSACTION');
    try {
      for (const d of widen) await c.run(`ALTER TABLE ${quote(this.table)} ALTER COLUMN ${quote(d.name)} TYPE DOUBLE`);
      if (replace) {
        await c.run(`DELETE FROM ${quote(this.table)} WHERE ${quote(timeColumn)} = $1`, [new api.DuckDBTimestampValue(BigInt(time) * 1000n)]);
      }
      if (rows > 0) await this.append(api, converted, time);
      await c.run('COMMIT');
    } catch (error) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
    for (const d of widen) d.type = 'DOUBLE';
    this.attempted.delete(time);
    this.highWater = Math.max(this.highWater, time);
    if (rows > 0) {
      this.stats.batches++;
      this.stats.rows += rows;
      this.stats.lastRows = rows;
      this.stats.lastTime = time;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.opening?.catch(() => undefined);
    const { connection, instance } = this;
    this.connection = undefined;
    this.instance = undefined;
    connection?.closeSync();
    if (instance) await release(this.path, instance);
  }

  private async tableExists(): Promise<boolean> {
    const r = await this.connection!.runAndReadAll(
      `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = $1`,
      [this.table],
    );
    return Number(r.getRows()[0]![0]) > 0;
  }

  /** Takes the existing table's columns; the stream's must be among them (checked per batch). */
  private async adoptTable(): Promise<void> {
    const c = this.connection!;
    const r = await c.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $1 ORDER BY ordinal_position`,
      [this.table],
    );
    const defs: ColumnDef[] = [];
    let timeIndex = -1;
    for (const [name, sqlType] of r.getRows() as [string, string][]) {
      if (name === this.options.batchTimeColumn) {
        if (sqlType !== 'TIMESTAMP') throw new Error(`${this.name}: column ${name} of the existing table is ${sqlType}, not the TIMESTAMP batch time`);
        timeIndex = defs.length; // its position among the table's columns: the others before it are in defs
        continue;
      }
      const type = COLUMN_TYPES.find((t) => t === sqlType);
      if (!type) {
        throw new Error(`${this.name}: column ${name} of the existing table is ${sqlType}, which this sink cannot write; use ifExists: 'replace' or another table`);
      }
      const declared = this.options.schema?.find((d) => d.name === name);
      if (declared && declared.type !== type) {
        throw new Error(`${this.name}: column ${name} of the existing table is ${sqlType}, but the schema says ${declared.type}`);
      }
      defs.push({ name, type, widenable: !declared && type === 'BIGINT' });
    }
    if (this.options.batchTimeColumn && timeIndex === -1) {
      throw new Error(
        `${this.name}: the existing table has no ${this.options.batchTimeColumn} column for the batch time; use ifExists: 'replace', another table, or batchTimeColumn: false`,
      );
    }
    if (this.options.schema) {
      const missing = this.options.schema.filter((d) => !defs.some((e) => e.name === d.name));
      if (missing.length > 0) throw new Error(`${this.name}: the existing table has no column ${missing.map((d) => d.name).join(', ')}`);
    }
    this.columns = defs;
    this.timeIndex = timeIndex;
    this.tableColumnCount = defs.length + (timeIndex === -1 ? 0 : 1);
    if (this.options.batchTimeColumn) {
      const max = await c.runAndReadAll(`SELECT epoch_ms(max(${quote(this.options.batchTimeColumn)})) FROM ${quote(this.table)}`);
      const v = max.getRows()[0]![0];
      if (v !== null && v !== undefined) this.highWater = Number(v);
    }
  }

  private async createTable(defs: ColumnDef[]): Promise<void> {
    const timeColumn = this.options.batchTimeColumn;
    if (timeColumn && defs.some((d) => d.name === timeColumn)) {
      throw new Error(`${this.name}: the records have a field "${timeColumn}", which clashes with the batch time column; set batchTimeColumn to another name`);
    }
    const cols = [...(timeColumn ? [`${quote(timeColumn)} TIMESTAMP`] : []), ...defs.map((d) => `${quote(d.name)} ${d.type}`)];
    await this.connection!.run(`CREATE TABLE ${quote(this.table)} (${cols.join(', ')})`);
    this.columns = defs.map((d) => ({ ...d }));
    this.timeIndex = timeColumn ? 0 : -1;
    this.tableColumnCount = defs.length + (timeColumn ? 1 : 0);
  }

  private infer(parts: ColumnSet[]): ColumnDef[] {
    const defs = new Map<string, ColumnDef>();
    for (const p of parts) {
      for (const [name, c] of p.columns) {
        const t = c.hint ? { type: c.hint, widenable: c.hint === 'BIGINT' } : inferType(c.data);
        const prev = defs.get(name);
        if (!prev) defs.set(name, { name, ...t });
        else if (prev.type !== t.type) defs.set(name, { name, type: numericUnion(prev.type, t.type), widenable: prev.widenable && t.widenable });
      }
    }
    return [...defs.values()];
  }

  /** A partition's values in the table's column order, converted to the columns' types. */
  private convert(api: DuckDbApi, p: ColumnSet): { length: number; values: ((DuckDBValue | null)[] | undefined)[]; widened: Set<number> } {
    const defs = this.columns!;
    const byPosition = this.options.schema !== undefined && p.positional;
    const names = [...p.columns.keys()];
    if (byPosition && names.length > defs.length) {
      throw new TypeError(`${this.name}: the records have ${names.length} fields (${names.join(', ')}) but the schema has ${defs.length} columns`);
    }
    const source = (d: ColumnDef, i: number) => (byPosition ? p.columns.get(names[i]!) : p.columns.get(d.name));
    if (!byPosition) {
      const unknown = names.filter((n) => !defs.some((d) => d.name === n));
      if (unknown.length > 0 && this.options.schema === undefined) {
        throw new TypeError(
          `${this.name}: the records have field(s) ${unknown.join(', ')} that table ${this.table} has no column for (its columns: ${defs.map((d) => d.name).join(', ')})`,
        );
      }
    }
    const widened = new Set<number>();
    const values = defs.map((d, i) => {
      const data = source(d, i)?.data;
      try {
        return convertColumn(api, data, p.length, d, this.table);
      } catch (error) {
        if (!(error instanceof WidenToDouble)) throw error;
        widened.add(i);
        return convertColumn(api, data, p.length, { ...d, type: 'DOUBLE' }, this.table);
      }
    });
    return { length: p.length, values, widened };
  }

  private async append(api: DuckDbApi, parts: ReturnType<DuckDbTableSink<T>['convert']>[], time: Time): Promise<void> {
    const defs = this.columns!;
    const widened = new Set(parts.flatMap((p) => [...p.widened]));
    const types: DuckDBType[] = [];
    for (let i = 0, d = 0; i < this.tableColumnCount; i++) {
      if (i === this.timeIndex) types.push(api.TIMESTAMP);
      else types.push(duckDbType(api, widened.has(d) ? 'DOUBLE' : defs[d]!.type)), d++;
    }
    const appender = await this.connection!.createAppender(this.table);
    try {
      const chunk = api.DuckDBDataChunk.create(types, CHUNK_ROWS);
      const stamp = new api.DuckDBTimestampValue(BigInt(time) * 1000n);
      for (const p of parts) {
        // A column widened in another partition only: its values are numbers already or bigints.
        const values = p.values.map((v, d) => (widened.has(d) && !p.widened.has(d) ? v?.map((x) => (typeof x === 'bigint' ? Number(x) : x)) : v));
        for (let off = 0; off < p.length; off += CHUNK_ROWS) {
          const m = Math.min(CHUNK_ROWS, p.length - off);
          chunk.reset();
          chunk.rowCount = m;
          for (let i = 0, d = 0; i < this.tableColumnCount; i++) {
            const vector = chunk.getColumnVector(i) as DuckDBVector<DuckDBValue>;
            if (i === this.timeIndex) {
              for (let r = 0; r < m; r++) vector.setItem(r, stamp);
            } else {
              const col = values[d++];
              for (let r = 0; r < m; r++) vector.setItem(r, col ? (col[off + r] ?? null) : null);
            }
            vector.flush();
          }
          appender.appendDataChunk(chunk);
        }
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }
}

function numericUnion(a: DuckDbColumnType, b: DuckDbColumnType): DuckDbColumnType {
  const numeric = new Set<DuckDbColumnType>(['BIGINT', 'DOUBLE', 'INTEGER', 'UINTEGER', 'FLOAT']);
  return numeric.has(a) && numeric.has(b) ? 'DOUBLE' : 'VARCHAR';
}
