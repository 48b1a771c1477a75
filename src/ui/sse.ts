/**
 * Server-Sent Events: the page's live feed (`GET /api/v1/streaming/events`). One hub per UI
 * holds the open responses; a client that goes away, or reads too slowly, is dropped at once so
 * that nothing accumulates for it, and a comment line every so often keeps proxies from
 * closing an idle stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface EventStreamOptions {
  /** Milliseconds between heartbeat comments (default 15 s). */
  readonly heartbeatMs?: number;
  /** A client with more than this many bytes not yet sent is too slow and is dropped (default 4 MiB). */
  readonly maxBufferedBytes?: number;
  /** Milliseconds a browser waits before reconnecting (the `retry:` field; default 2 s). */
  readonly retryMs?: number;
}

/** One event as written on the stream. */
export function formatEvent(event: string, data: unknown): string {
  const json = JSON.stringify(data) ?? 'null';
  // A data field ends at a line break: every line of the payload gets its own `data:` prefix.
  return `event: ${event}\n${json
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}

/** The open event streams of one UI, and the heartbeat that keeps them alive. */
export class EventStreamHub {
  private readonly clients = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly heartbeatMs: number;
  private readonly maxBufferedBytes: number;
  private readonly retryMs: number;
  private closed = false;

  constructor(options: EventStreamOptions = {}) {
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.retryMs = options.retryMs ?? 2_000;
  }

  /** Open streams. */
  get size(): number {
    return this.clients.size;
  }

  /**
   * Turns `res` into an event stream and sends `first` (the page's initial snapshot) on it, so
   * that the client sees every later event after a consistent starting point.
   */
  open(req: IncomingMessage, res: ServerResponse, first?: { event: string; data: unknown }): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // nginx would otherwise buffer the stream
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD' || this.closed) {
      res.end();
      return;
    }
    req.socket.setNoDelay(true);
    res.write(`retry: ${this.retryMs}\n\n`);
    if (first) res.write(formatEvent(first.event, first.data));
    this.clients.add(res);
    const forget = (): void => this.drop(res);
    res.on('close', forget);
    res.on('error', forget);
    this.heartbeat ??= setInterval(() => this.writeAll(': heartbeat\n\n'), this.heartbeatMs).unref();
  }

  /** Sends an event to every open stream. */
  send(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    this.writeAll(formatEvent(event, data));
  }

  /** Sends `last` (if given) and ends every stream; later `open` calls end at once. */
  closeAll(last?: { event: string; data: unknown }): void {
    this.closed = true;
    if (last) this.send(last.event, last.data);
    for (const res of [...this.clients]) {
      res.end();
      this.drop(res);
    }
  }

  private writeAll(chunk: string): void {
    for (const res of [...this.clients]) {
      if (res.writableLength > this.maxBufferedBytes) {
        // The client is not reading: drop it rather than buffer without bound. Its browser
        // reconnects and starts again from a fresh snapshot.
        res.destroy();
        this.drop(res);
        continue;
      }
      res.write(chunk);
    }
  }

  private drop(res: ServerResponse): void {
    if (!this.clients.delete(res)) return;
    if (this.clients.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }
}
