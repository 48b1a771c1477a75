/** Peer: arquero `groupby().rollup()` over a column table built (zero-copy) from the batch. */
import * as aq from 'arquero';

export type ArqueroTable = ReturnType<typeof aq.table>;

/** A column table of the batch: keys and values as given (typed arrays or a string array). */
export function arqueroTable(keys: Uint32Array | readonly string[], values: Float64Array): ArqueroTable {
  return aq.table({ k: keys as ArrayLike<unknown>, v: values });
}

/** `groupby('k').rollup({ s: op.sum('v') })`: one row per key. */
export function arqueroSum(table: ArqueroTable): ArqueroTable {
  return table.groupby('k').rollup({ s: aq.op.sum('v') });
}

export function arqueroToMap<K>(result: ArqueroTable): Map<K, number> {
  const k = result.array('k') as ArrayLike<K>;
  const s = result.array('s') as ArrayLike<number>;
  const m = new Map<K, number>();
  for (let i = 0; i < k.length; i++) m.set(k[i]!, s[i]!);
  return m;
}
