/**
 * What a running context looks like beyond the listener bus's events: its DStream graph with
 * the records each operator produced in the latest batch and the state it holds, the kernel
 * workers' utilisation and the checkpoint's age. The UI and the metrics endpoint read this.
 */
import type { DStream } from './dstream/internal.js';
import type { Time } from './time.js';

/** One operator (DStream) of the graph. */
export interface OperatorStatus {
  readonly id: number;
  /** The operation, e.g. `map`, `reduceByKeyAndWindow`, `print`. */
  readonly name: string;
  readonly kind: 'input' | 'transformation' | 'output';
  /** Ids of the operators this one reads. */
  readonly dependencies: readonly number[];
  /** The latest batch it computed and that batch's records. */
  readonly lastBatchTime?: Time;
  readonly lastBatchRecords?: number;
  /** Keys held as state, for stateful operators. */
  readonly stateSize?: number;
}

export interface RuntimeStatus {
  /** Every operator reachable from an output, inputs first. */
  readonly operators: readonly OperatorStatus[];
  /** Threads the kernels run on (the calling thread included) and the pool's busy ratio, 0..1. */
  readonly workers: { readonly threads: number; readonly utilization: number | undefined };
  readonly checkpoint: { readonly directory: string | undefined; readonly lastCheckpointTime: Time | undefined };
}

/** Operators of a graph, walking from its outputs; inputs first (ids increase along the graph). */
export function describeOperators(outputs: readonly DStream<unknown>[], inputIds: ReadonlySet<number>): OperatorStatus[] {
  const seen = new Map<number, DStream<unknown>>();
  const visit = (s: DStream<unknown>): void => {
    if (seen.has(s.id)) return;
    seen.set(s.id, s);
    for (const d of s.dependencies) visit(d);
  };
  for (const o of outputs) visit(o);
  const outputIds = new Set(outputs.map((o) => o.id));
  return [...seen.values()]
    .sort((a, b) => a.id - b.id)
    .map((s) => {
      const last = s.lastBatchRecords;
      const stateSize = s.stateSize;
      return {
        id: s.id,
        name: s.name,
        kind: inputIds.has(s.id) ? 'input' : outputIds.has(s.id) ? 'output' : 'transformation',
        dependencies: s.dependencies.map((d) => d.id),
        ...(last ? { lastBatchTime: last.time, lastBatchRecords: last.records } : {}),
        ...(stateSize === undefined ? {} : { stateSize }),
      };
    });
}
