/**
 * Dead-letter sinks: where a source puts the records it could not decode (policy
 * 'dead-letter'), with the source's name, the batch time and the reason.
 */
import { isUtf8 } from 'node:buffer';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { IllegalStateError } from '../../errors.js';

/** A record that could not be decoded, as a source dead-letters it. */
export interface DeadLetter {
  /** The source's name. */
  readonly source: string;
  /** The time of the batch the record arrived in (ms). */
  readonly time: number;
  readonly reason: string;
  readonly raw: Uint8Array;
}

export interface DeadLetterSink {
  readonly name: string;
  write(records: readonly DeadLetter[]): Promise<void> | void;
  close?(): Promise<void> | void;
}

/** One line of a dead-letter file. */
export interface DeadLetterLine {
  source: string;
  time: number;
  reason: string;
  /** The record's bytes, base64. */
  raw: string;
  /** The record's bytes as text, when they are valid UTF-8. */
  rawText?: string;
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** The JSON line of a dead letter (without the newline). */
export function deadLetterLine(r: DeadLetter): string {
  const raw = Buffer.from(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength);
  const line: DeadLetterLine = { source: r.source, time: r.time, reason: r.reason, raw: raw.toString('base64') };
  if (isUtf8(raw)) line.rawText = utf8.decode(raw);
  return JSON.stringify(line);
}

/** Decodes a line of a dead-letter file back into a {@link DeadLetter}. */
export function parseDeadLetterLine(line: string): DeadLetter {
  const o = JSON.parse(line) as DeadLetterLine;
  return { source: o.source, time: o.time, reason: o.reason, raw: new Uint8Array(Buffer.from(o.raw, 'base64')) };
}

class DeadLetterFile implements DeadLetterSink {
  readonly name: string;
  private tail: Promise<void> = Promise.resolve();
  private dirReady: Promise<void> | undefined;
  private closed = false;

  constructor(readonly path: string) {
    this.name = `dead-letter file ${path}`;
  }

  write(records: readonly DeadLetter[]): Promise<void> {
    if (this.closed) return Promise.reject(new IllegalStateError(`${this.name} is closed: cannot write ${records.length} record(s)`));
    if (records.length === 0) return this.tail;
    const text = records.map((r) => `${deadLetterLine(r)}\n`).join('');
    // Writes are chained so lines of concurrent calls never interleave; a failed write rejects its
    // own caller and does not block the next.
    const run = async (): Promise<void> => {
      this.dirReady ??= mkdir(dirname(this.path), { recursive: true }).then(() => undefined);
      try {
        await this.dirReady;
      } catch (e) {
        this.dirReady = undefined;
        throw e;
      }
      await appendFile(this.path, text);
    };
    const done = this.tail.then(run);
    this.tail = done.catch(() => undefined);
    return done;
  }

  /** Waits for pending writes; later writes are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }
}

/**
 * A JSON Lines file, one object per record: `{source, time, reason, raw, rawText}` with `raw`
 * in base64 and `rawText` the text when the bytes are valid UTF-8 (omitted otherwise). Appends
 * to an existing file, creates the parent directories, and serialises writes.
 */
export function deadLetterFile(path: string): DeadLetterSink {
  if (typeof path !== 'string' || path === '') throw new TypeError(`deadLetterFile needs a file path, got ${JSON.stringify(path)}`);
  return new DeadLetterFile(path);
}

/** Dead letters kept in memory, in `records` (for tests). */
export class MemoryDeadLetterSink implements DeadLetterSink {
  readonly records: DeadLetter[] = [];
  closed = false;
  constructor(readonly name = 'memory') {}
  write(records: readonly DeadLetter[]): void {
    if (this.closed) throw new IllegalStateError(`${this.name} is closed: cannot write ${records.length} record(s)`);
    this.records.push(...records);
  }
  close(): void {
    this.closed = true;
  }
}
