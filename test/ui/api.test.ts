/**
 * The REST API and metrics against a real running context: every field is checked against what
 * a listener registered on the same context saw. The comparisons happen in a stop hook, when
 * the last batch is done and the server still answers: a moment when nothing moves.
 */
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { request } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Milliseconds, StreamingContext, type BatchInfo } from '../../src/index.js';
import { advanceBatches } from '../../src/testing.js';
import { UiServer } from '../../src/ui/server.js';
import { waitFor } from '../support/async.js';
import { OrdersFeed, parseExposition, record, uiContext } from './support.js';

const contexts: StreamingContext[] = [];
const servers: NetServer[] = [];

afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop().catch(() => undefined);
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  vi.restoreAllMocks();
});

function track(ssc: StreamingContext): StreamingContext {
  contexts.push(ssc);
  return ssc;
}

interface Got {
  status: number;
  headers: Headers;
  text: string;
  json: () => any;
}

async function get(url: string, init: RequestInit = {}): Promise<Got> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const mean = (xs: number[]): number | undefined => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Holds a port; resolves with it. */
async function occupy(port = 0): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve());
  });
  servers.push(s);
  return (s.address() as { port: number }).port;
}

describe('REST API and metrics of a running context', () => {
  it('report exactly what the listener bus posted: statistics, receivers, batches, operations, inputs, graph, metrics', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {}); // batches dropped by the failure stop
    const ssc = track(uiContext({ appName: 'api-test', maxTaskFailures: 2 }));
    const rec = record(ssc);
    const orders = new OrdersFeed(ssc);
    const numbers = ssc.generatorStream((i) => i, { ratePerSec: 500 });
    orders
      .map((l): [string, number] => [l.split(' ')[0]!, 1])
      .reduceByKey((a, b) => a + b)
      .foreachRDD(() => {});
    let calls = 0;
    numbers.foreachRDD(() => {
      // The 6th batch fails on both attempts: the job stops with an error to display.
      if (++calls >= 6) throw new Error('boom: the sink is down');
    });

    let frozen: Record<string, Got> = {};
    ssc.addStopHook(async () => {
      const base = `${ssc.uiUrl}/api/v1/streaming`;
      const paths = ['statistics', 'receivers', 'batches', 'batches?status=COMPLETED', 'batches?status=processing,QUEUED', 'batches?status=bogus', 'graph'];
      for (const p of paths) frozen[p] = await get(`${base}/${p}`);
      for (const b of frozen['batches']!.json() as { batchId: number }[]) {
        for (const sub of ['', '/operations', '/inputs']) frozen[`batches/${b.batchId}${sub}`] = await get(`${base}/batches/${b.batchId}${sub}`);
      }
      frozen['metrics'] = await get(`${ssc.uiUrl}/metrics`);
      frozen['runtime'] = { status: 200, headers: new Headers(), text: JSON.stringify(ssc.runtimeStatus()), json: () => ssc.runtimeStatus() };
    });
    await ssc.start();
    expect(ssc.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(ssc.awaitTermination()).rejects.toThrow(/boom: the sink is down/);
    expect(ssc.uiUrl).toBeUndefined();

    // What the listener saw: the latest BatchInfo of each batch.
    const latest = new Map<number, BatchInfo>();
    for (const list of [rec.submitted, rec.started, rec.completed]) for (const b of list) latest.set(b.batchTime, b);
    const completedTimes = new Set(rec.completed.map((b) => b.batchTime));
    const startedTimes = new Set(rec.started.map((b) => b.batchTime));
    const retained = [...latest.values()].sort((a, b) => a.batchTime - b.batchTime);
    expect(rec.completed.length).toBe(6);

    // ---- statistics
    const stats = frozen['statistics']!;
    expect(stats.status).toBe(200);
    expect(stats.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const defined = (f: (b: BatchInfo) => number | undefined): number[] => retained.map(f).filter((v): v is number => v !== undefined);
    expect(stats.json()).toEqual({
      startTime: iso(rec.startedAt!),
      batchDuration: 100,
      numReceivers: 2,
      numActiveReceivers: 2,
      numInactiveReceivers: 0,
      numTotalCompletedBatches: 6,
      numRetainedCompletedBatches: 6,
      numActiveBatches: retained.length - 6,
      numProcessedRecords: rec.completed.reduce((n, b) => n + b.numRecords, 0),
      numReceivedRecords: rec.started.reduce((n, b) => n + b.numRecords, 0),
      avgInputRate: mean(retained.map((b) => b.numRecords * 10)),
      avgSchedulingDelay: Math.trunc(mean(defined((b) => b.schedulingDelay))!),
      avgProcessingTime: Math.trunc(mean(defined((b) => b.processingDelay))!),
      avgTotalDelay: Math.trunc(mean(defined((b) => b.totalDelay))!),
    });

    // ---- receivers: every input stream is a row
    const receivers = frozen['receivers']!.json() as any[];
    const streamIds = [orders.id, numbers.id];
    expect(receivers.map((r) => [r.streamId, r.streamName, r.isActive, r.hasReceiver, r.executorId])).toEqual([
      [orders.id, 'orders-feed', true, false, 'driver'],
      [numbers.id, 'generatorStream', true, false, 'driver'],
    ]);
    for (const [k, id] of streamIds.entries()) {
      const r = receivers[k];
      const inputs = rec.submitted.map((b) => b.streamIdToInputInfo.get(id)!);
      const rates = retained.map((b): [number, number] => [b.batchTime, (b.streamIdToInputInfo.get(id)?.numRecords ?? 0) * 10]);
      expect(r.eventRates).toEqual(rates);
      expect(r.avgEventRate).toBeCloseTo(mean(rates.map(([, x]) => x))!);
      expect(r.numRecords).toBe(inputs.reduce((n, i) => n + i.numRecords, 0));
      expect(r.malformedRecords).toBe(inputs.reduce((n, i) => n + (i.malformedRecords ?? 0), 0));
      expect(r.deadLetteredRecords).toBe(inputs.reduce((n, i) => n + (i.deadLetteredRecords ?? 0), 0));
      expect(r.droppedRecords).toBe(inputs.reduce((n, i) => n + (i.droppedRecords ?? 0), 0));
      expect(r.rateLimit).toBe(inputs.at(-1)!.rateLimit);
      expect(r.bufferedBytes).toBe(inputs.at(-1)!.bufferedBytes);
      expect(r.rateLimits).toEqual(retained.filter((b) => b.streamIdToInputInfo.get(id)?.rateLimit !== undefined).map((b) => [b.batchTime, b.streamIdToInputInfo.get(id)!.rateLimit]));
    }
    expect(receivers[0].malformedRecords).toBeGreaterThan(0);

    // ---- batches, newest first, and each batch's details
    const list = frozen['batches']!.json() as any[];
    expect(list.map((b) => b.batchId)).toEqual(retained.map((b) => b.batchTime).reverse());
    for (const b of list) {
      const info = latest.get(b.batchId)!;
      const ops = [...info.outputOperationInfos.values()].sort((x, y) => x.id - y.id);
      const failed = ops.filter((o) => o.failureReason !== undefined);
      const done = completedTimes.has(b.batchId);
      expect(b).toEqual({
        batchId: info.batchTime,
        batchTime: iso(info.batchTime),
        status: done ? 'COMPLETED' : startedTimes.has(b.batchId) ? 'PROCESSING' : 'QUEUED',
        batchDuration: 100,
        inputSize: info.numRecords,
        ...(info.schedulingDelay === undefined ? {} : { schedulingDelay: info.schedulingDelay }),
        ...(info.processingDelay === undefined ? {} : { processingTime: info.processingDelay }),
        ...(info.totalDelay === undefined ? {} : { totalDelay: info.totalDelay }),
        numActiveOutputOps: done ? 0 : 2,
        numCompletedOutputOps: ops.length - failed.length,
        numFailedOutputOps: failed.length,
        numTotalOutputOps: done ? ops.length : 2,
        ...(failed.length ? { firstFailureReason: failed[0]!.failureReason } : {}),
      });
      expect(frozen[`batches/${b.batchId}`]!.json()).toEqual(b);
      expect(frozen[`batches/${b.batchId}/operations`]!.json()).toEqual(
        ops.map((o) => ({
          outputOpId: o.id,
          name: o.name,
          description: o.description,
          startTime: iso(o.startTime!),
          endTime: iso(o.endTime!),
          duration: o.duration,
          ...(o.failureReason === undefined ? {} : { failureReason: o.failureReason }),
          attempts: o.attempts,
          status: o.failureReason === undefined ? 'SUCCEEDED' : 'FAILED',
        })),
      );
      const inputs = frozen[`batches/${b.batchId}/inputs`]!.json() as any[];
      expect(inputs).toEqual(
        streamIds.map((id) => {
          const i = info.streamIdToInputInfo.get(id)!;
          const { inputStreamId, name, numRecords, metadata, ...counters } = i;
          return { streamId: inputStreamId, streamName: name, numRecords, metadata, ...counters };
        }),
      );
    }
    const failedBatch = list.find((b) => b.numFailedOutputOps > 0);
    expect(failedBatch).toMatchObject({ status: 'COMPLETED', numCompletedOutputOps: 1, numFailedOutputOps: 1, numTotalOutputOps: 2 });
    expect(failedBatch.firstFailureReason).toBe('Error: boom: the sink is down');
    const failedOp = (frozen[`batches/${failedBatch.batchId}/operations`]!.json() as any[])[1];
    expect(failedOp).toMatchObject({ status: 'FAILED', attempts: 2, failureReason: 'Error: boom: the sink is down' });
    const offsets = (frozen[`batches/${list.at(-1).batchId}/inputs`]!.json() as any[])[0].metadata.offsetRanges;
    expect(offsets[0]).toMatchObject({ topic: 'orders', partition: 0, fromOffset: 0 });

    // ---- status filters
    expect((frozen['batches?status=COMPLETED']!.json() as any[]).map((b) => b.batchId)).toEqual(list.filter((b) => b.status === 'COMPLETED').map((b) => b.batchId));
    expect((frozen['batches?status=processing,QUEUED']!.json() as any[]).map((b) => b.batchId)).toEqual(list.filter((b) => b.status !== 'COMPLETED').map((b) => b.batchId));
    expect(frozen['batches?status=bogus']!.status).toBe(400);
    expect(frozen['batches?status=bogus']!.json().message).toMatch(/Unknown batch status 'bogus': use COMPLETED, PROCESSING, QUEUED/);

    // ---- graph: the runtime status
    const graph = frozen['graph']!.json();
    const runtime = frozen['runtime']!.json();
    expect(graph.operators.map((o: any) => [o.id, o.name, o.kind, o.dependencies, o.lastBatchRecords])).toEqual(
      runtime.operators.map((o: any) => [o.id, o.name, o.kind, o.dependencies, o.lastBatchRecords]),
    );
    expect(graph.workers.threads).toBe(runtime.workers.threads);
    expect(graph.checkpoint).toEqual({ enabled: false });

    // ---- metrics
    const metrics = frozen['metrics']!;
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const samples = parseExposition(metrics.text);
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    const st = stats.json();
    expect(value('sluice_batches_completed_total', { app: 'api-test' })).toBe(6);
    expect(value('sluice_batches_failed_total')).toBe(1);
    expect(value('sluice_records_processed_total')).toBe(st.numProcessedRecords);
    expect(value('sluice_records_received_total')).toBe(st.numReceivedRecords);
    expect(value('sluice_avg_processing_time_seconds')).toBe(st.avgProcessingTime / 1000);
    expect(value('sluice_batches_active', { status: 'queued' })! + value('sluice_batches_active', { status: 'processing' })!).toBe(st.numActiveBatches);
    expect(value('sluice_receivers_active')).toBe(2);
    const last = rec.completed.at(-1)!;
    expect(value('sluice_last_batch_processing_time_seconds')).toBe(last.processingDelay! / 1000);
    expect(value('sluice_last_batch_total_delay_seconds')).toBe(last.totalDelay! / 1000);
    for (const r of receivers) {
      const labels = { stream: r.streamName, stream_id: String(r.streamId) };
      expect(value('sluice_stream_records_total', labels)).toBe(r.numRecords);
      expect(value('sluice_stream_malformed_records_total', labels)).toBe(r.malformedRecords);
      expect(value('sluice_stream_dead_lettered_records_total', labels)).toBe(r.deadLetteredRecords);
      expect(value('sluice_stream_dropped_records_total', labels)).toBe(r.droppedRecords);
      expect(value('sluice_stream_rate_limit_records_per_second', labels)).toBe(r.rateLimit);
      expect(value('sluice_stream_input_rate_records_per_second', labels)).toBe(r.eventRates.at(-1)[1]);
    }
    expect(value('sluice_operator_last_batch_records', { operator: 'reduceByKey' })).toBe(runtime.operators.find((o: any) => o.name === 'reduceByKey').lastBatchRecords);
  });

  it('keeps only the last retainedBatches completed batches', async () => {
    const ssc = track(uiContext({ clock: 'manual', ui: { port: 0, retainedBatches: 3 } }));
    ssc.queueStream([[1], [2, 2], [3], [4], [5], [6], [7], [8]]).foreachRDD(() => {});
    await ssc.start();
    await advanceBatches(ssc, 8);
    const base = `${ssc.uiUrl}/api/v1/streaming`;
    const stats = (await get(`${base}/statistics`)).json();
    expect(stats).toMatchObject({ numTotalCompletedBatches: 8, numRetainedCompletedBatches: 3, numProcessedRecords: 9, numActiveBatches: 0 });
    const list = (await get(`${base}/batches`)).json() as any[];
    expect(list.map((b) => b.batchId)).toEqual([800, 700, 600]);
    expect((await get(`${base}/receivers`)).json()[0].eventRates).toEqual([
      [600, 10],
      [700, 10],
      [800, 10],
    ]);
    const gone = await get(`${base}/batches/100`);
    expect(gone.status).toBe(404);
    expect(gone.json()).toEqual({ error: 'Not Found', message: 'unknown batch: 100 (only the last 3 completed batches are kept)' });
  });
});

describe('the UI server', () => {
  it('answers unknown routes with a JSON 404, other methods with 405, and serves the pages', async () => {
    const ssc = track(uiContext({ clock: 'manual' }));
    expect(ssc.uiUrl).toBeUndefined();
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await ssc.start();
    const url = ssc.uiUrl!;
    for (const path of ['/nope', '/api/v1/streaming/nope', '/api/v1/streaming/statistics/x', '/api/v1/streaming/batches/abc', '/api/v1/streaming/batches/1/x', '/secret.html', '/../package.json', '/index.js']) {
      const res = await get(`${url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.json().error).toBe('Not Found');
    }
    const post = await get(`${url}/api/v1/streaming/statistics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(post.json()).toEqual({ error: 'Method Not Allowed', message: 'POST is not allowed on /api/v1/streaming/statistics; use GET or HEAD' });
    expect((await get(`${url}/`, { method: 'DELETE' })).status).toBe(405);
    expect((await get(`${url}/metrics`, { method: 'PUT' })).status).toBe(405);
    const getStop = await get(`${url}/api/v1/streaming/stop`);
    expect(getStop.status).toBe(405);
    expect(getStop.headers.get('allow')).toBe('POST');
    const stop = await get(`${url}/api/v1/streaming/stop`, { method: 'POST' });
    expect(stop.status).toBe(403);
    expect(stop.json().message).toMatch(/stopping from the UI is disabled: start the context with ui\.token/);
    expect(ssc.state).toBe('active');

    const head = await get(`${url}/api/v1/streaming/statistics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);

    const page = await get(`${url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.text).toContain('<script src="app.js"></script>');
    expect(page.text).not.toContain('{{tokenQuery}}');
    expect((await get(`${url}/batch.html`)).text).toContain('batch.js');
    expect((await get(`${url}/app.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await get(`${url}/style.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');

    // A page on another site pointing its own name at 127.0.0.1 (DNS rebinding) is refused.
    const port = Number(new URL(url).port);
    const rebound = await new Promise<number>((resolve, reject) =>
      request({ host: '127.0.0.1', port, path: '/api/v1/streaming/statistics', headers: { Host: `evil.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end(),
    );
    expect(rebound).toBe(403);
    expect((await get(`${url}/`, { headers: { Host: `localhost:${port}` } })).status).toBe(200);

    await ssc.stop();
    expect(ssc.uiUrl).toBeUndefined();
    await expect(fetch(`${url}/`)).rejects.toThrow(); // closed with the context
  });

  it('beyond loopback, needs the token on every request; POST stop with it stops the context gracefully', async () => {
    const token = 'tok/en "s3cr3t"&';
    const ssc = track(uiContext({ ui: { port: 0, host: '0.0.0.0', token } }));
    const seen: number[] = [];
    const queue: number[][] = [[1, 2, 3]];
    ssc.queueStream(queue).foreachRDD((b) => void seen.push(...b.collect()));
    await ssc.start();
    const port = new URL(ssc.uiUrl!).port;
    const url = `http://127.0.0.1:${port}`;
    for (const path of ['/', '/app.js', '/metrics', '/api/v1/streaming/statistics', '/api/v1/streaming/events', '/nope']) {
      const res = await get(`${url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="sluice"');
      expect(res.json().message).toMatch(/needs its token/);
    }
    expect((await get(`${url}/api/v1/streaming/statistics?token=wrong`)).json()).toEqual({ error: 'Unauthorized', message: 'wrong token' });
    expect((await get(`${url}/api/v1/streaming/statistics`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await get(`${url}/api/v1/streaming/statistics`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await get(`${url}/metrics?token=${encodeURIComponent(token)}`)).status).toBe(200);
    const page = await get(`${url}/?token=${encodeURIComponent(token)}`);
    expect(page.status).toBe(200);
    // The page's own asset requests carry the token (URL-encoded, then HTML-escaped).
    expect(page.text).toContain(`<script src="app.js?token=${encodeURIComponent(token).replace(/&/g, '&amp;')}"></script>`);

    expect((await get(`${url}/api/v1/streaming/stop`, { method: 'POST' })).status).toBe(401);
    await waitFor(() => seen.length === 3, 'the first batch');
    queue.push([4, 5]); // data not processed yet: a graceful stop processes it first
    const stop = await get(`${url}/api/v1/streaming/stop`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(stop.status).toBe(202);
    expect(stop.json()).toMatchObject({ graceful: true });
    expect(await ssc.awaitTermination(5_000)).toBe(true);
    expect(ssc.state).toBe('stopped');
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
    await expect(fetch(`${url}/`)).rejects.toThrow();
  });

  it('takes the next port when the port is taken, as Spark does', async () => {
    const taken = await occupy();
    const ssc = track(uiContext({ clock: 'manual', ui: { port: taken } }));
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await ssc.start();
    const port = Number(new URL(ssc.uiUrl!).port);
    expect(port).toBeGreaterThan(taken);
    expect(port).toBeLessThanOrEqual(taken + 16);
    expect((await get(`${ssc.uiUrl}/api/v1/streaming/statistics`)).status).toBe(200);
  });

  it('fails with a clear message when every port it may try is taken', async () => {
    // Three consecutive free ports, all held.
    let base = 0;
    for (let attempt = 0; attempt < 20 && base === 0; attempt++) {
      const p = await occupy();
      try {
        await occupy(p + 1);
        await occupy(p + 2);
        base = p;
      } catch {
        // p + 1 or p + 2 was in use: try elsewhere
      }
    }
    expect(base).toBeGreaterThan(0);
    const handlers = { rest: () => undefined, metrics: () => '', events: () => undefined, stop: () => ({ result: { status: 403, body: {} } }) };
    await expect(UiServer.start({ host: '127.0.0.1', port: base, token: undefined, handlers, portRetries: 2 })).rejects.toThrow(
      `The UI could not listen on 127.0.0.1: ports ${base}-${base + 2} are all in use (2 retries, as Spark's spark.port.maxRetries). Pass ui: { port: <a free port> } (or port: 0 for any free port), or ui: false to run without the UI`,
    );
  });

  it('a UI that cannot bind fails start(), and the context ends stopped', async () => {
    const ssc = track(uiContext({ ui: { port: 0, host: '203.0.113.7', token: 't' } })); // an address this machine does not have
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await expect(ssc.start()).rejects.toThrow(/The UI could not listen on 203\.0\.113\.7:0/);
    expect(ssc.state).toBe('stopped');
  });

  it('streams a snapshot then live updates, and forgets a client that goes away', async () => {
    const ssc = track(uiContext({ appName: 'sse-test' }));
    ssc.generatorStream((i) => i, { ratePerSec: 100 }).foreachRDD(() => {});
    await ssc.start();
    const abort = new AbortController();
    const res = await fetch(`${ssc.uiUrl}/api/v1/streaming/events`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const events = (): { event: string; data: any }[] =>
      [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({ event: m[1]!, data: JSON.parse(m[2]!) }));
    while (!events().some((e) => e.event === 'update' && e.data.type === 'batchCompleted')) text += (await reader.read()).value ?? '';
    const [snapshot, ...updates] = events();
    expect(snapshot!.event).toBe('snapshot');
    expect(snapshot!.data).toMatchObject({ appName: 'sse-test', running: true, batchDuration: 100, retainedBatches: 1000 });
    expect(snapshot!.data.receivers[0].streamName).toBe('generatorStream');
    const done = updates.find((e) => e.data.type === 'batchCompleted')!.data;
    expect(done.batch.status).toBe('COMPLETED');
    expect(done.statistics.numTotalCompletedBatches).toBeGreaterThan(snapshot!.data.statistics.numTotalCompletedBatches);
    expect(done.graph.operators.length).toBe(2);
    expect(updates.find((e) => e.data.type === 'batchSubmitted')!.data.inputs[0]).toMatchObject({ rate: 100 });

    const hub = (ssc as unknown as { ui: { hub: { size: number } } }).ui.hub;
    expect(hub.size).toBe(1);
    abort.abort();
    await waitFor(() => hub.size === 0, 'the server to forget the closed stream');
  });

  it('is off when SLUICE_UI=false and nothing asks for it (as in the other suites)', async () => {
    expect(process.env['SLUICE_UI']).toBe('false');
    const ssc = track(new StreamingContext({ batchInterval: Milliseconds(100), clock: 'manual' }));
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await ssc.start();
    expect(ssc.uiUrl).toBeUndefined();
  });
});
