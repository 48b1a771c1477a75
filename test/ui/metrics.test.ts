import { describe, expect, it } from 'vitest';
import { PrometheusText, escapeHelp, escapeLabelValue, formatValue, renderMetrics } from '../../src/ui/metrics.js';
import type { UiSource } from '../../src/ui/rest.js';
import { StreamingStatusStore } from '../../src/ui/status-store.js';
import { parseExposition } from './support.js';

describe('Prometheus text format', () => {
  it('escapes label values and help text as the format requires', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(escapeHelp('one\\two\nthree "q"')).toBe('one\\\\two\\nthree "q"');
    expect([NaN, Infinity, -Infinity, 0.25, 3].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '0.25', '3']);
  });

  it('writes HELP and TYPE once per family, leaves empty families out, and refuses bad names', () => {
    const text = new PrometheusText()
      .family('x_total', 'counter', 'X.', [{ labels: { app: 'a"\n' }, value: 1 }, { labels: { app: 'b' }, value: 2 }])
      .family('empty', 'gauge', 'Nothing.', [])
      .toString();
    expect(text).toBe('# HELP x_total X.\n# TYPE x_total counter\nx_total{app="a\\"\\n"} 1\nx_total{app="b"} 2\n');
    expect(() => new PrometheusText().family('1bad', 'gauge', '', [])).toThrow(/metric name/);
    expect(() => new PrometheusText().family('ok', 'gauge', '', [{ labels: { 'bad-label': 'x' }, value: 1 }])).toThrow(/label name/);
    expect(() => new PrometheusText().family('a', 'gauge', '', [{ value: 1 }]).family('a', 'gauge', '', [{ value: 1 }])).toThrow(/twice/);
  });

  it('renders a context whose names need escaping into valid samples', () => {
    const store = new StreamingStatusStore({
      batchDuration: 500,
      retainedBatches: 10,
      inputStreams: () => [{ id: 1, name: 'topic "a"\\b\nc' }],
      isRunning: () => true,
    });
    store.onStreamingStarted({ time: 1_000 });
    const src: UiSource = {
      store,
      appName: 'weird "app"\\\n',
      now: () => 4_000,
      startTime: () => 1_000,
      runtimeStatus: () => ({
        operators: [{ id: 7, name: 'updateStateByKey', kind: 'transformation', dependencies: [1], stateSize: 12, lastBatchRecords: 3, lastBatchTime: 3_500 }],
        workers: { threads: 2, utilization: 0.25 },
        checkpoint: { directory: '/tmp/x', lastCheckpointTime: 2_500 },
      }),
    };
    const samples = parseExposition(renderMetrics(src));
    const get = (name: string) => samples.filter((s) => s.name === name);
    expect(get('sluice_uptime_seconds')).toEqual([{ name: 'sluice_uptime_seconds', labels: { app: 'weird "app"\\\n' }, value: 3 }]);
    expect(get('sluice_stream_active')[0]!.labels).toEqual({ app: 'weird "app"\\\n', stream: 'topic "a"\\b\nc', stream_id: '1' });
    expect(get('sluice_operator_state_size')[0]).toMatchObject({ labels: { operator: 'updateStateByKey', operator_id: '7' }, value: 12 });
    expect(get('sluice_worker_utilization_ratio')[0]!.value).toBe(0.25);
    expect(get('sluice_checkpoint_age_seconds')[0]!.value).toBe(1.5);
    expect(get('sluice_batch_interval_seconds')[0]!.value).toBe(0.5);
    // No batch completed yet: "last batch" gauges are absent rather than a misleading 0.
    expect(get('sluice_last_batch_processing_time_seconds')).toEqual([]);
  });
});
