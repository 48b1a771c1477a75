/**
 * textFileStream: the lines of new files in a directory. Like Spark's FileInputDStream with
 * `newFilesOnly`: files already there at start are ignored, each new file is read once, and
 * hidden names (`.x`, `_x`) are skipped so a writer can create a file under a hidden name and
 * rename it in, which makes it appear atomically.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Batch } from '../batch/batch.js';
import type { StreamingContext } from '../context.js';
import type { Time } from '../time.js';
import { InputDStream } from '../dstream/internal.js';

/** Options of `textFileStream`. */
export interface TextFileStreamOptions {
  /** Also read the files present when the context starts (default false). */
  includeExisting?: boolean;
}

export class FileInputDStream extends InputDStream<string> {
  readonly name = 'textFileStream';
  /**
   * Names already read (or present at start), kept while the name is listed. Identity is the
   * name alone: a file deleted and recreated under the same name between two listings is not
   * read again; one recreated after a listing has missed it is.
   */
  private readonly seen = new Set<string>();

  constructor(
    ssc: StreamingContext,
    readonly directory: string,
    private readonly options: TextFileStreamOptions,
  ) {
    super(ssc);
  }

  override async start(): Promise<void> {
    // Listed even with includeExisting, so that a missing directory fails start() rather than
    // the first batch.
    const existing = await this.listCandidates();
    if (!this.options.includeExisting) for (const name of existing) this.seen.add(name);
  }

  private async listCandidates(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      throw new Error(`textFileStream cannot list ${this.directory}: ${(error as Error).message}; create the directory before start()`, {
        cause: error,
      });
    }
    return names.filter((n) => !n.startsWith('.') && !n.startsWith('_')).sort();
  }

  protected async receive(time: Time): Promise<Batch<string>> {
    const names = await this.listCandidates();
    const present = new Set(names);
    // Forget files that were removed, so the set does not grow without bound.
    for (const n of this.seen) if (!present.has(n)) this.seen.delete(n);
    const files: string[] = [];
    const lines: string[] = [];
    for (const name of names) {
      if (this.seen.has(name)) continue;
      const path = join(this.directory, name);
      const text = await readNewFile(path);
      if (text === undefined) continue;
      this.seen.add(name);
      files.push(path);
      const fileLines = text.split(/\r?\n/);
      if (fileLines.at(-1) === '') fileLines.pop();
      lines.push(...fileLines);
    }
    this.reportMetadata(time, { files });
    return Batch.of(lines);
  }
}

/**
 * The text of the file at `path`, without a leading byte-order mark (as Hadoop's line reader
 * drops it); `undefined` for a directory, or for a name that vanished since it was listed (a
 * file deleted or renamed away meanwhile, a dangling symlink), which must not stop the stream.
 */
async function readNewFile(path: string): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) return undefined;
    const text = await readFile(path, 'utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`textFileStream cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}
