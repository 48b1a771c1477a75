/** Ratios, targets and the markdown tables of a run. */
import type { CaseResult, ImplId, ImplResult, Report, TargetResult } from './types.js';

export const LABELS: Record<ImplId, string> = {
  kernel: 'kernel',
  'kernel+export': 'kernel + export',
  'js-map': 'JS Map',
  'js-oa': 'JS open addr.',
  c: 'C -O3',
  duckdb: 'DuckDB 1T query',
  'duckdb-load': 'DuckDB load',
  arquero: 'arquero',
  rxjs: 'RxJS',
  'js-map-ring': 'JS Map of rings',
};

/**
 * Like for like: a peer whose result is its own hash table (Map, JS table, C) is compared with
 * the kernel's aggregation alone; a peer that hands back a new result (DuckDB's materialized
 * result, arquero's table, RxJS's array) with the kernel's aggregation plus aggExport to columns.
 */
export const KERNEL_FOR: Partial<Record<ImplId, ImplId>> = {
  'js-map': 'kernel',
  'js-oa': 'kernel',
  c: 'kernel',
  duckdb: 'kernel+export',
  arquero: 'kernel+export',
  rxjs: 'kernel+export',
  'js-map-ring': 'kernel',
};

const RATIO_PEERS: ImplId[] = ['js-map', 'js-oa', 'c', 'duckdb', 'arquero', 'rxjs'];

export interface Ratio {
  /** kernel ÷ peer throughput */
  value?: number;
  /** The ratio is at least `value` (the peer hit its time cap). */
  atLeast?: boolean;
  status: 'ok' | 'pending' | 'na' | 'invalid';
  why?: string;
}

function impl(c: CaseResult, id: ImplId): ImplResult | undefined {
  return c.impls.find((i) => i.impl === id);
}

export function ratio(c: CaseResult, peer: ImplId): Ratio {
  const kid = KERNEL_FOR[peer];
  const k = kid && impl(c, kid);
  const p = impl(c, peer);
  if (!k || !p) return { status: 'na', why: 'not measured' };
  if (k.status === 'pending') return { status: 'pending', why: k.reason ?? 'kernel pending' };
  if (k.status !== 'ok') return { status: 'na', why: `kernel ${k.status}: ${k.reason ?? ''}` };
  if (k.verified === false) return { status: 'invalid', why: `kernel output differs: ${k.verifyNote}` };
  if (p.status === 'timeout') return { status: 'ok', value: k.rowsPerSec! / p.rowsPerSecBelow!, atLeast: true };
  if (p.status !== 'ok') return { status: 'na', why: `${peer} ${p.status}: ${p.reason ?? ''}` };
  if (p.verified === false) return { status: 'invalid', why: `${peer} output differs: ${p.verifyNote}` };
  return { status: 'ok', value: k.rowsPerSec! / p.rowsPerSec! };
}

function fmtRatio(r: Ratio): string {
  if (r.status === 'pending') return 'pending';
  if (r.status === 'invalid') return 'invalid';
  if (r.status === 'na' || r.value === undefined) return '—';
  const v = r.value >= 100 ? r.value.toFixed(0) : r.value >= 10 ? r.value.toFixed(1) : r.value.toFixed(2);
  return `${r.atLeast ? '≥ ' : ''}${v}×`;
}

function fmtRate(i: ImplResult | undefined): string {
  if (!i) return '—';
  switch (i.status) {
    case 'ok': {
      const v = i.rowsPerSec! / 1e6;
      return `${v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2)}${i.verified === false ? ' ✗' : ''}${i.mirrorsKernel === false ? ' †' : ''}`;
    }
    case 'timeout':
      return `< ${(i.rowsPerSecBelow! / 1e6).toFixed(2)} (cap)`;
    default:
      return i.status;
  }
}

// ---------------------------------------------------------------- targets

const MAP_TARGETS: [number, number][] = [
  [1_000, 3.5],
  [100_000, 5],
  [1_000_000, 5],
];

function kLabel(k: number): string {
  return k >= 1e6 ? `${k / 1e6}M` : `${k / 1e3}K`;
}

/** A peer ratio target over the uniform and Zipf cases of one cardinality: both must meet it. */
function ratioTarget(report: Report, peer: ImplId, K: number, min: number, label: string): TargetResult {
  const cases = report.cases.filter((c) => c.family === 'u32' && !c.info && c.params.cardinality === K);
  const id = `${peer}-${kLabel(K)}`;
  const required = `≥ ${min}×`;
  if (cases.length === 0) return { id, label, required, measured: 'not run', result: 'PENDING' };
  const parts = cases.map((c) => ({ dist: String(c.params.distribution), r: ratio(c, peer) }));
  const measured = parts.map((p) => `${p.dist} ${fmtRatio(p.r)}`).join(' · ');
  if (parts.some((p) => p.r.status === 'invalid')) return { id, label, required, measured, result: 'INVALID', note: parts.find((p) => p.r.status === 'invalid')!.r.why };
  if (parts.some((p) => p.r.status !== 'ok')) {
    const why = parts.find((p) => p.r.status !== 'ok')!.r.why;
    return { id, label, required, measured, result: 'PENDING', ...(why ? { note: why } : {}) };
  }
  const pass = parts.every((p) => p.r.value! >= min);
  const drift = cases.some((c) => impl(c, peer)?.mirrorsKernel === false);
  return { id, label, required, measured, result: pass ? 'PASS' : 'FAIL', ...(drift ? { note: `${LABELS[peer]} no longer mirrors the kernel's table (†)` } : {}) };
}

export function evaluateTargets(report: Report): TargetResult[] {
  const out: TargetResult[] = [];
  for (const [K, min] of MAP_TARGETS) out.push(ratioTarget(report, 'js-map', K, min, `kernel ÷ plain-JS Map, K = ${kLabel(K)}`));
  for (const [K] of MAP_TARGETS) out.push(ratioTarget(report, 'duckdb', K, 1.2, `kernel ÷ DuckDB 1 thread (query only), K = ${kLabel(K)}`));
  for (const [K] of MAP_TARGETS) out.push(ratioTarget(report, 'c', K, 0.8, `kernel ÷ native C reference, K = ${kLabel(K)}`));
  for (const [K] of MAP_TARGETS) out.push(ratioTarget(report, 'arquero', K, 15, `kernel ÷ arquero, K = ${kLabel(K)}`));
  for (const [K] of MAP_TARGETS) out.push(ratioTarget(report, 'rxjs', K, 25, `kernel ÷ RxJS, K = ${kLabel(K)}`));

  // the full DStream API
  {
    const label = 'full DStream API reduceByKey(sum), K = 1K, 2 workers, end to end';
    const required = '≥ 80M records/s';
    const d = report.dstream;
    const run = d?.runs.find((r) => r.operation.startsWith('reduceByKey(') && r.workers === 2);
    if (!d || d.status !== 'measured' || !run) {
      out.push({ id: 'dstream-reduceByKey-2w', label, required, measured: d?.status ?? 'not run', result: d?.status === 'error' ? 'ERROR' : 'PENDING', note: d?.reason ?? 'not run' });
    } else {
      const measured = `${(run.recordsPerSec / 1e6).toFixed(1)}M records/s`;
      out.push({ id: 'dstream-reduceByKey-2w', label, required, measured, result: !run.verified ? 'INVALID' : run.recordsPerSec >= 80e6 ? 'PASS' : 'FAIL' });
    }
  }

  // the sliding window
  {
    const label = 'sliding window, 60 panes, 10K keys, ingest (winAdd + winSlide)';
    const required = '≥ 40M records/s';
    const c = report.cases.find((x) => x.family === 'window');
    const k = c && impl(c, 'kernel');
    if (!k || k.status !== 'ok') {
      out.push({ id: 'window-ingest', label, required, measured: k?.status ?? 'not run', result: 'PENDING', ...(k?.reason ? { note: k.reason } : {}) });
    } else {
      const measured = `${(k.rowsPerSec! / 1e6).toFixed(1)}M records/s`;
      out.push({ id: 'window-ingest', label, required, measured, result: k.verified === false ? 'INVALID' : k.rowsPerSec! >= 40e6 ? 'PASS' : 'FAIL' });
    }
  }
  return out;
}

// ---------------------------------------------------------------- markdown

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function renderMarkdown(report: Report): string {
  const m = report.machine;
  const lines: string[] = [];
  lines.push('## Kernel benchmark');
  lines.push('');
  lines.push(`\`${report.command}\` — ${report.date.slice(0, 10)}, ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}${m.gcc ? `, ${m.gcc}` : ''}, DuckDB ${m.packages['@duckdb/node-api'] ?? '?'}, arquero ${m.packages.arquero ?? '?'}, RxJS ${m.packages.rxjs ?? '?'}. Run time ${report.durationSec} s.${report.kernel.status === 'measured' ? ` Kernel: ${report.kernel.wasm}${report.git ? `, commit ${report.git}` : ''}.` : ''}`);
  lines.push('');
  if (report.kernel.status === 'pending') {
    lines.push(`**The kernel is pending: ${report.kernel.reason}.** Its columns, ratios and targets are marked pending; the peers below are measured.`);
    lines.push('');
  }

  const main = report.cases.filter((c) => c.family !== 'window');
  if (main.length > 0) {
    const rows = main[0]!.rows;
    lines.push(`### Throughput, M rows/s (${rows / 1e6 >= 1 ? `${rows / 1e6}M` : `${rows / 1e3}K`}-row batches; rows ÷ median iteration time)`);
    lines.push('');
    const cols: ImplId[] = ['kernel', 'kernel+export', 'js-map', 'js-oa', 'c', 'duckdb', 'duckdb-load', 'arquero', 'rxjs'];
    lines.push(row(['case', 'distinct', ...cols.map((c) => LABELS[c])]));
    lines.push(row(['---', '---:', ...cols.map(() => '---:')]));
    for (const c of main) lines.push(row([c.title + (c.info ? ' (info)' : ''), String(c.params.distinct), ...cols.map((id) => fmtRate(impl(c, id)))]));
    lines.push('');
    lines.push('### Kernel ÷ peer, same run');
    lines.push('');
    lines.push(row(['case', ...RATIO_PEERS.map((p) => `÷ ${LABELS[p]}`)]));
    lines.push(row(['---', ...RATIO_PEERS.map(() => '---:')]));
    for (const c of main) lines.push(row([c.title + (c.info ? ' (info)' : ''), ...RATIO_PEERS.map((p) => fmtRatio(ratio(c, p)))]));
    lines.push('');
  }

  const win = report.cases.find((c) => c.family === 'window');
  if (win) {
    lines.push(`### Sliding window (${win.params.panes} panes, ${win.params.keys} keys, ${win.rows / 1e6 >= 1 ? `${win.rows / 1e6}M` : `${win.rows / 1e3}K`} records per pane; ingest = add + slide)`);
    lines.push('');
    lines.push(row(['implementation', 'M records/s', 'kernel ÷']));
    lines.push(row(['---', '---:', '---:']));
    lines.push(row(['kernel (winAdd + winSlide)', fmtRate(impl(win, 'kernel')), '']));
    lines.push(row([LABELS['js-map-ring'], fmtRate(impl(win, 'js-map-ring')), fmtRatio(ratio(win, 'js-map-ring'))]));
    lines.push('');
  }

  lines.push('### Full DStream API (Arrow input, end to end: input batch → output tuples)');
  lines.push('');
  const d = report.dstream;
  if (!d) {
    lines.push('Not run in this invocation.');
  } else if (d.status !== 'measured') {
    lines.push(`**${d.status === 'pending' ? 'Pending' : 'Failed'}:** ${d.reason}`);
  } else {
    const first = d.runs[0];
    if (first) lines.push(`${first.rowsPerBatch}-row Arrow tables (\`key\` u32, \`value\` f64), ${first.keys} keys uniform; one batch per tinybench iteration after ${d.runs.map((r) => r.warmupBatches).filter((v, i, a) => a.indexOf(v) === i).join(' / ')} warm-up batches; records/s = rows ÷ median batch time.`, '');
    lines.push(row(['operation', 'workers', 'ms / batch (p50)', 'batches timed', 'M records/s', 'output verified']));
    lines.push(row(['---', '---:', '---:', '---:', '---:', '---']));
    for (const r of d.runs) lines.push(row([r.operation, String(r.workers), r.stats.p50Ms.toFixed(2), String(r.stats.samples), (r.recordsPerSec / 1e6).toFixed(1), r.verified ? 'yes' : `**no**${r.note ? ` (${r.note})` : ''}`]));
  }
  lines.push('');

  lines.push('### Targets');
  lines.push('');
  lines.push(row(['target', 'required', 'measured', 'result']));
  lines.push(row(['---', '---', '---', '---']));
  for (const t of report.targets) lines.push(row([t.label, t.required, t.measured, `**${t.result}**${t.note ? ` — ${t.note}` : ''}`]));
  lines.push('');

  const notes: string[] = [];
  notes.push('Every implementation gets the same batch in the same run, and every output is checked against a sorting-based reference after timing (✗ marks a mismatch). Keys are sparse random u32 ids below 2^30 unless marked dense; values are integer-valued f64, so sums are exact in any order.');
  notes.push('Kernel and tuned tables (kernel, JS open addressing, C) are kept across batches, pre-sized from the batch, and cleared per batch inside the timed loop; the JS Map is made afresh per batch. Ratios compare like for like: peers that hand back a new result (DuckDB, arquero, RxJS) against kernel + aggExport, the others against the kernel\'s aggregation.');
  notes.push('DuckDB runs `SET threads=1` on data already loaded with the appender (data chunks); its load is timed apart. The C reference is built with `gcc -O3 -march=native` and times its own loop on the same data, written to a file; where the kernel touches a block\'s home slots with a store (WASM has no prefetch), it uses `__builtin_prefetch`, the stricter reference (bench/README.md).');
  notes.push('String keys: the kernel, JS open addressing and C dictionary-encode the Arrow Utf8 column (dictionary kept across batches) and aggregate the ids; the JS Map, arquero, DuckDB and RxJS get JS strings / VARCHAR, decoded before timing.');
  const mirrors = report.cases.flatMap((c) => c.impls.filter((i) => i.mirrorsKernel !== undefined).map((i) => ({ c: c.title, i })));
  const drifted = mirrors.filter((m) => m.i.mirrorsKernel === false);
  if (drifted.length) notes.push(`† **Not the kernel's algorithm any more:** ${drifted.map((m) => `${LABELS[m.i.impl]} on ${m.c}`).join(', ')} list their keys in a different slot order from the kernel's table (hash, capacity, growth or probing differ): bench/peers must be brought back in step with assembly/.`);
  else if (mirrors.length) notes.push('The C reference and the JS open-addressing table run the kernel\'s algorithm: in every case their tables list the keys in exactly the kernel\'s slot order (checked each run; same hash, capacity, load-factor policy and probing).');
  const rxTimeouts = report.cases.flatMap((c) => c.impls.filter((i) => i.impl === 'rxjs' && i.status === 'timeout').map(() => c.title));
  if (rxTimeouts.length) notes.push(`RxJS hit its time cap on ${rxTimeouts.join(', ')}: its groupBy/mergeMap teardown is quadratic in the number of groups, so the figure is an upper bound on its throughput (the ratio a lower bound).`);
  lines.push('Notes:');
  for (const n of notes) lines.push(`- ${n}`);
  return lines.join('\n');
}
