/**
 * How records look when printed or saved as text, following Scala's `toString` so that output
 * reads like Spark's: a pair `['a', 1]` prints as `(a,1)`, a nested tuple as `(a,(1,2))`.
 */
export function formatRecord(record: unknown): string {
  if (Array.isArray(record)) return `(${record.map(formatRecord).join(',')})`;
  if (record === undefined) return 'None';
  if (record === null) return 'null';
  if (typeof record === 'object') {
    if (record instanceof Map) return `Map(${Array.from(record, ([k, v]) => `${formatRecord(k)} -> ${formatRecord(v)}`).join(', ')})`;
    if (record instanceof Set) return `Set(${Array.from(record, formatRecord).join(', ')})`;
    return JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return String(record);
}
