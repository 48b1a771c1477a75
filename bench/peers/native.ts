/**
 * Peer: the native C reference (native/reduce_by_key.c), built here with `gcc -O3 -march=native`
 * when gcc is present and run as a child process on the very batch the benchmark uses (written
 * to a file). It times its own per-batch loop, so process start and file reading are not counted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NATIVE_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'native', 'reduce_by_key.c');
export const CFLAGS = ['-O3', '-march=native', '-std=c11'];

/** gcc's version line, or undefined when there is no usable gcc. */
export function gccVersion(): string | undefined {
  const r = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split('\n')[0]!.trim();
}

export interface NativeRun {
  /** Per-iteration times of the timed loop, in ms. */
  readonly samplesMs: number[];
  readonly size: number;
  readonly capacity: number;
  readonly sum: number;
}

export interface NativeResult {
  readonly keys: Uint32Array;
  readonly sums: Float64Array;
  /** words mode: the dictionary, id → string. */
  readonly dictionary?: string[];
}

export type NativeInput =
  | { kind: 'u32'; keys: Uint32Array; values: Float64Array }
  | { kind: 'words'; offsets: Int32Array; bytes: Uint8Array; values: Float64Array };

export class NativeReference {
  private constructor(
    private readonly dir: string,
    readonly exe: string,
    readonly compiler: string,
  ) {}

  /** Builds the reference; throws (with gcc's message) if it cannot. */
  static build(flags: readonly string[] = CFLAGS): NativeReference {
    const compiler = gccVersion();
    if (compiler === undefined) throw new Error('gcc not found on PATH');
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-native-'));
    const exe = join(dir, 'reduce_by_key');
    const r = spawnSync('gcc', [...flags, '-o', exe, NATIVE_SOURCE], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`gcc ${flags.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
    }
    return new NativeReference(dir, exe, compiler);
  }

  get command(): string {
    return `gcc ${CFLAGS.join(' ')} -o reduce_by_key bench/peers/native/reduce_by_key.c`;
  }

  /** Writes the batch in the reference's data format. */
  writeData(name: string, input: NativeInput): string {
    const n = input.values.length;
    const parts: Uint8Array[] = [new Uint8Array(new Uint32Array([n]).buffer)];
    if (input.kind === 'u32') {
      parts.push(new Uint8Array(input.keys.buffer, input.keys.byteOffset, input.keys.byteLength));
    } else {
      parts.push(new Uint8Array(input.offsets.buffer, input.offsets.byteOffset, input.offsets.byteLength));
      parts.push(new Uint8Array(new Uint32Array([input.bytes.length]).buffer));
      parts.push(input.bytes);
    }
    const head = parts.reduce((a, p) => a + p.length, 0);
    const pad = (8 - (head % 8)) % 8;
    parts.push(new Uint8Array(pad));
    parts.push(new Uint8Array(input.values.buffer, input.values.byteOffset, input.values.byteLength));
    const path = join(this.dir, `${name}.bin`);
    writeFileSync(path, Buffer.concat(parts));
    return path;
  }

  /**
   * Runs the reference on a data file: at least `minIters` timed iterations and `minMs` of timed
   * work after `warmup` untimed ones. With `withResult`, also returns its entries.
   */
  /** `capacityHint`: the table's, or for words [table, dictionary]. */
  run(kind: 'u32' | 'words', dataPath: string, capacityHint: number | [number, number], opts: { minIters: number; minMs: number; warmup: number; withResult?: boolean }): { run: NativeRun; result?: NativeResult } {
    const resultPath = opts.withResult ? `${dataPath}.result` : undefined;
    const hint = Array.isArray(capacityHint) ? capacityHint.join(':') : String(capacityHint);
    const args = [kind, dataPath, hint, String(opts.minIters), String(opts.minMs), String(opts.warmup)];
    if (resultPath) args.push(resultPath);
    const r = spawnSync(this.exe, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.error || r.status !== 0) throw new Error(`native reference failed (${r.status}): ${r.error?.message ?? r.stderr}`);
    const out = JSON.parse(r.stdout) as { samples_ms: number[]; size: number; capacity: number; sum: number };
    const run: NativeRun = { samplesMs: out.samples_ms, size: out.size, capacity: out.capacity, sum: out.sum };
    if (!resultPath) return { run };
    const buf = readFileSync(resultPath);
    rmSync(resultPath, { force: true });
    const size = buf.readUInt32LE(0);
    const keys = new Uint32Array(size);
    const sums = new Float64Array(size);
    for (let i = 0; i < size; i++) keys[i] = buf.readUInt32LE(4 + 4 * i);
    const sumsAt = 4 + 4 * size;
    for (let i = 0; i < size; i++) sums[i] = buf.readDoubleLE(sumsAt + 8 * i);
    if (kind === 'u32') return { run, result: { keys, sums } };
    const dictCount = buf.readUInt32LE(sumsAt + 8 * size);
    const dictAt = sumsAt + 8 * size + 4;
    const offs: number[] = [];
    for (let i = 0; i <= dictCount; i++) offs.push(buf.readInt32LE(dictAt + 4 * i));
    const bytesAt = dictAt + 4 * (dictCount + 1);
    const dec = new TextDecoder();
    const dictionary: string[] = [];
    for (let i = 0; i < dictCount; i++) dictionary.push(dec.decode(buf.subarray(bytesAt + offs[i]!, bytesAt + offs[i + 1]!)));
    return { run, result: { keys, sums, dictionary } };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
