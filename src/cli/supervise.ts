/**
 * Runs a defined (not started) context for the CLI: starts it, shows the status line, stops it
 * gracefully after `--duration` or on SIGINT/SIGTERM (a second signal exits at once), and ends
 * with the summary. Returns the exit code: 0 after a clean stop, 1 when the job failed.
 */
import type { StopOptions } from '../context.js';
import { describe } from '../errors.js';
import type { StreamingListener } from '../scheduler/listener.js';
import { formatDurationShort } from './durations.js';
import type { StatusLine } from './status-line.js';
import { formatSummary, summaryLines, type RunMetrics, type SummaryLine } from './summary.js';

/** What the CLI needs of a StreamingContext (a job may bring its own copy of Sluice). */
export interface RunnableContext {
  readonly batchInterval: number;
  readonly appName: string;
  readonly state: string;
  /** The web UI's address while it is served (StreamingContext's `ui` option). */
  readonly uiUrl?: string | undefined;
  start(): Promise<void>;
  stop(options?: StopOptions): Promise<void>;
  awaitTermination(timeoutMs?: number): Promise<boolean>;
  addStreamingListener(listener: StreamingListener): void;
}

export interface SuperviseOptions {
  /** Stop gracefully after this long (default: run until a signal). */
  durationMs?: number;
  /** Lines the summary ends with (e.g. the store's path), asked for once the context stopped. */
  summaryExtra?: () => SummaryLine[];
  /** Called once the context has started (to print the UI's address, say). */
  onStarted?: () => void;
  /** Where errors go (default stderr). */
  error?: (line: string) => void;
  /** Exits the process at once on a second signal (default `process.exit`). */
  exit?: (code: number) => never;
}

/** The UI's address, when the context serves one (a job's copy of Sluice may predate the UI). */
export function uiUrlOf(ssc: RunnableContext): string | undefined {
  return typeof ssc.uiUrl === 'string' ? ssc.uiUrl : undefined;
}

export async function supervise(ssc: RunnableContext, status: StatusLine, metrics: RunMetrics, options: SuperviseOptions = {}): Promise<number> {
  const error = options.error ?? ((line: string) => process.stderr.write(line + '\n'));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  ssc.addStreamingListener(metrics.listener);
  ssc.addStreamingListener(status.listener);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      const again = signal === 'SIGINT' ? 'Ctrl-C' : signal;
      status.log(`${signal}: stopping gracefully, finishing the batches due (${again} again to stop at once)`);
      void ssc.stop({ graceful: true }).catch(() => undefined);
    } else {
      status.log(`${signal} again: stopping at once`);
      status.finish();
      exit(signal === 'SIGINT' ? 130 : 143);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let timer: NodeJS.Timeout | undefined;
  try {
    try {
      await ssc.start();
    } catch (e) {
      status.finish();
      error(`error: the job could not start: ${describe(e)}`);
      await ssc.stop().catch(() => undefined);
      return 1;
    }
    metrics.startedAt ??= Date.now();
    options.onStarted?.();
    if (options.durationMs !== undefined) {
      timer = setTimeout(() => {
        status.log(`${formatDurationShort(options.durationMs!)} elapsed: stopping gracefully`);
        void ssc.stop({ graceful: true }).catch(() => undefined);
      }, options.durationMs);
    }
    let code = 0;
    try {
      await ssc.awaitTermination();
    } catch (e) {
      code = 1;
      status.finish();
      error(`error: the job failed: ${describe(e)}`);
    }
    metrics.stoppedAt = Date.now();
    status.finish();
    let extra: SummaryLine[] = [];
    try {
      extra = options.summaryExtra?.() ?? [];
    } catch (e) {
      error(`warning: ${describe(e)}`);
    }
    status.log('');
    status.log(formatSummary(summaryLines(metrics, ssc.batchInterval, extra), `Summary of ${ssc.appName}`).trimEnd());
    return code;
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
