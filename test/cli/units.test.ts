import { describe, expect, test } from 'vitest';
import { DurationParseError, formatDurationShort, parseDuration } from '../../src/cli/durations.js';
import { StatusLine, formatStatus, type StatusSnapshot } from '../../src/cli/status-line.js';
import { RunMetrics, formatCount, formatSummary, percentile, summaryLines } from '../../src/cli/summary.js';
import type { BatchInfo } from '../../src/index.js';

describe('durations', () => {
  test('parse ms, s, m and h, fractions down to the millisecond', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration(' 10S ')).toBe(10_000);
    expect(parseDuration('0s', '--x', { allowZero: true })).toBe(0);
  });

  test('refuse bare numbers, unknown units, zero and sub-millisecond values, naming the flag', () => {
    expect(() => parseDuration('5', '--batch')).toThrow(/--batch: "5" is not a duration \(add a unit: 5s or 5ms\)/);
    expect(() => parseDuration('2x', '--batch')).toThrow(DurationParseError);
    expect(() => parseDuration('-1s')).toThrow(/not a duration/);
    expect(() => parseDuration('0s', '--window')).toThrow(/--window: "0s" must be longer than zero/);
    expect(() => parseDuration('0.5ms')).toThrow(/not a whole number of milliseconds/);
    expect(() => parseDuration('')).toThrow(/not a duration/);
  });

  test('format back to short text', () => {
    expect([500, 1000, 1500, 60_000, 90_000, 3_600_000, 5_400_000].map(formatDurationShort)).toEqual(['500ms', '1s', '1.5s', '1m', '1m 30s', '1h', '1h 30m']);
  });
});

describe('summary', () => {
  test('percentiles are nearest-rank; counts are grouped by thousands', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBeNaN();
    expect([0, 999, 1000, 1234567, -20000].map(formatCount)).toEqual(['0', '999', '1,000', '1,234,567', '-20,000']);
  });

  test('the summary has events, events/s, batches, mean and p99 processing time, and extra lines', () => {
    const m = new RunMetrics();
    m.startedAt = 0;
    m.stoppedAt = 10_000;
    for (let i = 0; i < 10; i++) m.record({ numRecords: 1000, processingDelay: i === 9 ? 50 : 10 } as BatchInfo);
    const text = formatSummary(summaryLines(m, 1000, [['store', '/tmp/x.duckdb']]), 'Summary of job');
    expect(text).toBe(
      [
        'Summary of job',
        '  events      10,000',
        '  events/s    1,000',
        '  batches     10',
        '  processing  mean 14 ms, p99 50 ms (batch interval 1s)',
        '  elapsed     10.0 s',
        '  store       /tmp/x.duckdb',
        '',
      ].join('\n'),
    );
  });
});

describe('status line', () => {
  const snapshot: StatusSnapshot = {
    batchTime: Date.UTC(2026, 0, 1, 12, 0, 5),
    records: 250_000,
    batchIntervalMs: 500,
    processingMs: 120,
    schedulingDelayMs: 3,
    backlog: 2,
  };

  test('shows batch time, input rate, processing time against the interval, delay and backlog', () => {
    expect(formatStatus(snapshot, { utc: true })).toBe('batch 12:00:05 | 500,000 rec/s | processing 120 ms / 500ms (24%) | delay 3 ms | backlog 2');
    expect(formatStatus({ ...snapshot, processingMs: undefined, schedulingDelayMs: undefined }, { utc: true })).toContain('processing – / 500ms | delay –');
  });

  function fakeOut(isTTY: boolean, columns?: number) {
    const chunks: string[] = [];
    return { chunks, out: { isTTY, columns, write: (s: string) => void chunks.push(s) } };
  }

  function completed(time: number, records: number): { batchInfo: BatchInfo } {
    return { batchInfo: { batchTime: time, numRecords: records, processingDelay: 10, schedulingDelay: 1 } as BatchInfo };
  }

  test('on a terminal it is redrawn in place, and other lines are printed above it', () => {
    const { chunks, out } = fakeOut(true);
    const line = new StatusLine(out, 1000, { utc: true });
    line.listener.onBatchSubmitted!({ batchInfo: {} as BatchInfo });
    line.listener.onBatchSubmitted!({ batchInfo: {} as BatchInfo });
    line.listener.onBatchCompleted!(completed(1000, 10));
    line.log('a line of its own');
    line.listener.onBatchCompleted!(completed(2000, 20));
    line.finish();
    line.listener.onBatchCompleted!(completed(3000, 30)); // after finish: ignored
    expect(chunks).toEqual([
      '\r\x1b[2Kbatch 00:00:01 | 10 rec/s | processing 10 ms / 1s (1%) | delay 1 ms | backlog 1',
      '\r\x1b[2Ka line of its own\nbatch 00:00:01 | 10 rec/s | processing 10 ms / 1s (1%) | delay 1 ms | backlog 1',
      '\r\x1b[2Kbatch 00:00:02 | 20 rec/s | processing 10 ms / 1s (1%) | delay 1 ms | backlog 0',
      '\n',
    ]);
  });

  test('on a terminal the line is cut to the terminal width', () => {
    const { chunks, out } = fakeOut(true, 30);
    new StatusLine(out, 1000, { utc: true }).show(snapshot);
    expect(chunks[0]).toBe('\r\x1b[2Kbatch 12:00:05 | 500,000 rec…');
  });

  test('elsewhere (a pipe, a file) it prints one plain line per batch, without control characters', () => {
    const { chunks, out } = fakeOut(false);
    const line = new StatusLine(out, 1000, { utc: true });
    line.listener.onBatchSubmitted!({ batchInfo: {} as BatchInfo });
    line.listener.onBatchCompleted!(completed(1000, 10));
    line.log('a line of its own');
    line.listener.onBatchSubmitted!({ batchInfo: {} as BatchInfo });
    line.listener.onBatchCompleted!(completed(2000, 20));
    line.finish();
    expect(chunks.join('')).toBe(
      [
        'batch 00:00:01 | 10 rec/s | processing 10 ms / 1s (1%) | delay 1 ms | backlog 0',
        'a line of its own',
        'batch 00:00:02 | 20 rec/s | processing 10 ms / 1s (1%) | delay 1 ms | backlog 0',
        '',
      ].join('\n'),
    );
  });
});
