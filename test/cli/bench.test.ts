import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';
import { benchCommand } from '../../src/cli/main.js';
import { killChildrenAfterEach, sluice } from './cli-process.js';

killChildrenAfterEach();

test('sluice bench runs the kernel benchmark from the repository, passing its options', async () => {
  const run = sluice(['bench', '--quick', '--only=window']);
  expect(await run.exited, run.stderr()).toBe(0);
  expect(run.stderr()).toContain('sluice bench: running bench/kernels.bench.ts --quick --only=window');
  expect(run.stdout()).toMatch(/sliding window, 60 panes, 10K keys, ingest \(winAdd \+ winSlide\)/);
  expect(run.stdout() + run.stderr()).toContain('(--quick: results not written)');
}, 120_000);

test('outside a clone of the repository, sluice bench says where the benchmark is', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-installed-'));
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (written.push(String(s)), true));
  try {
    expect(await benchCommand([], dir)).toBe(1);
  } finally {
    spy.mockRestore();
    await rm(dir, { recursive: true, force: true });
  }
  expect(written.join('')).toMatch(/the kernel benchmark runs from a clone of the Sluice repository \(bench\/ is not part of the npm package\)/);
});
