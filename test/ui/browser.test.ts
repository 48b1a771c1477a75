/**
 * The web UI in a real headless Chromium: the page shows the live numbers, updates itself from
 * the event stream without reloading, agrees with the REST API once the job is frozen (in a
 * stop hook: the last batch done, the server still up), and the batch page shows operations,
 * failures and offsets. Under CI=true a missing Chromium fails these tests instead of skipping.
 *
 * `SLUICE_UPDATE_SCREENSHOT=1 npx vitest run test/ui/browser.test.ts` also rewrites
 * docs/ui-screenshot.png from a longer run of the realistic job.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StreamingContext } from '../../src/index.js';
import { deferred, sleep } from '../support/async.js';
import { realisticJob, uiContext } from './support.js';

// SLUICE_CHROMIUM overrides the path (another distribution's binary).
const CHROMIUM = process.env['SLUICE_CHROMIUM'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const requireChromium = process.env['CI'] === 'true';
const updateScreenshot = process.env['SLUICE_UPDATE_SCREENSHOT'] === '1';
const SCREENSHOT = fileURLToPath(new URL('../../docs/ui-screenshot.png', import.meta.url));

/** Holds the context in a stop hook so that nothing moves while the test compares. */
function freezeOnStop(ssc: StreamingContext): { frozen: Promise<void>; release: () => void } {
  const entered = deferred();
  const hold = deferred();
  ssc.addStopHook(async () => {
    entered.resolve();
    await hold.promise;
  });
  return { frozen: entered.promise, release: hold.resolve };
}

async function json(url: string): Promise<any> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return res.json();
}

/** Page errors and failed requests: a working page has none. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  return errors;
}

const dataValue = (page: Page, selector: string): Promise<string | null> => page.locator(selector).first().getAttribute('data-value');

describe.skipIf(!haveChromium && !requireChromium)('the web UI in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(`CI=true: the UI browser tests need Chromium at ${CHROMIUM}, which is missing; install it (apt-get install chromium)`);
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the live numbers, updates without reload, agrees with the REST API, and links to batch details', async () => {
    const ssc = uiContext({ appName: 'orders-dashboard' });
    const cleanup = await realisticJob(ssc);
    const { frozen, release } = freezeOnStop(ssc);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = watchErrors(page);
    try {
      await ssc.start();
      const url = ssc.uiUrl!;
      await page.goto(url);
      await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

      // Live: the numbers move with no reload.
      const completed = async (): Promise<number> => Number(await dataValue(page, '#completed-count'));
      await page.waitForFunction(() => Number(document.getElementById('completed-count')!.dataset['value']) >= 2);
      const before = await completed();
      const updatesBefore = Number(await page.locator('body').getAttribute('data-updates'));
      await page.waitForFunction((n) => Number(document.getElementById('completed-count')!.dataset['value']) >= n + 3, before);
      expect(Number(await page.locator('body').getAttribute('data-updates'))).toBeGreaterThan(updatesBefore);
      expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
      await expect.poll(() => page.locator('#conn').textContent()).toBe('live');

      if (updateScreenshot) {
        await sleep(6_000); // a minute of history would be nicer; six seconds of 100 ms batches show the shapes
        const bottom = await page.evaluate(() => {
          const row = document.querySelector('#completed-batches tbody tr:nth-child(6)') ?? document.querySelector('#completed-batches');
          return row!.getBoundingClientRect().bottom + window.scrollY + 12;
        });
        await page.screenshot({ path: SCREENSHOT, fullPage: true, clip: { x: 0, y: 0, width: 1400, height: bottom } });
      }

      // Freeze: the last batch is done and the server still answers.
      const stopping = ssc.stop({ graceful: true });
      await frozen;
      const base = `${url}/api/v1/streaming`;
      const [stats, batches, receivers, graph] = await Promise.all(['statistics', 'batches', 'receivers', 'graph'].map((p) => json(`${base}/${p}`)));
      await page.waitForFunction((n) => document.getElementById('completed-count')!.dataset['value'] === String(n), stats.numTotalCompletedBatches);

      // Header, as Spark words it.
      expect(await dataValue(page, '#records-count')).toBe(String(stats.numReceivedRecords));
      const header = (await page.locator('#basic-info').textContent())!.replace(/\s+/g, ' ').trim();
      expect(header).toMatch(
        new RegExp(
          `^Running batches of 100 ms for [\\w ]+ since \\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d \\(${stats.numTotalCompletedBatches.toLocaleString('en-US')} completed batches, ${stats.numReceivedRecords.toLocaleString('en-US')} records\\)$`,
        ),
      );
      expect(await page.locator('#avg-input-rate').textContent()).toBe(stats.avgInputRate.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
      expect(await page.locator('#receivers-active').textContent()).toBe(String(stats.numActiveReceivers));
      expect(await page.locator('#receivers-total').textContent()).toBe(String(stats.numReceivers));

      // Batch tables, row by row.
      const done = batches.filter((b: any) => b.status === 'COMPLETED');
      const active = batches.filter((b: any) => b.status !== 'COMPLETED');
      const rows = await page.$$eval('#completed-batches tbody tr', (trs) =>
        trs.map((tr) => ({ id: Number(tr.getAttribute('data-batch-id')), cells: [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-value')) })),
      );
      expect(rows.map((r) => r.id)).toEqual(done.map((b: any) => b.batchId));
      for (const [i, b] of done.entries()) {
        expect(rows[i]!.cells.slice(1, 6)).toEqual([String(b.inputSize), String(b.schedulingDelay), String(b.processingTime), String(b.totalDelay), `${b.numCompletedOutputOps}/${b.numTotalOutputOps}`]);
      }
      expect(await page.locator('#completed-total').textContent()).toBe(stats.numTotalCompletedBatches.toLocaleString('en-US'));
      expect(await page.locator('#active-count').textContent()).toBe(String(active.length));

      // Charts drawn from the same batches.
      const chart = (id: string, attr: string) => page.locator(`#${id}`).getAttribute(`data-${attr}`);
      expect(await chart('timeline-input-rate', 'count')).toBe(String(batches.length));
      expect(Number(await chart('timeline-input-rate', 'last'))).toBe(batches[0].inputSize * 10);
      expect(await chart('histogram-input-rate', 'count')).toBe(String(batches.length));
      expect(await chart('timeline-processing-time', 'count')).toBe(String(batches.filter((b: any) => b.processingTime !== undefined).length));
      expect(await page.locator('#timeline-processing-time .mark').count()).toBe(1); // the batch interval
      expect(await chart('timeline-total-delay', 'last')).toBe(String(done[0].totalDelay));
      expect(await page.locator('#source-charts .source-chart').count()).toBe(receivers.length);
      expect(await chart('rate-limit-chart', 'series')).toBe('1');

      // Sources, with their counters and the receiver's error.
      for (const r of receivers) {
        const row = page.locator(`#sources-table tr[data-stream-id="${r.streamId}"]`);
        const cells = await row.locator('td').evaluateAll((tds) => tds.map((td) => td.getAttribute('data-value') ?? td.textContent));
        expect(cells[1]).toBe(r.isActive ? 'ACTIVE' : 'INACTIVE');
        expect(cells.slice(5, 9)).toEqual([r.numRecords, r.malformedRecords, r.deadLetteredRecords, r.droppedRecords].map(String));
        expect(cells[4]).toBe(r.rateLimit === undefined ? '' : String(r.rateLimit));
      }
      const sensors = receivers.find((r: any) => r.streamName === 'sensor-feed');
      expect(await page.locator(`#sources-table tr[data-stream-id="${sensors.streamId}"] .last-error`).textContent()).toContain('sensor 7 sent an unreadable frame');

      // The engine: graph, state, checkpoint.
      expect(await chart('dag', 'nodes')).toBe(String(graph.operators.length));
      expect(Number(await chart('dag', 'edges'))).toBe(graph.operators.reduce((n: number, o: any) => n + o.dependencies.length, 0));
      const windowed = graph.operators.find((o: any) => o.name === 'reduceByKeyAndWindow');
      expect(windowed.stateSize).toBeGreaterThan(0);
      expect(await page.locator(`#dag .node.stateful[data-id="${windowed.id}"] .node-state`).textContent()).toBe(`state: ${windowed.stateSize} keys`);
      expect(await page.locator(`#state-table tr[data-operator-id="${windowed.id}"] td`).nth(1).getAttribute('data-value')).toBe(String(windowed.stateSize));
      expect(await page.locator('#checkpoint').textContent()).toMatch(/^no checkpoint yet · /);

      // Batch detail: follow the newest batch's link.
      const newest = done[0];
      await page.locator(`#completed-batches tr[data-batch-id="${newest.batchId}"] a`).click();
      await page.waitForFunction(() => document.body.dataset['loaded'] === 'COMPLETED');
      expect(page.url()).toBe(`${url}/batch.html?id=${newest.batchId}`);
      const [ops, inputs] = await Promise.all([json(`${base}/batches/${newest.batchId}/operations`), json(`${base}/batches/${newest.batchId}/inputs`)]);
      const opRows = await page.$$eval('#operations tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
      expect(opRows.map((r) => r.slice(0, 3))).toEqual(ops.map((o: any) => [String(o.outputOpId), o.name, o.description]));
      expect(opRows.every((r) => r[4] === 'Succeeded')).toBe(true);
      const ordersInput = inputs.find((i: any) => i.streamName === 'orders-feed');
      const offsetCells = await page.$$eval(`section[data-stream-id="${ordersInput.streamId}"] tr[data-key="offsetRanges"] tbody tr`, (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
      expect(offsetCells).toEqual(ordersInput.metadata.offsetRanges.map((r: any) => [r.topic, String(r.partition), String(r.fromOffset), String(r.untilOffset)]));
      expect(await page.locator(`section[data-stream-id="${ordersInput.streamId}"] .counter[data-key="rateLimit"]`).textContent()).toBe(
        `rate limit (records/s): ${ordersInput.rateLimit}`,
      );

      // Going back to the main page and releasing the job: the page says it stopped.
      await page.goBack();
      await page.waitForFunction(() => Number(document.getElementById('completed-count')!.dataset['value']) > 0);
      release();
      await stopping;
      await expect.poll(() => page.locator('#stopped-banner').isVisible()).toBe(true);
      expect(await page.locator('#conn').textContent()).toBe('stopped');
      expect(errors).toEqual([]);
    } finally {
      release();
      await page.close();
      await ssc.stop();
      await cleanup();
    }
  }, updateScreenshot ? 60_000 : 20_000);

  it('with a token: the page carries it on every request, and shows a failed output operation', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const token = 'page-token';
    const ssc = uiContext({ appName: 'failing-job', maxTaskFailures: 2, ui: { port: 0, token } });
    let calls = 0;
    const numbers = ssc.generatorStream((i) => i, { ratePerSec: 200 });
    numbers.foreachRDD(() => {});
    numbers.foreachRDD(() => {
      if (++calls >= 3) throw new Error('sink refused the batch: HTTP 503');
    });
    const { frozen, release } = freezeOnStop(ssc);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    try {
      await ssc.start();
      const url = ssc.uiUrl!;
      await frozen; // the job failed at its 2nd batch and is stopping
      const stats = await json(`${url}/api/v1/streaming/statistics?token=${token}`);
      const failed = (await json(`${url}/api/v1/streaming/batches?token=${token}`)).find((b: any) => b.numFailedOutputOps > 0);
      await page.goto(`${url}/?token=${token}`);
      await page.waitForFunction((n) => document.getElementById('completed-count')!.dataset['value'] === String(n), stats.numTotalCompletedBatches);
      const row = page.locator(`#completed-batches tr[data-batch-id="${failed.batchId}"]`);
      expect(await row.getAttribute('class')).toBe('failed');
      expect(await row.locator('td').last().textContent()).toBe('Error: sink refused the batch: HTTP 503');
      expect(await row.locator('td.ops').getAttribute('data-value')).toBe('1/2');

      await row.locator('a').click();
      await page.waitForFunction(() => document.body.dataset['loaded'] === 'COMPLETED');
      expect(page.url()).toBe(`${url}/batch.html?id=${failed.batchId}&token=${token}`);
      const failedOp = page.locator('#operations tr[data-status="FAILED"]');
      expect(await failedOp.locator('.badge').textContent()).toBe('Failed');
      expect(await failedOp.locator('pre.failure').textContent()).toBe('Error: sink refused the batch: HTTP 503');
      expect(await failedOp.locator('td').nth(5).textContent()).toBe('2'); // attempts
      expect(await page.locator('#operations tr[data-status="SUCCEEDED"]').count()).toBe(1);
      expect(await page.locator('#summary li[data-key="outputOps"]').textContent()).toContain('1 succeeded, 1 failed');
      expect(errors).toEqual([]); // no request went without the token
    } finally {
      release();
      await page.close();
      await ssc.stop();
      await ssc.awaitTermination().catch(() => undefined);
    }
  });
});
