/**
 * socketTextStream: UTF-8 lines from a TCP server (Spark's SocketReceiver). The connection is
 * re-established with backoff whenever it fails or the server closes it. A line longer than
 * `maxLineBytes`, or one that is not valid UTF-8, is counted and dropped; the counts appear in
 * each batch's input metadata.
 */
import { connect, type Socket } from 'node:net';
import type { StreamingContext } from '../context.js';
import { ReceiverInputDStream, Receiver, type RestartBackoff } from './receiver.js';

/** Options of `socketTextStream`. */
export interface SocketStreamOptions {
  /** Longest accepted line in bytes, without its newline (default 1 MiB). */
  maxLineBytes?: number;
  /** Delays between reconnection attempts (default 100 ms doubling up to 5 s). */
  backoff?: RestartBackoff;
}

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

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onDrop: (reason: keyof SocketDropCounts) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      this.append(chunk.subarray(start, nl));
      this.endLine();
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }

  /** Emits a last line not ended by a newline (when the connection closes). */
  flush(): void {
    if (this.partBytes > 0 || this.oversize) this.endLine();
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

  private endLine(): void {
    if (this.oversize) {
      this.oversize = false;
      this.onDrop('oversizeLines');
      return;
    }
    let bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > this.maxLineBytes) {
      this.onDrop('oversizeLines');
      return;
    }
    let line: string;
    try {
      line = this.decoder.decode(bytes);
    } catch {
      this.onDrop('invalidUtf8Lines');
      return;
    }
    this.onLine(line);
  }
}

class SocketReceiver extends Receiver<string> {
  private socket: Socket | undefined;
  readonly dropped: SocketDropCounts = { oversizeLines: 0, invalidUtf8Lines: 0 };

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxLineBytes: number,
  ) {
    super(`socketTextStream(${host}:${port})`);
  }

  onStart(): void {
    const splitter = new LineSplitter(
      this.maxLineBytes,
      (line) => this.store(line),
      (reason) => this.dropped[reason]++,
    );
    const socket = connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('error', (error) => {
      if (this.socket === socket) this.restart(`Error receiving from ${this.host}:${this.port}`, error);
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      splitter.flush();
      if (!this.isStopped()) this.restart(`Connection to ${this.host}:${this.port} closed; reconnecting`);
    });
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
    super(ssc, new SocketReceiver(host, port, maxLineBytes), options.backoff);
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
    return {
      dropped: { oversizeLines: total.oversizeLines - previous.oversizeLines, invalidUtf8Lines: total.invalidUtf8Lines - previous.invalidUtf8Lines },
      droppedTotal: total,
    };
  }
}
