import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { findTsx } from '../../src/cli/run-job.js';
import { waitFor } from '../support/async.js';
import { ROOT, killChildrenAfterEach, num, sluice, summaryValue } from './cli-process.js';

killChildrenAfterEach();

/** A project directory where `import 'sluice'` finds this repository (its dist/), as after `npm i sluice`. */
let project: string;
beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'sluice-run-'));
  await writeFile(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
  await mkdir(join(project, 'node_modules'));
  await symlink(ROOT, join(project, 'node_modules', 'sluice'), 'dir');
});
afterEach(async () => {
  await rm(project, { recursive: true, force: true });
});

const TS_JOB = `
import { StreamingContext, Milliseconds, type DStream } from 'sluice';

export default function job({ args }: { args: string[] }): StreamingContext {
  const ssc = new StreamingContext({ batchInterval: Milliseconds(200), appName: 'tiny-job' });
  const numbers: DStream<number> = ssc.generatorStream((i) => i, { ratePerSec: Number(args[0] ?? 1000) });
  numbers.count().foreachRDD(async (batch, time) => {
    console.log(\`counted \${batch.collect()[0]} at \${time}\`);
    if (args[1] === 'slow') await new Promise((resolve) => setTimeout(resolve, 1500));
    if (args[1] === 'fail') throw new Error('boom');
  });
  return ssc;
}
`;

async function writeJob(name: string, source: string): Promise<string> {
  const path = join(project, name);
  await writeFile(path, source);
  return path;
}

describe('sluice run', () => {
  test('runs a TypeScript job until SIGTERM, then stops gracefully with exit code 0 and a summary', async () => {
    const job = await writeJob('job.ts', TS_JOB);
    const run = sluice(['run', job, '500'], { cwd: project });
    await waitFor(() => (run.stdout().match(/^batch /gm)?.length ?? 0) >= 3, 'three batches', 20_000, 50);
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr()).toBe(0);
    const out = run.stdout();
    expect(out).toContain(`Running tiny-job from ${job}`);
    expect(out).toMatch(/^counted 100 at \d+$/m); // 500 records/s × 200 ms
    expect(out).toMatch(/^batch \d\d:\d\d:\d\d \| 500 rec\/s \| processing \d+ ms \/ 200ms \(\d+%\) \| delay \d+ ms \| backlog \d+$/m);
    expect(out).toContain('SIGTERM: stopping gracefully');
    expect(out).toContain('Summary of tiny-job');
    const batches = num(summaryValue(out, 'batches'));
    expect(batches).toBeGreaterThanOrEqual(3);
    expect(num(summaryValue(out, 'events'))).toBe(batches * 100);
    expect(out.match(/^counted /gm)?.length).toBe(batches);
  }, 30_000);

  test('a second signal stops at once', async () => {
    const job = await writeJob('job.ts', TS_JOB);
    const run = sluice(['run', job, '500', 'slow'], { cwd: project });
    await waitFor(() => run.stdout().includes('counted'), 'the first batch', 20_000, 50);
    run.child.kill('SIGINT');
    await waitFor(() => run.stdout().includes('SIGINT: stopping gracefully'), 'the graceful stop to begin', 10_000, 20);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.stdout()).toContain('SIGINT again: stopping at once');
    expect(run.stdout()).not.toContain('Summary of');
  }, 30_000);

  test('a JavaScript job exporting `job`, with --duration and arguments', async () => {
    const job = await writeJob(
      'job.js',
      `import { StreamingContext, Milliseconds } from 'sluice';
       export function job({ args }) {
         const ssc = new StreamingContext({ batchInterval: Milliseconds(250), appName: 'js-job', ui: { port: 0 } });
         ssc.generatorStream((i) => i, { ratePerSec: Number(args[0]) }).count().print();
         return ssc;
       }`,
    );
    const run = sluice(['run', '--duration', '1s', job, '40'], { cwd: project });
    expect(await run.exited, run.stderr()).toBe(0);
    expect(run.stdout()).toContain('Running js-job');
    expect(run.stdout()).toMatch(/^UI: http:\/\/127\.0\.0\.1:\d+$/m);
    expect(run.stdout()).toContain('1s elapsed: stopping gracefully');
    expect(run.stdout()).toMatch(/^10$/m); // print(): 40/s × 250 ms
    expect(num(summaryValue(run.stdout(), 'batches'))).toBeGreaterThanOrEqual(3);
  }, 30_000);

  test('a job that fails ends with its error and exit code 1', async () => {
    const job = await writeJob('job.ts', TS_JOB);
    const run = sluice(['run', job, '100', 'fail'], { cwd: project });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/error: the job failed: JobFailedError: .*boom/);
    expect(run.stdout()).toContain('Summary of tiny-job');
  }, 30_000);

  test.each([
    ['a missing file', 'nope.ts', undefined, /error: job file not found: .*nope\.ts/],
    ['no job function', 'nofn.js', 'export const x = 1;', /must export a function that builds and returns a StreamingContext .* it exports x/],
    [
      'a started context',
      'started.js',
      `import { StreamingContext, Seconds } from 'sluice';
       export default function () { const ssc = new StreamingContext({ batchInterval: Seconds(1) }); ssc.queueStream([]).print(); void ssc.start(); return ssc; }`,
      /returned a context that is active; return it without starting it/,
    ],
    ['not a module', 'job.txt', 'hello', /a job is a \.ts or \.js module \(got \.txt\)/],
  ])('%s is a clear error with exit code 2', async (_what, name, source, message) => {
    const path = source === undefined ? join(project, name) : await writeJob(name, source);
    const run = sluice(['run', path], { cwd: project });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(message);
  }, 20_000);

  test('tsx is found from the job, the working directory or Sluice itself, and not elsewhere', () => {
    expect(findTsx([ROOT])).toMatch(/tsx[\\/]dist[\\/]esm[\\/]api[\\/]index\.mjs$/);
    expect(findTsx([tmpdir()])).toBeUndefined();
  });
});
