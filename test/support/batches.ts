/**
 * Shared helpers of the test suites for looking at batches: a total order on records, so that
 * batches compare as multisets (Spark's `useSet = true`) whatever their partition or hash order,
 * and outputs that collect each batch of a stream.
 */
import { Batch, type DStream, type Pair } from '../../src/index.js';

/** A record's JSON text, with `undefined` (at any depth) kept apart from `null`. */
function jsonKey(record: unknown): string {
  return String(JSON.stringify(record, (_k, v: unknown) => (v === undefined ? '\u0000undefined' : v)));
}

/** Orders records by their JSON text: a stable order for comparing batches as multisets. */
export function byJson(a: unknown, b: unknown): number {
  const x = jsonKey(a);
  const y = jsonKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The records of one batch sorted by their JSON text (a copy; the input is left alone). */
export function sortRecords<T>(records: readonly T[]): T[] {
  return records
    .map((r) => [jsonKey(r), r] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, r]) => r);
}

/** Each batch sorted, so that batches compare regardless of partition or hash order. */
export function sortBatches<T>(batches: readonly (readonly T[])[]): T[][] {
  return batches.map((b) => sortRecords(b));
}

/** Grouped values sorted, then the records sorted: what a set comparison of groups checks, but stricter. */
export function sortGroups<K, V>(batches: readonly (readonly Pair<K, readonly V[]>[])[]): Pair<K, V[]>[][] {
  return sortBatches(batches.map((b) => b.map(([k, vs]): Pair<K, V[]> => [k, sortRecords(vs)])));
}

/** Each batch without its `undefined` records: Spark's flattening of `Option` results. */
export function defined<T>(batches: readonly (readonly (T | undefined)[])[]): T[][] {
  return batches.map((b) => b.filter((r): r is T => r !== undefined));
}

/** `defined`, then `sortBatches`. */
export function definedSorted<T>(batches: readonly (readonly (T | undefined)[])[]): T[][] {
  return sortBatches(defined(batches));
}

/** Registers an output that records every batch of `stream` as an array (filled as batches run). */
export function collectBatches<T>(stream: DStream<T>): T[][] {
  const batches: T[][] = [];
  stream.foreachRDD((batch) => {
    batches.push(batch.collect());
  });
  return batches;
}

/**
 * Registers an output that appends the records of every batch of `stream` to the array returned
 * (filled as batches run); `then` runs after, in the same output (e.g. a slow sink).
 */
export function collectRecords<T>(stream: DStream<T>, then?: (records: T[]) => void | Promise<void>): T[] {
  const records: T[] = [];
  stream.foreachRDD((batch) => {
    const got = batch.collect();
    records.push(...got);
    return then?.(got);
  });
  return records;
}

/** Registers an output that records every batch of `stream`, partition by partition. */
export function collectPartitions<T>(stream: DStream<T>): T[][][] {
  const out: T[][][] = [];
  stream.foreachRDD((batch) => {
    out.push(batch.partitions.map((p) => [...p]));
  });
  return out;
}

/** The key sets of each partition after hash-partitioning `keys` over `n` partitions. */
export function expectedKeyPlacement(keys: readonly string[], n: number): string[][] {
  return Batch.of(keys.map((k): Pair<string, number> => [k, 0]))
    .partitionBy(n)
    .partitions.map((p) => p.map(([k]) => k).sort());
}

/** The sorted keys of each partition. */
export function keysByPartition(parts: readonly (readonly Pair<string, unknown>[])[]): string[][] {
  return parts.map((p) => p.map(([k]) => k).sort());
}
