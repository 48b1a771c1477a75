import { mkdir, mkdtemp, rename, rm, symlink, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StreamingContext, type DStream } from '../../src/index.js';
import { advanceBatches } from '../../src/testing.js';
import { collectBatches } from '../support/batches.js';
import { recordEvents } from './helpers.js';

let dir: string;
let ssc: StreamingContext | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-textfile-'));
});

afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A manual-clock context watching `directory`, not started yet. */
function watch(directory = dir, includeExisting?: boolean) {
  ssc = new StreamingContext({ batchInterval: 1000, clock: 'manual' });
  const stream: DStream<string> = ssc.textFileStream(directory, includeExisting === undefined ? {} : { includeExisting });
  const batches = collectBatches(stream);
  const events = recordEvents(ssc);
  const context = ssc;
  /** The files reported in each batch's input metadata. */
  const files = (): unknown[] => events.batches.map((b) => b.streamIdToInputInfo.get(stream.id)!.metadata['files']);
  return { ssc: context, stream, batches, events, files };
}

describe('textFileStream', () => {
  it('ignores the files present at start, even when they change later', async () => {
    await writeFile(join(dir, 'old.txt'), 'old 1\nold 2\n');
    const { ssc, batches, files } = watch();
    await ssc.start();

    await writeFile(join(dir, 'new.txt'), 'new 1\nnew 2\n');
    await advanceBatches(ssc, 1);
    await appendFile(join(dir, 'old.txt'), 'old 3\n');
    await advanceBatches(ssc, 1);

    expect(batches).toEqual([['new 1', 'new 2'], []]);
    expect(files()).toEqual([[join(dir, 'new.txt')], []]);
  });

  it('reads each new file exactly once, in the batch after it appears', async () => {
    const { ssc, batches, events, files } = watch();
    await ssc.start();

    await writeFile(join(dir, 'a.txt'), 'a1\na2\n');
    await advanceBatches(ssc, 1);
    await writeFile(join(dir, 'c.txt'), 'c1\n');
    await writeFile(join(dir, 'b.txt'), 'b1\nb2\nb3\n');
    await advanceBatches(ssc, 1);
    await advanceBatches(ssc, 2);
    await writeFile(join(dir, 'd.txt'), 'd1\n');
    await advanceBatches(ssc, 1);

    // Within a batch, files are read in name order.
    expect(batches).toEqual([['a1', 'a2'], ['b1', 'b2', 'b3', 'c1'], [], [], ['d1']]);
    expect(events.batches.map((b) => b.numRecords)).toEqual([2, 4, 0, 0, 1]);
    expect(files()).toEqual([[join(dir, 'a.txt')], [join(dir, 'b.txt'), join(dir, 'c.txt')], [], [], [join(dir, 'd.txt')]]);
  });

  it('skips hidden (. and _) files until they are renamed in', async () => {
    const { ssc, batches } = watch();
    await ssc.start();

    await writeFile(join(dir, '.part-1'), 'one\n');
    await writeFile(join(dir, '_COPYING_'), 'two\n');
    await advanceBatches(ssc, 1);
    await rename(join(dir, '.part-1'), join(dir, 'part-1'));
    await advanceBatches(ssc, 1);
    await rename(join(dir, '_COPYING_'), join(dir, 'copied'));
    await advanceBatches(ssc, 1);

    expect(batches).toEqual([[], ['one'], ['two']]);
  });

  it('reads a file again when it is removed and a file of the same name appears later', async () => {
    const { ssc, batches } = watch();
    await ssc.start();

    await writeFile(join(dir, 'data.txt'), 'first version\n');
    await advanceBatches(ssc, 1);
    await rm(join(dir, 'data.txt'));
    await advanceBatches(ssc, 1);
    await writeFile(join(dir, 'data.txt'), 'second version\n');
    await advanceBatches(ssc, 1);
    await advanceBatches(ssc, 1);

    expect(batches).toEqual([['first version'], [], ['second version'], []]);
  });

  it('also reads a file present at start that is removed and recreated after start', async () => {
    await writeFile(join(dir, 'data.txt'), 'before start\n');
    const { ssc, batches } = watch();
    await ssc.start();
    await rm(join(dir, 'data.txt'));
    await advanceBatches(ssc, 1);
    await writeFile(join(dir, 'data.txt'), 'after start\n');
    await advanceBatches(ssc, 1);
    expect(batches).toEqual([[], ['after start']]);
  });

  it('splits CRLF and LF lines, keeps a last line without newline, and drops a leading byte-order mark', async () => {
    const { ssc, batches, files } = watch();
    await ssc.start();
    await writeFile(join(dir, '1-crlf.txt'), 'a\r\nb\r\n\r\nc');
    await writeFile(join(dir, '2-bom.txt'), '\uFEFFbom\n');
    await writeFile(join(dir, '3-empty.txt'), '');
    await advanceBatches(ssc, 1);
    expect(batches).toEqual([['a', 'b', '', 'c', 'bom']]);
    expect(files()).toEqual([['1-crlf.txt', '2-bom.txt', '3-empty.txt'].map((n) => join(dir, n))]);
  });

  it('ignores subdirectories and skips a name that cannot be read (dangling symlink) without failing', async () => {
    const { ssc, batches } = watch();
    await ssc.start();
    await mkdir(join(dir, 'subdir'));
    await writeFile(join(dir, 'subdir', 'inner.txt'), 'inner\n');
    await symlink(join(dir, '.target'), join(dir, 'link.txt'));
    await writeFile(join(dir, 'plain.txt'), 'plain\n');
    await advanceBatches(ssc, 1);
    expect(batches).toEqual([['plain']]);
    expect(ssc.state).toBe('active');

    // The link was not marked as read: once its target exists it is read.
    await writeFile(join(dir, '.target'), 'via link\n');
    await advanceBatches(ssc, 1);
    expect(batches).toEqual([['plain'], ['via link']]);
  });

  it('with includeExisting, reads the files present at start in the first batch', async () => {
    await writeFile(join(dir, 'old.txt'), 'old\n');
    await writeFile(join(dir, '.hidden'), 'hidden\n');
    const { ssc, batches } = watch(dir, true);
    await ssc.start();
    await advanceBatches(ssc, 2);
    expect(batches).toEqual([['old'], []]);
  });

  for (const includeExisting of [false, true]) {
    it(`fails start() with a clear error when the directory is missing (includeExisting: ${includeExisting})`, async () => {
      const missing = join(dir, 'does-not-exist');
      const { ssc } = watch(missing, includeExisting);
      const escaped = missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const message = new RegExp(`textFileStream cannot list ${escaped}: ENOENT.*; create the directory before start\\(\\)`);
      await expect(ssc.start()).rejects.toThrow(message);
      expect(ssc.state).toBe('stopped');
      await expect(ssc.awaitTermination()).rejects.toThrow(message);
    });
  }
});
