/**
 * `Batch<T>`: the data of one batch interval, Sluice's counterpart of the RDD that Spark
 * Streaming generates for each batch. It is an immutable list of partitions; keyed operations
 * hash-partition their output by key, so equal keys always meet in the same partition.
 */
import { KeyMap, partitionOf } from './keys.js';
import { Table, Vector } from 'apache-arrow';
import { isArrow, keyAt, pairColumnsOfArrow, pairsOf, partitionColumns, valueAt, rowsOfArrow, type ArrowBatch, type PairColumns } from './columns.js';

/** A key-value record: Spark's `(K, V)` tuple. */
export type Pair<K, V> = [K, V];

/**
 * The records of one batch interval, split into partitions.
 *
 * @example
 * ```ts
 * const b = Batch.of([['a', 1], ['b', 2], ['a', 3]] as [string, number][]);
 * b.reduceByKey((x, y) => x + y).collect(); // [['a', 4], ['b', 2]] (order by partition)
 * ```
 */
export class Batch<T> {
  private rows: readonly (readonly T[])[] | undefined;
  /**
   * The partitions in columnar form (key and value columns), when the batch came from Arrow or
   * from a kernel; `undefined` for a batch of JS records. Kernels read these; records are made
   * from them only when asked for. A partition may be empty (`length` 0) after `partitionBy`,
   * which keeps every partition it is asked for.
   */
  readonly columns: readonly PairColumns[] | undefined;
  /**
   * The Arrow table the batch was made from, when it is not a key/value table (e.g. a source's
   * decoded records): kept so that column-wise operations such as `toPairs` never build a JS
   * object per record. Its rows (plain objects) are made only when asked for.
   */
  readonly arrow: ArrowBatch | undefined;

  private constructor(partitions: readonly (readonly T[])[] | undefined, columns?: readonly PairColumns[], arrow?: ArrowBatch) {
    this.rows = partitions && partitions.length === 0 ? [[]] : partitions;
    this.columns = columns && columns.length === 0 ? undefined : columns;
    this.arrow = arrow;
    if (!this.rows && !this.columns && !this.arrow) this.rows = [[]];
  }

  /** The partitions, each an array of records. Never mutate them. */
  get partitions(): readonly (readonly T[])[] {
    if (!this.rows) {
      const rows = this.columns ? this.columns.map((c) => pairsOf(c) as T[]) : (rowsOfArrow(this.arrow!) as T[][]);
      this.rows = rows.length === 0 ? [[]] : rows;
    }
    return this.rows;
  }

  /** A pair batch in columnar form, one partition per `PairColumns`. */
  static fromColumns<K, V>(columns: readonly PairColumns[]): Batch<Pair<K, V>> {
    return new Batch<Pair<K, V>>(undefined, columns.filter((c) => c.length > 0));
  }

  /**
   * A batch of an Arrow `Table` or `RecordBatch`, one partition per record batch. A table with
   * columns `key` and `value` is a pair batch, kept in columnar form for the kernels when its
   * column types allow (numbers, bigints, Utf8 or dictionary strings; no nulls); other tables give
   * one plain object per row.
   */
  static fromArrow<T = unknown>(arrow: ArrowBatch): Batch<T> {
    const columns = pairColumnsOfArrow(arrow);
    return columns ? new Batch<T>(undefined, columns) : new Batch<T>(undefined, undefined, arrow);
  }

  /** True for an Arrow Table or RecordBatch. */
  static isArrow(x: unknown): x is ArrowBatch {
    return isArrow(x);
  }

  /**
   * A batch of `records` spread evenly, in order, over `numPartitions` partitions, as Spark's
   * `makeRDD(records, numPartitions)` slices them: partition `i` holds the records from
   * `floor(i * n / numPartitions)` up to `floor((i + 1) * n / numPartitions)`. So `[a, a, b]` in
   * two partitions is `[a] | [a, b]`, and sizes never differ by more than one.
   */
  static of<T>(records: readonly T[], numPartitions = 1): Batch<T> {
    requirePartitions(numPartitions);
    const n = records.length;
    const parts: T[][] = [];
    // Copied even for one partition: the caller may reuse its array, and batches are immutable.
    for (let p = 0; p < numPartitions; p++) {
      parts.push(records.slice(Math.floor((p * n) / numPartitions), Math.floor(((p + 1) * n) / numPartitions)));
    }
    return new Batch(parts);
  }

  /** A batch made of the given partitions, as they are. */
  static fromPartitions<T>(partitions: readonly (readonly T[])[]): Batch<T> {
    return new Batch(partitions);
  }

  /** An empty batch with `numPartitions` partitions. */
  static empty<T>(numPartitions = 1): Batch<T> {
    requirePartitions(numPartitions);
    return new Batch(Array.from({ length: numPartitions }, () => []));
  }

  /** The union of several batches: their partitions side by side. */
  static union<T>(batches: readonly Batch<T>[]): Batch<T> {
    if (batches.length === 1) return batches[0]!;
    // Columnar batches stay columnar together, so a window over Arrow input reaches the kernels.
    if (batches.every((b) => b.columns || b.isEmpty())) {
      return new Batch<T>(undefined, batches.flatMap((b) => b.columns ?? []));
    }
    return new Batch(batches.flatMap((b) => b.partitions));
  }

  get numPartitions(): number {
    if (!this.rows && this.arrow) return Math.max(1, this.arrow instanceof Table ? this.arrow.batches.length : 1);
    return this.columns?.length ?? this.partitions.length;
  }

  /** Number of records in the batch. */
  count(): number {
    if (!this.rows && this.arrow) return this.arrow.numRows;
    let n = 0;
    for (const p of this.columns ?? this.partitions) n += p.length;
    return n;
  }

  /** True when the batch has no record. */
  isEmpty(): boolean {
    return this.count() === 0;
  }

  /** All records, partition after partition. */
  collect(): T[] {
    return this.partitions.flat() as T[];
  }

  /** Same as {@link collect}. */
  toArray(): T[] {
    return this.collect();
  }

  /** The first `n` records (a columnar batch makes only those). */
  take(n: number): T[] {
    const out: T[] = [];
    if (!this.rows && this.arrow) {
      const limit = Math.min(n, this.arrow.numRows);
      for (let i = 0; i < limit; i++) out.push(this.arrow.get(i)!.toJSON() as T);
      return out;
    }
    if (!this.rows && this.columns) {
      for (const c of this.columns) {
        for (let i = 0; i < c.length && out.length < n; i++) out.push([keyAt(c.keys, i), valueAt(c.values, i)] as T);
      }
      return out;
    }
    for (const p of this.partitions) {
      for (const r of p) {
        if (out.length >= n) return out;
        out.push(r);
      }
    }
    return out;
  }

  /**
   * `[record[keyField], record[valueField]]` for every record. A batch of decoded Arrow records
   * hands the two columns over as they are, so the pairs stay columnar for the kernels and no
   * object is made per record.
   */
  toPairs<K, V>(keyField: string, valueField: string): Batch<Pair<K, V>> {
    if (!this.rows && this.arrow) {
      const table = this.arrow instanceof Table ? this.arrow : new Table(this.arrow);
      const key = table.getChild(keyField);
      const value = table.getChild(valueField);
      if (!key || !value) {
        const names = table.schema.fields.map((f) => f.name).join(', ');
        throw new Error(`toPairs: the records have no field "${key ? valueField : keyField}" (fields: ${names})`);
      }
      return Batch.fromArrow(new Table({ key, value } as Record<string, Vector>));
    }
    return this.map((r) => {
      const o = r as Record<string, unknown>;
      return [o[keyField], o[valueField]] as Pair<K, V>;
    });
  }

  map<U>(fn: (record: T) => U): Batch<U> {
    return new Batch(this.partitions.map((p) => p.map((r) => fn(r))));
  }

  filter(fn: (record: T) => boolean): Batch<T> {
    return new Batch(this.partitions.map((p) => p.filter((r) => fn(r))));
  }

  flatMap<U>(fn: (record: T) => Iterable<U>): Batch<U> {
    return new Batch(
      this.partitions.map((p) => {
        const out: U[] = [];
        for (const r of p) for (const u of fn(r)) out.push(u);
        return out;
      }),
    );
  }

  /** Applies `fn` to each partition as a whole. */
  mapPartitions<U>(fn: (records: readonly T[], partitionIndex: number) => Iterable<U>): Batch<U> {
    return new Batch(this.partitions.map((p, i) => Array.from(fn(p, i))));
  }

  /** One record per partition: the array of that partition's records. */
  glom(): Batch<T[]> {
    return new Batch(this.partitions.map((p) => [p.slice()]));
  }

  /** Redistributes the records round-robin over `numPartitions` partitions. */
  repartition(numPartitions: number): Batch<T> {
    requirePartitions(numPartitions);
    const parts: T[][] = Array.from({ length: numPartitions }, () => []);
    let i = 0;
    for (const p of this.partitions) for (const r of p) parts[i++ % numPartitions]!.push(r);
    return new Batch(parts);
  }

  /** Reduces all records with an associative, commutative `fn`; `undefined` when empty. */
  reduce(fn: (a: T, b: T) => T): T | undefined {
    let acc: T | undefined;
    let first = true;
    for (const p of this.partitions) {
      for (const r of p) {
        acc = first ? r : fn(acc as T, r);
        first = false;
      }
    }
    return acc;
  }

  /** This batch's partitions followed by `other`'s. */
  union(other: Batch<T>): Batch<T> {
    return Batch.union([this, other]);
  }

  /** Counts of each distinct record, as `[record, count]` pairs. */
  countByValue(numPartitions = this.numPartitions): Batch<Pair<T, number>> {
    return this.map((r): Pair<T, number> => [r, 1]).reduceByKey((a, b) => a + b, numPartitions);
  }

  // ---- pair operations: available when T is a [K, V] tuple ----

  mapValues<K, V, W>(this: Batch<Pair<K, V>>, fn: (value: V) => W): Batch<Pair<K, W>> {
    return this.map(([k, v]): Pair<K, W> => [k, fn(v)]);
  }

  flatMapValues<K, V, W>(this: Batch<Pair<K, V>>, fn: (value: V) => Iterable<W>): Batch<Pair<K, W>> {
    return this.flatMap(function* ([k, v]): Iterable<Pair<K, W>> {
      for (const w of fn(v)) yield [k, w];
    });
  }

  /**
   * Hash-partitions the records by key into `numPartitions` partitions, keeping their order: a
   * record goes to partition `partitionOf(key, numPartitions)`, so equal keys meet in one
   * partition and two batches partitioned alike are co-partitioned.
   *
   * A columnar batch (from Arrow or a kernel) stays columnar: its key and value columns are
   * scattered into new columns, one set per partition, with every row in the partition its
   * `[key, value]` record would go to, and no record is made. The result has `numPartitions`
   * partitions, empty ones included. Only partitions whose columns differ in type (e.g. a union
   * of batches of different types) are partitioned as records.
   */
  partitionBy<K, V>(this: Batch<Pair<K, V>>, numPartitions: number): Batch<Pair<K, V>> {
    requirePartitions(numPartitions);
    const columns = this.columns && partitionColumns(this.columns, numPartitions);
    if (columns) return new Batch<Pair<K, V>>(undefined, columns);
    const parts: Pair<K, V>[][] = Array.from({ length: numPartitions }, () => []);
    for (const p of this.partitions) for (const r of p) parts[partitionOf(r[0], numPartitions)]!.push(r);
    return new Batch(parts);
  }

  /**
   * The generic keyed aggregation (Spark's `combineByKey`): the first value of a key becomes a
   * combiner through `createCombiner`, later values are folded in with `mergeValue`, and
   * combiners built in different input partitions are merged with `mergeCombiners`.
   */
  combineByKey<K, V, C>(
    this: Batch<Pair<K, V>>,
    createCombiner: (value: V) => C,
    mergeValue: (combiner: C, value: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    numPartitions: number = this.numPartitions,
  ): Batch<Pair<K, C>> {
    requirePartitions(numPartitions);
    const outputs = Array.from({ length: numPartitions }, () => new KeyMap<K, C>());
    for (const p of this.partitions) {
      // Combine within the input partition first (the map side), then merge into the output.
      const local = new KeyMap<K, C>();
      for (const [k, v] of p) {
        const c = local.get(k);
        local.set(k, c === undefined && !local.has(k) ? createCombiner(v) : mergeValue(c as C, v));
      }
      for (const [k, c] of local) {
        const out = outputs[partitionOf(k, numPartitions)]!;
        if (out.has(k)) out.set(k, mergeCombiners(out.get(k) as C, c));
        else out.set(k, c);
      }
    }
    return new Batch(outputs.map((m) => Array.from(m)));
  }

  /** Merges the values of each key with an associative, commutative `fn`. */
  reduceByKey<K, V>(this: Batch<Pair<K, V>>, fn: (a: V, b: V) => V, numPartitions: number = this.numPartitions): Batch<Pair<K, V>> {
    return this.combineByKey((v) => v, fn, fn, numPartitions);
  }

  /** Groups the values of each key, in arrival order. */
  groupByKey<K, V>(this: Batch<Pair<K, V>>, numPartitions: number = this.numPartitions): Batch<Pair<K, V[]>> {
    return this.combineByKey(
      (v) => [v],
      (c, v) => (c.push(v), c),
      (a, b) => a.concat(b),
      numPartitions,
    );
  }

  /**
   * Groups this batch and the others by key: for each key present in any of them, the arrays of
   * its values in each batch (empty where absent).
   */
  cogroup<K, V, W>(this: Batch<Pair<K, V>>, other: Batch<Pair<K, W>>, numPartitions?: number): Batch<Pair<K, [V[], W[]]>> {
    return cogroupAll<K, unknown>([this, other], numPartitions ?? Math.max(this.numPartitions, other.numPartitions)) as Batch<
      Pair<K, [V[], W[]]>
    >;
  }

  /** Inner join: `[k, [v, w]]` for every pair of values of a key present in both. */
  join<K, V, W>(this: Batch<Pair<K, V>>, other: Batch<Pair<K, W>>, numPartitions?: number): Batch<Pair<K, [V, W]>> {
    return this.cogroup(other, numPartitions).flatMap(function* ([k, [vs, ws]]): Iterable<Pair<K, [V, W]>> {
      for (const v of vs) for (const w of ws) yield [k, [v, w]];
    });
  }

  /** Left outer join: every value of this batch, with `undefined` where `other` has no value. */
  leftOuterJoin<K, V, W>(
    this: Batch<Pair<K, V>>,
    other: Batch<Pair<K, W>>,
    numPartitions?: number,
  ): Batch<Pair<K, [V, W | undefined]>> {
    return this.cogroup(other, numPartitions).flatMap(function* ([k, [vs, ws]]): Iterable<Pair<K, [V, W | undefined]>> {
      for (const v of vs) {
        if (ws.length === 0) yield [k, [v, undefined]];
        else for (const w of ws) yield [k, [v, w]];
      }
    });
  }

  /** Right outer join: every value of `other`, with `undefined` where this batch has no value. */
  rightOuterJoin<K, V, W>(
    this: Batch<Pair<K, V>>,
    other: Batch<Pair<K, W>>,
    numPartitions?: number,
  ): Batch<Pair<K, [V | undefined, W]>> {
    return this.cogroup(other, numPartitions).flatMap(function* ([k, [vs, ws]]): Iterable<Pair<K, [V | undefined, W]>> {
      for (const w of ws) {
        if (vs.length === 0) yield [k, [undefined, w]];
        else for (const v of vs) yield [k, [v, w]];
      }
    });
  }

  /** Full outer join: every value of either side, with `undefined` where the other has none. */
  fullOuterJoin<K, V, W>(
    this: Batch<Pair<K, V>>,
    other: Batch<Pair<K, W>>,
    numPartitions?: number,
  ): Batch<Pair<K, [V | undefined, W | undefined]>> {
    return this.cogroup(other, numPartitions).flatMap(function* ([k, [vs, ws]]): Iterable<Pair<K, [V | undefined, W | undefined]>> {
      if (vs.length === 0) for (const w of ws) yield [k, [undefined, w]];
      else if (ws.length === 0) for (const v of vs) yield [k, [v, undefined]];
      else for (const v of vs) for (const w of ws) yield [k, [v, w]];
    });
  }
}

/**
 * N-way cogroup: for each key in any input, one array of values per input (Spark's CoGroupedRDD).
 * Keys appear in the order they are first seen, inputs scanned in order.
 */
export function cogroupAll<K, V>(inputs: readonly Batch<Pair<K, V>>[], numPartitions: number): Batch<Pair<K, V[][]>> {
  requirePartitions(numPartitions);
  const outputs = Array.from({ length: numPartitions }, () => new KeyMap<K, V[][]>());
  inputs.forEach((input, i) => {
    for (const p of input.partitions) {
      for (const [k, v] of p) {
        const out = outputs[partitionOf(k, numPartitions)]!;
        let groups = out.get(k);
        if (groups === undefined) {
          groups = inputs.map(() => []);
          out.set(k, groups);
        }
        groups[i]!.push(v);
      }
    }
  });
  return Batch.fromPartitions(outputs.map((m) => Array.from(m)));
}

function requirePartitions(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`The number of partitions must be a positive integer, got ${n}`);
  }
}
