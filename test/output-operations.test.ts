import { readdir, readFile, writeFile } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobFailedError, type BatchInfo, type StreamingContext } from '../src/index.js';
import { writeTextFileAtomically } from '../src/sinks/text-files.js';
import { advanceBatches } from '../src/testing.js';
import { flush, rejectionOf } from './support/async.js';
import { manualContext, useTempDir } from './support/context.js';

// Every fs call of the sink goes through these spies, so a test can pause or fail one step.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, rename: vi.fn(actual.rename), open: vi.fn(actual.open) };
});

const DASHES = '-------------------------------------------';

/** Runs `define` on a manual-clock context for `n` batches and returns what was written to stdout. */
async function captureStdout(n: number, define: (ssc: StreamingContext) => void): Promise<string> {
  const { ssc } = manualContext();
  define(ssc);
  const chunks: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await ssc.start();
    await advanceBatches(ssc, n);
    await ssc.stop();
  } finally {
    write.mockRestore();
  }
  return chunks.join('');
}

const block = (time: number, lines: string[]): string => [DASHES, `Time: ${time} ms`, DASHES, ...lines, '', ''].join('\n');

afterEach(() => {
  vi.restoreAllMocks();
  vi.clearAllMocks(); // the fs spies of vi.mock keep their call history otherwise
});

describe('print', () => {
  it('prints the first 10 records of each batch in Spark format, with ... when there are more', async () => {
    const out = await captureStdout(2, (ssc) => ssc.queueStream([Array.from({ length: 12 }, (_, i) => i + 1), [7]]).print());
    expect(out).toBe(block(1000, ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '...']) + block(2000, ['7']));
  });

  it('prints exactly n records without ... when the batch has exactly n', async () => {
    const out = await captureStdout(1, (ssc) => ssc.queueStream([['a', 'b', 'c']]).print(3));
    expect(out).toBe(block(1000, ['a', 'b', 'c']));
  });

  it('print(n) cuts at n', async () => {
    const out = await captureStdout(1, (ssc) => ssc.queueStream([['a', 'b', 'c', 'd']]).print(2));
    expect(out).toBe(block(1000, ['a', 'b', '...']));
  });

  it('prints pairs as Scala tuples', async () => {
    const out = await captureStdout(1, (ssc) =>
      ssc
        .queueStream([['to be', 'or not']])
        .flatMap((l) => l.split(' '))
        .map((w): [string, number] => [w, 1])
        .reduceByKey((a, b) => a + b, 1)
        .map(([w, n]): [string, [number, string]] => [w, [n, w.toUpperCase()]])
        .print(),
    );
    const lines = out.split('\n');
    expect(lines.slice(0, 3)).toEqual([DASHES, 'Time: 1000 ms', DASHES]);
    expect(lines.slice(3, 7).sort()).toEqual(['(be,(1,BE))', '(not,(1,NOT))', '(or,(1,OR))', '(to,(1,TO))']);
    expect(lines.slice(7)).toEqual(['', '']);
  });

  it('prints the header and a blank line for an empty batch', async () => {
    const out = await captureStdout(2, (ssc) => ssc.queueStream<number>([[]]).print());
    expect(out).toBe(block(1000, []) + block(2000, []));
    expect(block(1000, [])).toBe(`${DASHES}\nTime: 1000 ms\n${DASHES}\n\n`);
  });

  it('writes each batch in one piece, so concurrent output cannot interleave inside it', async () => {
    const { ssc } = manualContext();
    ssc.queueStream([[1, 2, 3]]).print();
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await ssc.start();
    await advanceBatches(ssc, 1);
    await ssc.stop();
    expect(write).toHaveBeenCalledTimes(1);
  });
});

describe('foreachRDD', () => {
  it('is called for every batch, empty ones included, with the batch and its time', async () => {
    const { ssc } = manualContext();
    const calls: [number, number[]][] = [];
    ssc.queueStream([[1, 2], [], [3]]).foreachRDD((b, t) => void calls.push([t, b.collect()]));
    await ssc.start();
    await advanceBatches(ssc, 4);
    await ssc.stop();
    expect(calls).toEqual([
      [1000, [1, 2]],
      [2000, []],
      [3000, [3]],
      [4000, []],
    ]);
  });

  it('awaits an async function before the next batch, even when batches are due at once', async () => {
    const { ssc, clock } = manualContext();
    const log: string[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (b, t) => {
      log.push(`start ${t}`);
      await new Promise((r) => setTimeout(r, 5));
      await flush();
      log.push(`end ${t} ${b.collect().join()}`);
    });
    await ssc.start();
    clock.advance(3000);
    await ssc.whenBatchesDone(3000);
    await ssc.stop();
    expect(log).toEqual(['start 1000', 'end 1000 1', 'start 2000', 'end 2000 2', 'start 3000', 'end 3000 3']);
  });

  it('a batch is not done until its async output has finished', async () => {
    const { ssc } = manualContext();
    let finished = 0;
    const completed: BatchInfo[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (e) => void completed.push(e.batchInfo) });
    ssc.queueStream([[1]]).foreachRDD(async () => {
      await new Promise((r) => setTimeout(r, 10));
      finished++;
    });
    await ssc.start();
    await advanceBatches(ssc, 1);
    expect(finished).toBe(1);
    expect(completed).toHaveLength(1);
    await ssc.stop();
  });

  it('runs the outputs of a batch in the order they were defined', async () => {
    const { ssc } = manualContext();
    const log: string[] = [];
    const s = ssc.queueStream([[1], [2]]);
    s.foreachRDD(async (_b, t) => {
      await flush();
      log.push(`first ${t}`);
    });
    s.map((n) => n * 10).foreachRDD((_b, t) => void log.push(`second ${t}`));
    await ssc.start();
    await advanceBatches(ssc, 2);
    await ssc.stop();
    expect(log).toEqual(['first 1000', 'second 1000', 'first 2000', 'second 2000']);
  });
});

describe('saveAsTextFiles', () => {
  const tempDir = useTempDir('sluice-save-');

  it('writes prefix-<time>.suffix per batch, one record per line, and an empty file for an empty batch', async () => {
    const { ssc } = manualContext();
    const prefix = join(tempDir(), 'out', 'counts');
    ssc
      .queueStream([['a b a'], [], ['c']])
      .flatMap((l) => l.split(' '))
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b, 1)
      .saveAsTextFiles(prefix, 'txt');
    await ssc.start();
    await advanceBatches(ssc, 3);
    await ssc.stop();

    expect((await readdir(join(tempDir(), 'out'))).sort()).toEqual(['counts-1000.txt', 'counts-2000.txt', 'counts-3000.txt']);
    expect((await readFile(`${prefix}-1000.txt`, 'utf8')).split('\n').sort()).toEqual(['', '(a,2)', '(b,1)']);
    expect(await readFile(`${prefix}-1000.txt`, 'utf8')).toMatch(/\n$/);
    expect(await readFile(`${prefix}-2000.txt`, 'utf8')).toBe('');
    expect(await readFile(`${prefix}-3000.txt`, 'utf8')).toBe('(c,1)\n');
  });

  it('leaves out the suffix when none (or an empty one) is given', async () => {
    const { ssc } = manualContext();
    const s = ssc.queueStream([[1, 2]]);
    s.saveAsTextFiles(join(tempDir(), 'plain'));
    s.saveAsTextFiles(join(tempDir(), 'empty'), '');
    await ssc.start();
    await advanceBatches(ssc, 1);
    await ssc.stop();
    expect((await readdir(tempDir())).sort()).toEqual(['empty-1000', 'plain-1000']);
    expect(await readFile(join(tempDir(), 'plain-1000'), 'utf8')).toBe('1\n2\n');
  });

  it('a failing write fails the batch after its retries, and leaves no temporary file behind', async () => {
    const { ssc } = manualContext({ maxTaskFailures: 2 });
    const blocker = join(tempDir(), 'not-a-dir');
    await writeFile(blocker, 'x');
    const ran = vi.fn();
    const s = ssc.queueStream([['a'], ['b']]);
    s.saveAsTextFiles(join(blocker, 'out'), 'txt');
    s.foreachRDD(ran);
    await ssc.start();
    const error = await rejectionOf(advanceBatches(ssc, 2));
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).message).toMatch(/"saveAsTextFiles of queueStream stream #\d+" failed for batch 1000 ms after 2 attempt\(s\)/);
    expect(ran).not.toHaveBeenCalled();
    expect(await readdir(tempDir())).toEqual(['not-a-dir']);
    await expect(ssc.awaitTermination()).rejects.toBe(error);
  });

  it('is retried when the rename fails once, and the batch is still written completely', async () => {
    const rename = vi.mocked(fsp.rename);
    rename.mockRejectedValueOnce(Object.assign(new Error('EBUSY: resource busy'), { code: 'EBUSY' }));
    const { ssc } = manualContext();
    ssc.queueStream([['x', 'y']]).saveAsTextFiles(join(tempDir(), 'r'));
    await ssc.start();
    await advanceBatches(ssc, 1);
    await ssc.stop();
    expect(rename).toHaveBeenCalledTimes(2);
    expect(await readdir(tempDir())).toEqual(['r-1000']);
    expect(await readFile(join(tempDir(), 'r-1000'), 'utf8')).toBe('x\ny\n');
  });
});

describe('writeTextFileAtomically', () => {
  const tempDir = useTempDir('sluice-atomic-');

  it('writes to a hidden temporary file and only then renames it to the final name', async () => {
    const actual = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
    const rename = vi.mocked(fsp.rename);
    let release!: () => void;
    const seenBeforeRename: { files: string[]; tempContent: string } = { files: [], tempContent: '' };
    rename.mockImplementationOnce(async (from, to) => {
      seenBeforeRename.files = await readdir(tempDir());
      seenBeforeRename.tempContent = await readFile(from, 'utf8');
      await new Promise<void>((r) => (release = r));
      return actual.rename(from, to);
    });
    const path = join(tempDir(), 'part-1000.txt');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
    const writing = writeTextFileAtomically(path, lines);
    await vi.waitFor(() => expect(release).toBeTypeOf('function'));

    // Everything is written, yet nothing is visible under the final name.
    expect(seenBeforeRename.files).toHaveLength(1);
    expect(seenBeforeRename.files[0]).toMatch(/^\.part-1000\.txt\..+\.tmp$/);
    expect(seenBeforeRename.tempContent).toBe(lines.join('\n') + '\n');
    expect(await readdir(tempDir())).not.toContain('part-1000.txt');

    release();
    await writing;
    expect(await readdir(tempDir())).toEqual(['part-1000.txt']);
    expect(await readFile(path, 'utf8')).toBe(lines.join('\n') + '\n');
  });

  it('replaces an existing file whole', async () => {
    const path = join(tempDir(), 'f');
    await writeFile(path, 'old content that is longer\n');
    await writeTextFileAtomically(path, ['new']);
    expect(await readFile(path, 'utf8')).toBe('new\n');
  });

  it('removes the temporary file and rethrows when the rename fails', async () => {
    vi.mocked(fsp.rename).mockRejectedValueOnce(new Error('EXDEV: cross-device link'));
    await expect(writeTextFileAtomically(join(tempDir(), 'f'), ['a'])).rejects.toThrow('EXDEV');
    expect(await readdir(tempDir())).toEqual([]);
  });

  it('removes the temporary file and rethrows when writing fails', async () => {
    const actual = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
    vi.mocked(fsp.open).mockImplementationOnce(async (...args: Parameters<typeof actual.open>) => {
      const handle = await actual.open(...args);
      handle.writeFile = () => Promise.reject(new Error('ENOSPC: no space left on device'));
      return handle;
    });
    await expect(writeTextFileAtomically(join(tempDir(), 'f'), ['a'])).rejects.toThrow('ENOSPC');
    expect(await readdir(tempDir())).toEqual([]);
  });

  it('concurrent writes of the same path do not share a temporary file', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    const path = join(tempDir(), 'same');
    const a = Array.from({ length: 2000 }, () => 'a');
    const b = Array.from({ length: 2000 }, () => 'b');
    await Promise.all([writeTextFileAtomically(path, a), writeTextFileAtomically(path, b)]);
    expect([a.join('\n') + '\n', b.join('\n') + '\n']).toContain(await readFile(path, 'utf8'));
    expect(await readdir(tempDir())).toEqual(['same']);
  });

  it('creates missing directories', async () => {
    const path = join(tempDir(), 'a', 'b', 'c.txt');
    await writeTextFileAtomically(path, []);
    expect(await readFile(path, 'utf8')).toBe('');
  });
});
