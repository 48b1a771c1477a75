import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IllegalStateError } from '../../../src/errors.js';
import { MemoryDeadLetterSink, deadLetterFile, parseDeadLetterLine, type DeadLetter, type DeadLetterLine } from '../../../src/sources/decode/dead-letter.js';
import { bytes, enc } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-dead-letter-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = async (path: string): Promise<DeadLetterLine[]> =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as DeadLetterLine);

describe('deadLetterFile', () => {
  it('writes one JSON line per record, creating parent directories, raw as base64 and rawText when UTF-8', async () => {
    const path = join(dir, 'nested', 'deeper', 'bad.jsonl');
    const sink = deadLetterFile(path);
    expect(sink.name).toBe(`dead-letter file ${path}`);
    const records: DeadLetter[] = [
      { source: 'kafka sensors', time: 1000, reason: 'json: expected number for "v" at byte 5', raw: enc('{"v":true}') },
      { source: 'kafka sensors', time: 1000, reason: 'text: invalid UTF-8 at byte 1', raw: bytes(0x61, 0xff, 0x00) },
    ];
    await sink.write(records);
    await sink.write([{ source: 'mqtt', time: 2000, reason: 'csv: expected 2 fields, got 1', raw: enc('é😀\n"x"') }]);
    await sink.close?.();
    expect(await lines(path)).toEqual([
      { source: 'kafka sensors', time: 1000, reason: 'json: expected number for "v" at byte 5', raw: Buffer.from('{"v":true}').toString('base64'), rawText: '{"v":true}' },
      { source: 'kafka sensors', time: 1000, reason: 'text: invalid UTF-8 at byte 1', raw: 'Yf8A' },
      { source: 'mqtt', time: 2000, reason: 'csv: expected 2 fields, got 1', raw: Buffer.from('é😀\n"x"').toString('base64'), rawText: 'é😀\n"x"' },
    ]);
    // Lines read back into the same dead letters.
    const back = (await readFile(path, 'utf8')).trimEnd().split('\n').map(parseDeadLetterLine);
    expect(back).toEqual([...records, { source: 'mqtt', time: 2000, reason: 'csv: expected 2 fields, got 1', raw: enc('é😀\n"x"') }]);
  });

  it('appends to an existing file', async () => {
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, '{"earlier":true}\n');
    const sink = deadLetterFile(path);
    await sink.write([{ source: 's', time: 1, reason: 'r', raw: enc('x') }]);
    expect(await readFile(path, 'utf8')).toBe('{"earlier":true}\n{"source":"s","time":1,"reason":"r","raw":"eA==","rawText":"x"}\n');
    await deadLetterFile(path).write([{ source: 's', time: 2, reason: 'r', raw: enc('y') }]);
    expect((await lines(path)).map((l) => l.time)).toEqual([undefined, 1, 2]);
  });

  it('writes only the bytes of a view, not its whole buffer', async () => {
    const path = join(dir, 'bad.jsonl');
    const buffer = enc('0123456789');
    await deadLetterFile(path).write([{ source: 's', time: 1, reason: 'r', raw: buffer.subarray(3, 6) }]);
    expect((await lines(path))[0]).toMatchObject({ raw: Buffer.from('345').toString('base64'), rawText: '345' });
  });

  it('serialises concurrent writes: lines in call order, never interleaved', async () => {
    const path = join(dir, 'bad.jsonl');
    const sink = deadLetterFile(path);
    const big = 'z'.repeat(100_000);
    const writes = Array.from({ length: 40 }, (_, i) =>
      sink.write(Array.from({ length: 3 }, (_, j) => ({ source: 's', time: i, reason: `r${j}`, raw: enc(i % 5 === 0 ? big : `p${i}-${j}`) }))),
    );
    await Promise.all(writes);
    const got = await lines(path);
    expect(got.map((l) => `${l.time}:${l.reason}`)).toEqual(Array.from({ length: 40 }, (_, i) => [0, 1, 2].map((j) => `${i}:r${j}`)).flat());
    expect(got.filter((l) => l.rawText === big)).toHaveLength(8 * 3);
  });

  it('close waits for pending writes; later writes are refused', async () => {
    const path = join(dir, 'bad.jsonl');
    const sink = deadLetterFile(path);
    const pending = sink.write([{ source: 's', time: 1, reason: 'r', raw: enc('x') }]);
    await sink.close?.();
    expect(await lines(path)).toHaveLength(1);
    await pending;
    await expect(sink.write([{ source: 's', time: 2, reason: 'r', raw: enc('y') }])).rejects.toThrow(IllegalStateError);
    await expect(sink.write([])).rejects.toThrow(`dead-letter file ${path} is closed: cannot write 0 record(s)`);
  });

  it('rejects a failed write without blocking the next ones', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'x');
    const sink = deadLetterFile(join(blocker, 'bad.jsonl')); // its parent is a file
    await expect(sink.write([{ source: 's', time: 1, reason: 'r', raw: enc('x') }])).rejects.toThrow(/EEXIST|ENOTDIR/);
    await expect(sink.write([{ source: 's', time: 2, reason: 'r', raw: enc('y') }])).rejects.toThrow(/EEXIST|ENOTDIR/);
    await sink.close?.();
  });

  it('needs a path', () => {
    expect(() => deadLetterFile('')).toThrow('deadLetterFile needs a file path, got ""');
  });
});

describe('MemoryDeadLetterSink', () => {
  it('keeps the records in order until closed', () => {
    const sink = new MemoryDeadLetterSink('test sink');
    expect(sink.name).toBe('test sink');
    const a: DeadLetter = { source: 's', time: 1, reason: 'r1', raw: enc('a') };
    const b: DeadLetter = { source: 's', time: 2, reason: 'r2', raw: enc('b') };
    sink.write([a]);
    sink.write([b]);
    expect(sink.records).toEqual([a, b]);
    sink.close();
    expect(sink.closed).toBe(true);
    expect(() => sink.write([a])).toThrow('test sink is closed: cannot write 1 record(s)');
    expect(new MemoryDeadLetterSink().name).toBe('memory');
  });
});
