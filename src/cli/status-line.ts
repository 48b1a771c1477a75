/**
 * The live status line: batch time, input rate, processing time against the batch interval and
 * backlog (batches submitted but not completed), from listener events. On a terminal it is
 * redrawn in place (`\r` + clear line); otherwise it is printed as one plain line per batch.
 */
import type { StreamingListener } from '../scheduler/listener.js';
import { formatDurationShort } from './durations.js';
import { formatCount, formatMs } from './summary.js';

/** What the status line shows after a batch. */
export interface StatusSnapshot {
  batchTime: number;
  records: number;
  batchIntervalMs: number;
  processingMs: number | undefined;
  schedulingDelayMs: number | undefined;
  /** Batches submitted but not yet completed. */
  backlog: number;
}

/** The stream a status line writes to: stdout, or a test's fake. */
export interface StatusOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** `HH:MM:SS` of a batch time, in local time (or UTC when `utc`). */
export function clockTime(time: number, utc = false): string {
  const d = new Date(time);
  const parts = utc ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()] : [d.getHours(), d.getMinutes(), d.getSeconds()];
  return parts.map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * The status text, e.g.
 * `batch 12:00:05 | 100,000 rec/s | processing 23 ms / 1s (2%) | delay 0.4 ms | backlog 0`.
 */
export function formatStatus(s: StatusSnapshot, options: { utc?: boolean } = {}): string {
  const rate = s.batchIntervalMs > 0 ? Math.round((s.records * 1000) / s.batchIntervalMs) : s.records;
  const load = s.processingMs === undefined ? '' : ` (${Math.round((100 * s.processingMs) / s.batchIntervalMs)}%)`;
  return [
    `batch ${clockTime(s.batchTime, options.utc)}`,
    `${formatCount(rate)} rec/s`,
    `processing ${s.processingMs === undefined ? '–' : formatMs(s.processingMs)} / ${formatDurationShort(s.batchIntervalMs)}${load}`,
    `delay ${s.schedulingDelayMs === undefined ? '–' : formatMs(s.schedulingDelayMs)}`,
    `backlog ${s.backlog}`,
  ].join(' | ');
}

const CLEAR_LINE = '\r\x1b[2K';

/**
 * Shows the status of a running context. Add {@link listener} to the context; print other lines
 * through {@link log} so they appear above the status line on a terminal.
 */
export class StatusLine {
  private submitted = 0;
  private completed = 0;
  private current: string | undefined;
  private finished = false;
  readonly tty: boolean;

  constructor(
    private readonly out: StatusOutput,
    private readonly batchIntervalMs: number,
    private readonly options: { utc?: boolean; prefix?: string } = {},
  ) {
    this.tty = out.isTTY === true;
  }

  readonly listener: StreamingListener = {
    onBatchSubmitted: () => {
      this.submitted++;
    },
    onBatchCompleted: ({ batchInfo }) => {
      this.completed++;
      this.show({
        batchTime: batchInfo.batchTime,
        records: batchInfo.numRecords,
        batchIntervalMs: this.batchIntervalMs,
        processingMs: batchInfo.processingDelay,
        schedulingDelayMs: batchInfo.schedulingDelay,
        backlog: Math.max(0, this.submitted - this.completed),
      });
    },
  };

  /** Shows `snapshot`: redrawn in place on a terminal, a new line otherwise. */
  show(snapshot: StatusSnapshot): void {
    if (this.finished) return;
    const text = (this.options.prefix ?? '') + formatStatus(snapshot, this.options);
    if (this.tty) {
      this.current = this.fit(text);
      this.out.write(CLEAR_LINE + this.current);
    } else {
      this.out.write(text + '\n');
    }
  }

  /** Prints a line of its own, above the status line on a terminal. */
  log(line: string): void {
    if (this.tty && this.current !== undefined && !this.finished) {
      this.out.write(`${CLEAR_LINE}${line}\n${this.current}`);
    } else {
      this.out.write(line + '\n');
    }
  }

  /** Ends the status line (on a terminal: the cursor moves to a new line). Later updates are ignored. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.tty && this.current !== undefined) this.out.write('\n');
  }

  /** Cut to the terminal's width: a wrapped line could not be redrawn in place. */
  private fit(text: string): string {
    const width = this.out.columns;
    return width && width > 1 && text.length >= width ? text.slice(0, width - 2) + '…' : text;
  }
}
