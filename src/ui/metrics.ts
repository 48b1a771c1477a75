/**
 * `GET /metrics`: the context's status in Prometheus's text exposition format (version 0.0.4).
 * A tiny formatter of our own rather than a client library: the engine has no other use for one,
 * and the format is a few lines of escaping.
 */
import { recordsPerSecond, streamingStatistics, type UiSource } from './rest.js';

/** The content type Prometheus expects for the text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string | number>>;
export interface Sample {
  readonly labels?: Labels;
  readonly value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escapes a label value: backslash, double quote and line feed, as the format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: backslash and line feed (quotes are allowed there). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value: Go's float formatting for the special values, plain decimal otherwise. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Builds an exposition: one family (HELP, TYPE, samples) at a time. */
export class PrometheusText {
  private readonly lines: string[] = [];
  private readonly names = new Set<string>();

  /** Adds a family; one with no samples is left out, so absent values are absent, not zero. */
  family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[]): this {
    if (!METRIC_NAME.test(name)) throw new RangeError(`Invalid Prometheus metric name: ${name}`);
    if (this.names.has(name)) throw new RangeError(`Metric family ${name} added twice`);
    if (samples.length === 0) return this;
    this.names.add(name);
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const s of samples) this.lines.push(`${name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
    return this;
  }

  toString(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}

function formatLabels(labels: Labels | undefined): string {
  if (!labels) return '';
  const parts = Object.entries(labels).map(([k, v]) => {
    if (!LABEL_NAME.test(k) || k.startsWith('__')) throw new RangeError(`Invalid Prometheus label name: ${k}`);
    return `${k}="${escapeLabelValue(String(v))}"`;
  });
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

const seconds = (ms: number): number => ms / 1000;

/** Every metric of the context, labelled by `app` (and by stream or operator where relevant). */
export function renderMetrics(src: UiSource): string {
  const { store } = src;
  const app = { app: src.appName };
  const stats = streamingStatistics(src);
  const one = (value: number | undefined, labels: Labels = app): Sample[] => (value === undefined ? [] : [{ labels, value }]);
  const last = store.lastCompletedBatch()?.info;
  const streams = store.streams();
  const streamLabels = (s: { streamId: number; name: string }): Labels => ({ ...app, stream: s.name, stream_id: s.streamId });
  const perStream = (value: (s: (typeof streams)[number]) => number | undefined): Sample[] =>
    streams.flatMap((s) => one(value(s), streamLabels(s)));
  const runtime = src.runtimeStatus();
  const now = src.now();
  const start = store.startTime ?? src.startTime();
  const out = new PrometheusText();

  out
    .family('sluice_start_time_seconds', 'gauge', 'When the streaming context started, in seconds since the epoch.', one(start === undefined ? undefined : seconds(start)))
    .family('sluice_uptime_seconds', 'gauge', 'Seconds since the streaming context started.', one(start === undefined ? undefined : seconds(now - start)))
    .family('sluice_batch_interval_seconds', 'gauge', 'The batch interval.', one(seconds(store.batchDuration)))
    .family('sluice_batches_completed_total', 'counter', 'Batches completed since start.', one(store.numTotalCompletedBatches))
    .family('sluice_batches_failed_total', 'counter', 'Completed batches with a failed output operation.', one(store.numTotalFailedBatches))
    .family('sluice_batches_active', 'gauge', 'Batches queued or processing now.', [
      { labels: { ...app, status: 'queued' }, value: store.waitingBatches().length },
      { labels: { ...app, status: 'processing' }, value: store.runningBatches().length },
    ])
    .family('sluice_batches_retained', 'gauge', 'Completed batches the UI keeps (at most ui.retainedBatches).', one(store.numRetainedCompletedBatches))
    .family('sluice_records_received_total', 'counter', 'Records of the batches that started processing.', one(store.numTotalReceivedRecords))
    .family('sluice_records_processed_total', 'counter', 'Records of the batches that completed.', one(store.numTotalProcessedRecords))
    .family('sluice_last_batch_records', 'gauge', 'Records of the last completed batch.', one(last?.numRecords))
    .family('sluice_last_batch_scheduling_delay_seconds', 'gauge', 'Scheduling delay of the last completed batch.', one(opt(last?.schedulingDelay, seconds)))
    .family('sluice_last_batch_processing_time_seconds', 'gauge', 'Processing time of the last completed batch.', one(opt(last?.processingDelay, seconds)))
    .family('sluice_last_batch_total_delay_seconds', 'gauge', 'Total delay (scheduling + processing) of the last completed batch.', one(opt(last?.totalDelay, seconds)))
    .family('sluice_avg_input_rate_records_per_second', 'gauge', 'Mean input rate over the retained batches.', one(stats.avgInputRate))
    .family('sluice_avg_scheduling_delay_seconds', 'gauge', 'Mean scheduling delay over the retained batches.', one(opt(stats.avgSchedulingDelay, seconds)))
    .family('sluice_avg_processing_time_seconds', 'gauge', 'Mean processing time over the retained batches.', one(opt(stats.avgProcessingTime, seconds)))
    .family('sluice_avg_total_delay_seconds', 'gauge', 'Mean total delay over the retained batches.', one(opt(stats.avgTotalDelay, seconds)))
    .family('sluice_receivers', 'gauge', 'Input streams (each counts as a receiver).', one(stats.numReceivers))
    .family('sluice_receivers_active', 'gauge', 'Input streams receiving now.', one(stats.numActiveReceivers))
    .family('sluice_stream_active', 'gauge', '1 while the input stream receives, 0 otherwise.', perStream((s) => (store.isActive(s) ? 1 : 0)))
    .family('sluice_stream_input_rate_records_per_second', 'gauge', "Records per second of the input stream's latest batch.", perStream((s) => opt(s.lastBatchRecords, (n) => recordsPerSecond(n, store.batchDuration))))
    .family('sluice_stream_records_total', 'counter', 'Records cut from the input stream into batches.', perStream((s) => s.numRecords))
    .family('sluice_stream_malformed_records_total', 'counter', 'Records the input stream could not decode (malformed or oversize).', perStream((s) => s.malformedRecords))
    .family('sluice_stream_dead_lettered_records_total', 'counter', 'Malformed records written to the dead-letter sink.', perStream((s) => s.deadLetteredRecords))
    .family('sluice_stream_dropped_records_total', 'counter', "Records dropped because the source's memory budget was full.", perStream((s) => s.droppedRecords))
    .family('sluice_stream_rate_limit_records_per_second', 'gauge', 'The rate limit of the latest batch: the backpressure estimate or the configured maximum.', perStream((s) => s.rateLimit))
    .family('sluice_stream_buffered_bytes', 'gauge', 'Bytes received and not yet processed when the latest batch was cut.', perStream((s) => s.bufferedBytes))
    .family('sluice_worker_threads', 'gauge', 'Threads the WebAssembly kernels run on, the calling thread included.', one(runtime.workers.threads))
    .family('sluice_worker_utilization_ratio', 'gauge', "The kernel worker pool's busy ratio, 0 to 1 (absent until the kernels are used).", one(runtime.workers.utilization))
    .family(
      'sluice_operator_state_size',
      'gauge',
      'Keys held as state by a stateful operator.',
      runtime.operators.flatMap((o) => one(o.stateSize, { ...app, operator: o.name, operator_id: o.id })),
    )
    .family(
      'sluice_operator_last_batch_records',
      'gauge',
      'Records the operator produced in the latest batch it computed.',
      runtime.operators.flatMap((o) => one(o.lastBatchRecords, { ...app, operator: o.name, operator_id: o.id })),
    )
    .family(
      'sluice_checkpoint_age_seconds',
      'gauge',
      'Seconds since the last checkpoint (absent until one is written).',
      one(opt(runtime.checkpoint.lastCheckpointTime, (t) => seconds(Math.max(0, now - t)))),
    );
  return out.toString();
}

function opt<T>(value: T | undefined, f: (v: T) => number): number | undefined {
  return value === undefined ? undefined : f(value);
}
