/**
 * socketTextStream: UTF-8 lines from a TCP server (Spark's SocketReceiver). The connection is
 * re-established with backoff whenever it fails or the server closes it. A line longer than
 * `maxLineBytes`, or one that is not valid UTF-8, is counted and dropped; the counts appear in
 * each batch's input metadata.
 *
 * Memory is bounded by TCP flow control: once the lines received and not yet processed (until
 * the outputs of their batch succeeded) would exceed `maxBufferBytes`, the source stops reading
 * the socket (`socket.pause()`); the kernel's buffers fill and the sender's writes block, until
 * batches are done and the lines held fall below half the budget. Nothing is dropped.
 */
import { connect, type Socket } from 'node:net';
import type { StreamingContext } from '../context.js';
import type { InputCounters } from '../scheduler/listener.js';
import { ReceiverInputDStream, Receiver, type RestartBackoff } from './receiver.js';

/** Options of `socketTextStream`. */
export interface SocketStreamOptions {
  /** Longest accepted line in bytes, without its newline (default 1 MiB). */
  maxLineBytes?: number;
  /** Delays between reconnection attempts (default 100 ms doubling up to 5 s). */
  backoff?: RestartBackoff;
  /**
   * Bytes of lines (UTF-8) held, received and not yet processed, before the source stops reading
   * the socket and lets TCP slow the sender down (default 64 MiB).
   */
  maxBufferBytes?: number;
  /** At most this many lines per second enter batches; the rest wait (and count against `maxBufferBytes`). */
  receiverMaxRate?: number;
}

/** The default memory budget of `socketTextStream`: 64 MiB of lines. */
export const DEFAULT_SOCKET_BUFFER_BYTES = 64 * 1024 * 1024;

/** Counts of dropped lines, by reason. */
export interface SocketDropCounts {
  oversizeLines: number;
  invalidUtf8Lines: number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines, enforcing a size limit without buffering oversize lines.
 * Lines end with LF or CRLF. Bytes are decoded per whole line, so a multi-byte character split
 * across chunks decodes correctly, and one bad line is dropped without affecting the next.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private oversize = false;
  // ignoreBOM keeps U+FEFF in the text: otherwise each decode() call, i.e. every line, would
  // silently lose a leading U+FEFF (Spark's reader keeps it too).
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  /**
   * `onLine(line, bytes)` gets each line with its size in bytes; returning `false` (exactly) stops the
   * current `push` right after that line (the caller keeps the line: it was not taken).
   */
  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string, bytes: number) => unknown,
    private readonly onDrop: (reason: keyof SocketDropCounts) => void,
  ) {}

  /**
   * Splits `chunk`. Returns the bytes not looked at yet when `onLine` returned `false` (possibly
   * empty; push them later to go on), or `undefined` when the whole chunk was consumed.
   */
  push(chunk: Buffer): Buffer | undefined {
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      this.append(chunk.subarray(start, nl));
      const more = this.endLine();
      start = nl + 1;
      if (!more) return chunk.subarray(start);
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
    return undefined;
  }

  /**
   * Emits a last line not ended by a newline (when the connection closes). `false` when
   * `onLine` did not take it.
   */
  flush(): boolean {
    if (this.partBytes > 0 || this.oversize) return this.endLine();
    return true;
  }

  private append(bytes: Buffer): void {
    if (this.oversize) return;
    // One byte over the limit is kept: it may be the CR of a CRLF, which is not part of the line.
    if (this.partBytes + bytes.length > this.maxLineBytes + 1) {
      this.oversize = true;
      this.parts = [];
      this.partBytes = 0;
      return;
    }
    if (bytes.length > 0) {
      this.parts.push(bytes);
      this.partBytes += bytes.length;
    }
  }

  /** Ends the current line; `false` when `onLine` refused it. */
  private endLine(): boolean {
    if (this.oversize) {
      this.oversize = false;
      this.onDrop('oversizeLines');
      return true;
    }
    let bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > this.maxLineBytes) {
      this.onDrop('oversizeLines');
      return true;
    }
    let line: string;
    try {
      line = this.decoder.decode(bytes);
    } catch {
      this.onDrop('invalidUtf8Lines');
      return true;
    }
    return this.onLine(line, bytes.length) !== false;
  }
}

class SocketReceiver extends Receiver<string> {
  private socket: Socket | undefined;
  readonly dropped: SocketDropCounts = { oversizeLines: 0, invalidUtf8Lines: 0 };
  /** Times reading was paused because the memory budget was full. */
  pauses = 0;
  /** The line the budget refused last, kept until there is space for it. */
  private refused: { line: string; bytes: number } | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxLineBytes: number,
    private readonly pollMs: number,
  ) {
    super(`socketTextStream(${host}:${port})`);
  }

  onStart(): void {
    const splitter = new LineSplitter(
      this.maxLineBytes,
      (line, bytes) => this.offerLine(line, bytes),
      (reason) => this.dropped[reason]++,
    );
    const socket = connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      const rest = splitter.push(chunk);
      if (rest === undefined) return;
      // Over the budget: read no more. TCP's window closes and the sender's writes block.
      socket.pause();
      this.pauses++;
      void this.resumeWhenSpace(socket, splitter, rest);
    });
    socket.on('error', (error) => {
      if (this.socket === socket) this.restart(`Error receiving from ${this.host}:${this.port}`, error);
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      if (!splitter.flush()) void this.resumeWhenSpace(undefined, splitter, undefined);
      if (!this.isStopped()) this.restart(`Connection to ${this.host}:${this.port} closed; reconnecting`);
    });
  }

  /** Stores a line if the budget has room; otherwise keeps it aside and stops the splitter. */
  private offerLine(line: string, bytes: number): boolean {
    if (this.isStopped() || this.hasSpace(1, bytes)) {
      this.store(line, bytes);
      return true;
    }
    this.refused = { line, bytes };
    return false;
  }

  /**
   * Once the lines held fall below half the budget: stores the refused line, splits the rest of
   * its chunk, and resumes reading (unless the budget fills up again, or the connection is gone).
   */
  private async resumeWhenSpace(socket: Socket | undefined, splitter: LineSplitter, rest: Buffer | undefined): Promise<void> {
    for (;;) {
      await this.whenSpace();
      if (this.isStopped()) return;
      const refused = this.refused;
      if (refused) {
        if (!this.hasSpace(1, refused.bytes)) {
          // A line bigger than half the budget: wait for more batches to finish.
          await new Promise((resolve) => setTimeout(resolve, this.pollMs));
          continue;
        }
        this.refused = undefined;
        this.store(refused.line, refused.bytes);
      }
      if (!socket || this.socket !== socket || socket.destroyed) return;
      if (rest !== undefined && rest.length > 0) {
        rest = splitter.push(rest);
        if (rest !== undefined) continue;
      }
      socket.resume();
      return;
    }
  }

  onStop(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }
}

export class SocketInputDStream extends ReceiverInputDStream<string> {
  constructor(ssc: StreamingContext, host: string, port: number, options: SocketStreamOptions) {
    // Checked here: a bad address would otherwise only show up as an endless reconnection loop.
    if (typeof host !== 'string' || host === '') {
      throw new TypeError(`socketTextStream: host must be a non-empty string such as '127.0.0.1', got ${String(host)}`);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`socketTextStream: port must be an integer from 1 to 65535, got ${port}`);
    }
    const maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
    if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`socketTextStream: maxLineBytes must be a positive integer, got ${options.maxLineBytes}`);
    }
    const maxBufferBytes = options.maxBufferBytes ?? DEFAULT_SOCKET_BUFFER_BYTES;
    if (!Number.isSafeInteger(maxBufferBytes) || maxBufferBytes < 1) {
      throw new RangeError(`socketTextStream: maxBufferBytes must be a positive integer, got ${options.maxBufferBytes}`);
    }
    const pollMs = Math.max(5, Math.floor(ssc.batchInterval / 4));
    super(ssc, new SocketReceiver(host, port, maxLineBytes, pollMs), {
      maxBufferBytes,
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      ...(options.receiverMaxRate === undefined ? {} : { receiverMaxRate: options.receiverMaxRate }),
    });
  }

  /** Times reading paused because the lines held reached `maxBufferBytes`. */
  get pauses(): number {
    return (this.receiver as SocketReceiver).pauses;
  }

  private droppedAtLastBatch: SocketDropCounts = { oversizeLines: 0, invalidUtf8Lines: 0 };

  /** Lines dropped since the stream started, by reason. */
  get dropped(): Readonly<SocketDropCounts> {
    return { ...(this.receiver as SocketReceiver).dropped };
  }

  /** What this batch dropped (`dropped`) and what the stream dropped since it started (`droppedTotal`). */
  protected override batchMetadata(): Record<string, unknown> {
    const total = this.dropped;
    const previous = this.droppedAtLastBatch;
    this.droppedAtLastBatch = total;
    const dropped = { oversizeLines: total.oversizeLines - previous.oversizeLines, invalidUtf8Lines: total.invalidUtf8Lines - previous.invalidUtf8Lines };
    this.malformedInBatch = dropped.oversizeLines + dropped.invalidUtf8Lines;
    return { dropped, droppedTotal: total };
  }

  private malformedInBatch = 0;

  /** Over-long and invalid UTF-8 lines are the batch's malformed records. */
  protected override batchCounters(): InputCounters {
    return { malformedRecords: this.malformedInBatch };
  }
}
