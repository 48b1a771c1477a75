/**
 * The data-store sinks, used with `stream.saveTo(sink)`:
 *
 * ```ts
 * import { sinks } from 'sluice';
 * stats.saveTo(sinks.duckdb({ path: 'sensors.duckdb', table: 'sensor_stats' }));
 * ```
 */
import { duckdb } from './duckdb.js';

export type { Sink } from './sink.js';
export type { DuckDbSink, DuckDbSinkOptions, DuckDbSinkStats, DuckDbColumnType } from './duckdb.js';

/** Sinks for `stream.saveTo(...)`. `sinks.duckdb({ path, table })` writes each batch into a DuckDB table. */
export const sinks = Object.freeze({ duckdb });
