/**
 * The end-of-run summary: events, events/s, batches, mean and p99 processing time (and any
 * extra lines the command adds, such as the store's path), collected from listener events.
 */
import type { BatchInfo, StreamingListener } from '../scheduler/listener.js';
import { formatDurationShort } from './durations.js';

/** Counts what a run did, from `onBatchCompleted` events. Add `listener` to the context. */
export class RunMetrics {
  events = 0;
  batches = 0;
  readonly processingMs: number[] = [];
  startedAt: number | undefined;
  stoppedAt: number | undefined;
  readonly listener: StreamingListener = {
    onStreamingStarted: () => {
      this.startedAt ??= Date.now();
    },
    onBatchCompleted: ({ batchInfo }) => this.record(batchInfo),
  };

  record(info: BatchInfo): void {
    this.events += info.numRecords;
    this.batches++;
    if (info.processingDelay !== undefined) this.processingMs.push(info.processingDelay);
  }

  /** Wall-clock seconds from the start to the stop (or to now). */
  elapsedSeconds(now = Date.now()): number {
    if (this.startedAt === undefined) return 0;
    return Math.max(0, ((this.stoppedAt ?? now) - this.startedAt) / 1000);
  }
}

/** Nearest-rank percentile `p` (0–100) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** `1234567` → `1,234,567` (fixed: the summary must not depend on the locale). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const [int, frac] = Math.abs(n).toString().split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  return `${Number.isInteger(ms) || ms >= 10 ? Math.round(ms) : ms.toFixed(1)} ms`;
}

/** One summary line: a label, then its value. */
export type SummaryLine = readonly [label: string, value: string];

/** The standard lines of a run's summary; `extra` lines follow them. */
export function summaryLines(metrics: RunMetrics, batchIntervalMs: number, extra: readonly SummaryLine[] = []): SummaryLine[] {
  const elapsed = metrics.elapsedSeconds();
  const rate = elapsed > 0 ? metrics.events / elapsed : 0;
  return [
    ['events', formatCount(metrics.events)],
    ['events/s', formatCount(Math.round(rate))],
    ['batches', formatCount(metrics.batches)],
    [
      'processing',
      `mean ${formatMs(mean(metrics.processingMs))}, p99 ${formatMs(percentile(metrics.processingMs, 99))} (batch interval ${formatDurationShort(batchIntervalMs)})`,
    ],
    ['elapsed', `${elapsed.toFixed(1)} s`],
    ...extra,
  ];
}

/** The summary as text: a title line, then `label  value` lines aligned. */
export function formatSummary(lines: readonly SummaryLine[], title = 'Summary'): string {
  const width = Math.max(...lines.map(([l]) => l.length)) + 2;
  return [`${title}`, ...lines.map(([label, value]) => `  ${label.padEnd(width)}${value}`)].join('\n') + '\n';
}
