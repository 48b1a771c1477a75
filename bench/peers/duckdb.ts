/**
 * Peer: DuckDB through `@duckdb/node-api`, one thread (`SET threads=1`). The node API has no
 * Arrow ingestion, so a batch is loaded with the appender, a data chunk (vector size) at a
 * time — its fastest path — and the load is timed apart from the GROUP BY query.
 */
import {
  DOUBLE,
  DuckDBDataChunk,
  DuckDBInstance,
  UINTEGER,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBDoubleVector,
  type DuckDBMaterializedResult,
  type DuckDBUIntegerVector,
  type DuckDBVarCharVector,
} from '@duckdb/node-api';

/** DuckDB's standard vector size: the most rows one data chunk holds. */
const CHUNK = 2048;

export class DuckDBPeer {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  static async open(): Promise<DuckDBPeer> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await instance.connect();
    await connection.run('SET threads=1');
    return new DuckDBPeer(instance, connection);
  }

  /** `current_setting('threads')`, to record that the run really was single-threaded. */
  async threads(): Promise<number> {
    const rows = (await this.connection.runAndReadAll("SELECT current_setting('threads')")).getRows();
    return Number(rows[0]![0]);
  }

  /** (Re)creates table `name (k UINTEGER|VARCHAR, v DOUBLE)` and appends the batch. */
  async load(name: string, keys: Uint32Array | readonly string[], values: Float64Array): Promise<void> {
    const strings = !(keys instanceof Uint32Array);
    await this.connection.run(`CREATE OR REPLACE TABLE ${name} (k ${strings ? 'VARCHAR' : 'UINTEGER'}, v DOUBLE)`);
    const appender = await this.connection.createAppender(name);
    const chunk = DuckDBDataChunk.create([strings ? VARCHAR : UINTEGER, DOUBLE], CHUNK);
    const n = values.length;
    for (let off = 0; off < n; off += CHUNK) {
      const m = Math.min(CHUNK, n - off);
      chunk.reset();
      chunk.rowCount = m;
      const vv = chunk.getColumnVector(1) as DuckDBDoubleVector;
      if (strings) {
        const kv = chunk.getColumnVector(0) as DuckDBVarCharVector;
        for (let i = 0; i < m; i++) kv.setItem(i, keys[off + i]!);
        kv.flush();
      } else {
        const kv = chunk.getColumnVector(0) as DuckDBUIntegerVector;
        for (let i = 0; i < m; i++) kv.setItem(i, keys[off + i]!);
        kv.flush();
      }
      for (let i = 0; i < m; i++) vv.setItem(i, values[off + i]!);
      vv.flush();
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
    appender.closeSync();
  }

  /** The GROUP BY query, result materialized (columnar, in DuckDB's memory). */
  query(name: string): Promise<DuckDBMaterializedResult> {
    return this.connection.run(`SELECT k, sum(v) AS s FROM ${name} GROUP BY k`);
  }

  async resultMap<K>(name: string): Promise<Map<K, number>> {
    const reader = await this.connection.runAndReadAll(`SELECT k, sum(v) AS s FROM ${name} GROUP BY k`);
    const m = new Map<K, number>();
    for (const [k, s] of reader.getRows()) m.set(k as K, Number(s));
    return m;
  }

  async drop(name: string): Promise<void> {
    await this.connection.run(`DROP TABLE IF EXISTS ${name}`);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
