/** The benchmark's result model: what bench/results/kernels.json holds. */
import type { Stats } from './measure.js';
import type { MachineInfo } from './machine.js';

export type ImplId = 'kernel' | 'kernel+export' | 'js-map' | 'js-oa' | 'c' | 'duckdb' | 'duckdb-load' | 'arquero' | 'rxjs' | 'js-map-ring';

export interface ImplResult {
  impl: ImplId;
  status: 'ok' | 'pending' | 'skipped' | 'timeout' | 'error';
  /** Why pending, skipped, timed out or failed. */
  reason?: string;
  stats?: Stats;
  rowsPerSec?: number;
  /** On timeout: the throughput is below this (rows / cap). */
  rowsPerSecBelow?: number;
  /** The output equals the reference (sorting-based) sums. */
  verified?: boolean;
  verifyNote?: string;
  /**
   * The same-algorithm peers (C, JS open addressing): whether their table lists its keys in the
   * kernel's slot order — true only if hash, capacity, growth and probing all match the kernel.
   */
  mirrorsKernel?: boolean;
}

export interface CaseResult {
  id: string;
  title: string;
  family: 'u32' | 'words' | 'window';
  /** Informational: no target is evaluated on it. */
  info?: string;
  rows: number;
  params: Record<string, string | number>;
  impls: ImplResult[];
}

export interface DStreamRun {
  operation: string;
  workers: number;
  rowsPerBatch: number;
  keys: number;
  /** Batches run before timing (JIT, worker start, and for windows a full window). */
  warmupBatches: number;
  /** Timed batches, one per tinybench iteration. */
  stats: Stats;
  /** rowsPerBatch / median batch time. */
  recordsPerSec: number;
  /** Output tuples per batch equal the reference sums. */
  verified: boolean;
  note?: string;
}

export interface DStreamReport {
  status: 'measured' | 'pending' | 'error';
  /** Why pending or failed: which part of the API is missing. */
  reason?: string;
  runs: DStreamRun[];
}

export interface TargetResult {
  id: string;
  label: string;
  required: string;
  measured: string;
  result: 'PASS' | 'FAIL' | 'PENDING' | 'INVALID' | 'ERROR';
  note?: string;
}

export interface Report {
  benchmark: string;
  command: string;
  script: string | undefined;
  date: string;
  durationSec: number;
  machine: MachineInfo & { gcc: string | undefined };
  kernel: { status: 'measured'; loader: string; wasm: string } | { status: 'pending'; reason: string };
  /** The commit measured, and whether the kernel or engine sources differed from it. */
  git: string | undefined;
  method: Record<string, unknown>;
  cases: CaseResult[];
  dstream: DStreamReport | undefined;
  targets: TargetResult[];
}
