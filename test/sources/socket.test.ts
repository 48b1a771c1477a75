import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamingContext } from '../../src/index.js';
import { advanceBatches } from '../../src/testing.js';
import { LineSplitter, SocketInputDStream, type SocketDropCounts, type SocketStreamOptions } from '../../src/sources/socket.js';
import { deferred, sleep, waitFor } from '../support/async.js';
import { collectBatches } from '../support/batches.js';
import { prng } from '../../bench/lib/random.js';
import { recordEvents } from './helpers.js';

// ------------------------------------------------------------------ LineSplitter

function splitter(maxLineBytes = 1024): { s: LineSplitter; lines: string[]; drops: (keyof SocketDropCounts)[] } {
  const lines: string[] = [];
  const drops: (keyof SocketDropCounts)[] = [];
  const s = new LineSplitter(maxLineBytes, (l) => lines.push(l), (r) => drops.push(r));
  return { s, lines, drops };
}

/** Feeds `bytes` cut at the given offsets. */
function feed(s: LineSplitter, bytes: Buffer, cuts: number[]): void {
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    s.push(bytes.subarray(start, cut));
    start = cut;
  }
}

describe('LineSplitter', () => {
  // 1-, 2-, 3- and 4-byte characters, CRLF, empty lines and a BOM in mid-stream.
  const text = 'plain ascii\né accentué\r\n\n€ euro sign\r\n😀 emoji 😀\n\uFEFFbom kept\nlast\n';
  const expected = ['plain ascii', 'é accentué', '', '€ euro sign', '😀 emoji 😀', '\uFEFFbom kept', 'last'];
  const bytes = Buffer.from(text, 'utf8');

  it('gives the same lines for every single cut point, including inside multi-byte characters', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { s, lines, drops } = splitter();
      feed(s, bytes, [cut]);
      expect(lines, `cut at byte ${cut}`).toEqual(expected);
      expect(drops).toEqual([]);
    }
  });

  it('gives the same lines byte by byte and for random chunkings', () => {
    const oneByOne = splitter();
    for (const b of bytes) oneByOne.s.push(Buffer.from([b]));
    expect(oneByOne.lines).toEqual(expected);

    const random = prng(42);
    for (let run = 0; run < 200; run++) {
      const cuts: number[] = [];
      for (let i = 1; i < bytes.length; i++) if (random() < 0.3) cuts.push(i);
      const { s, lines } = splitter();
      feed(s, bytes, cuts);
      expect(lines, `cuts ${cuts.join(',')}`).toEqual(expected);
    }
  });

  it('decodes a 4-byte character whose bytes arrive in four chunks', () => {
    const { s, lines } = splitter();
    const emoji = Buffer.from('a😀b\n');
    for (const part of [emoji.subarray(0, 2), emoji.subarray(2, 3), emoji.subarray(3, 4), emoji.subarray(4)]) s.push(part);
    expect(lines).toEqual(['a😀b']);
  });

  it('accepts a line of exactly maxLineBytes, with LF or CRLF, and drops one byte more', () => {
    const { s, lines, drops } = splitter(5);
    s.push(Buffer.from('12345\n12345\r\n123456\n123456\r\n1234\r\r\nok\n'));
    // In '1234\r\r\n' only the last CR belongs to the line end: the line is '1234\r', 5 bytes.
    expect(lines).toEqual(['12345', '12345', '1234\r', 'ok']);
    expect(drops).toEqual(['oversizeLines', 'oversizeLines']);
  });

  it('drops an over-long line arriving in many chunks once, and keeps the next lines', () => {
    const { s, lines, drops } = splitter(8);
    s.push(Buffer.from('short\nthis line is '));
    for (let i = 0; i < 50; i++) s.push(Buffer.from('far too long '));
    s.push(Buffer.from('\nafter\n'));
    expect(lines).toEqual(['short', 'after']);
    expect(drops).toEqual(['oversizeLines']);
  });

  it('drops each line that is not valid UTF-8, and only that line', () => {
    const { s, lines, drops } = splitter();
    const bad = [
      [0x80], // lone continuation byte
      [0x61, 0xc3], // truncated 2-byte sequence at the end of the line
      [0xc0, 0xaf], // overlong encoding of '/'
      [0xed, 0xa0, 0x80], // UTF-16 surrogate
      [0xff, 0xfe], // bytes never valid in UTF-8
    ];
    const parts: Buffer[] = [Buffer.from('first\n')];
    for (const b of bad) parts.push(Buffer.from(b), Buffer.from('\nok\n'));
    s.push(Buffer.concat(parts));
    expect(lines).toEqual(['first', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(drops).toEqual(Array(bad.length).fill('invalidUtf8Lines'));
  });

  it('flush() emits a last line without newline, counts an unfinished over-long one, and is a no-op otherwise', () => {
    const a = splitter(4);
    a.s.push(Buffer.from('x\ntail'));
    a.s.flush();
    expect(a.lines).toEqual(['x', 'tail']);
    a.s.flush();
    expect(a.lines).toEqual(['x', 'tail']);

    const b = splitter(4);
    b.s.push(Buffer.from('x\ntoo long'));
    b.s.flush();
    expect(b.lines).toEqual(['x']);
    expect(b.drops).toEqual(['oversizeLines']);

    const c = splitter(4);
    c.s.push(Buffer.from('x\n'));
    c.s.flush();
    expect(c.lines).toEqual(['x']);
  });
});

// ------------------------------------------------------------------ socketTextStream against a real server

/** A TCP server on 127.0.0.1 that records the connections it accepts. */
class TestServer {
  readonly connections: Socket[] = [];
  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => undefined); // the receiver may reset the connection on stop
      this.connections.push(socket);
    });
  }

  static async listen(port = 0): Promise<TestServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return new TestServer(server);
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** The n-th accepted connection (0-based), once accepted. */
  async connection(n: number): Promise<Socket> {
    await waitFor(() => this.connections.length > n, `connection #${n + 1} to the test server`);
    return this.connections[n]!;
  }

  async close(): Promise<void> {
    for (const s of this.connections) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Writes `data` and resolves once it has been handed to the kernel. */
function write(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
}

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = await TestServer.listen();
  const port = s.port;
  await s.close();
  return port;
}

const fastBackoff = { initialDelayMs: 10, maxDelayMs: 40 };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.restoreAllMocks();
});

async function startServer(port = 0): Promise<TestServer> {
  const server = await TestServer.listen(port);
  cleanups.push(() => server.close());
  return server;
}

/** A started manual-clock context reading lines from `port`, with its batches and events. */
async function startStream(port: number, options: SocketStreamOptions = {}) {
  const ssc = new StreamingContext({ batchInterval: 1000, clock: 'manual', appName: 'socket-test' });
  const stream = ssc.socketTextStream('127.0.0.1', port, { backoff: fastBackoff, ...options }) as SocketInputDStream;
  const batches = collectBatches(stream);
  const events = recordEvents(ssc);
  cleanups.push(() => ssc.stop());
  await ssc.start();
  return { ssc, stream, batches, events };
}

/** Waits until the receiver has buffered `n` lines that no batch has taken yet. */
function buffered(stream: SocketInputDStream, n: number): Promise<void> {
  return waitFor(() => stream.pendingRecords >= n, `${n} buffered lines (have ${stream.pendingRecords})`);
}

describe('socketTextStream', () => {
  it('delivers every line exactly once, in order, into the batch cut after it arrived', async () => {
    const server = await startServer();
    const { ssc, stream, batches, events } = await startStream(server.port);
    const conn = await server.connection(0);

    const first = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    await write(conn, first.map((l) => `${l}\n`).join(''));
    await buffered(stream, 100);
    await advanceBatches(ssc, 1);

    const second = Array.from({ length: 250 }, (_, i) => `second ${i}`);
    for (let i = 0; i < second.length; i += 50) await write(conn, second.slice(i, i + 50).map((l) => `${l}\n`).join(''));
    await buffered(stream, 250);
    await advanceBatches(ssc, 1);
    await advanceBatches(ssc, 1); // nothing sent meanwhile: an empty batch

    expect(batches).toEqual([first, second, []]);
    expect(events.batches.map((b) => b.numRecords)).toEqual([100, 250, 0]);
    const info = events.batches[1]!.streamIdToInputInfo.get(stream.id)!;
    expect(info).toMatchObject({ inputStreamId: stream.id, numRecords: 250, metadata: { dropped: { oversizeLines: 0, invalidUtf8Lines: 0 }, droppedTotal: { oversizeLines: 0, invalidUtf8Lines: 0 } } });
    expect(events.receiver.map(([n]) => n)).toEqual(['started']);
  });

  it('joins lines split across TCP chunks, including inside a multi-byte character', async () => {
    const server = await startServer();
    const { ssc, stream, batches } = await startStream(server.port);
    const conn = await server.connection(0);
    const push = vi.spyOn(LineSplitter.prototype, 'push');

    const bytes = Buffer.from('héllo wörld\nsecond😀line\n');
    const cuts = [1, 2, 14, 21, 22, 24]; // 2 is inside 'é', 21 and 22 inside '😀'
    let start = 0;
    for (const [i, cut] of [...cuts, bytes.length].entries()) {
      await write(conn, bytes.subarray(start, cut));
      // Wait for each piece to reach the receiver before sending the next, so TCP cannot merge them.
      await waitFor(() => push.mock.calls.length > i, `chunk ${i + 1} to be received`);
      start = cut;
    }
    expect(push.mock.calls.length).toBe(cuts.length + 1);
    await buffered(stream, 2);
    await advanceBatches(ssc, 1);
    expect(batches).toEqual([['héllo wörld', 'second😀line']]);
  });

  it('strips CR of CRLF line ends and keeps empty lines', async () => {
    const server = await startServer();
    const { ssc, stream, batches } = await startStream(server.port);
    await write(await server.connection(0), 'a\r\nb\r\n\r\n\nc\n');
    await buffered(stream, 5);
    await advanceBatches(ssc, 1);
    expect(batches).toEqual([['a', 'b', '', '', 'c']]);
  });

  it('delivers a final line without newline when the server closes, then reconnects and keeps receiving', async () => {
    const server = await startServer();
    const { ssc, stream, batches, events } = await startStream(server.port);
    const first = await server.connection(0);
    await write(first, 'x\nlast without newline');
    first.end();

    const second = await server.connection(1);
    await write(second, 'after reconnect\n');
    await buffered(stream, 3);
    await advanceBatches(ssc, 1);

    expect(batches).toEqual([['x', 'last without newline', 'after reconnect']]);
    const errors = events.errors();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.lastErrorMessage).toBe(`Connection to 127.0.0.1:${server.port} closed; reconnecting`);
    expect(events.receiver.map(([n]) => n)).toEqual(['started', 'error', 'started']);
    expect(ssc.state).toBe('active');
  });

  it('counts and drops over-long lines and invalid UTF-8, reports the counts in the batch metadata, and keeps the good lines', async () => {
    const server = await startServer();
    const { ssc, stream, batches, events } = await startStream(server.port, { maxLineBytes: 16 });
    const conn = await server.connection(0);

    await write(conn, 'ok 1\n');
    await write(conn, `${'x'.repeat(40)}`); // over-long, and still unfinished in this chunk
    await write(conn, `${'y'.repeat(40)}\nok 2\n`);
    await write(conn, Buffer.from([0x62, 0x61, 0x64, 0xff, 0x0a])); // 'bad\xff\n'
    await write(conn, `ok 3\n${'z'.repeat(16)}\r\n${'w'.repeat(17)}\n`);
    await waitFor(
      () => stream.pendingRecords === 4 && stream.dropped.oversizeLines === 2 && stream.dropped.invalidUtf8Lines === 1,
      `4 lines and 3 drops (have ${stream.pendingRecords}, ${JSON.stringify(stream.dropped)})`,
    );
    await advanceBatches(ssc, 1);

    await write(conn, 'ok 4\n');
    await buffered(stream, 1);
    await advanceBatches(ssc, 1);

    expect(batches).toEqual([['ok 1', 'ok 2', 'ok 3', 'z'.repeat(16)], ['ok 4']]);
    const metadata = events.batches.map((b) => b.streamIdToInputInfo.get(stream.id)!.metadata);
    // Per batch, with the running total beside it: the clean second batch dropped nothing.
    expect(metadata).toEqual([
      { dropped: { oversizeLines: 2, invalidUtf8Lines: 1 }, droppedTotal: { oversizeLines: 2, invalidUtf8Lines: 1 } },
      { dropped: { oversizeLines: 0, invalidUtf8Lines: 0 }, droppedTotal: { oversizeLines: 2, invalidUtf8Lines: 1 } },
    ]);
    expect(events.errors()).toEqual([]);
    expect(server.connections).toHaveLength(1);
  });

  it('reports a refused connection to the listener, retries with backoff and connects once the server is up', async () => {
    const port = await freePort();
    const { ssc, stream, batches, events } = await startStream(port);

    await waitFor(() => events.errors().length >= 2, 'two connection errors');
    const error = events.errors()[0]!;
    expect(error).toMatchObject({ streamId: stream.id, name: `socketTextStream(127.0.0.1:${port})`, active: true });
    expect(error.lastErrorMessage).toBe(`Error receiving from 127.0.0.1:${port}`);
    expect(error.lastError).toMatch(/ECONNREFUSED/);
    expect(typeof error.lastErrorTime).toBe('number');
    expect(ssc.state).toBe('active');

    const server = await startServer(port);
    const conn = await server.connection(0);
    await write(conn, 'finally\n');
    await buffered(stream, 1);
    await advanceBatches(ssc, 1);
    expect(batches).toEqual([['finally']]);
  });

  it('backs off between attempts, doubling up to maxDelayMs', async () => {
    const port = await freePort();
    const { events } = await startStream(port, { backoff: { initialDelayMs: 20, maxDelayMs: 80 } });
    await waitFor(() => events.errors().length >= 6, 'six connection errors');
    const times = events.errors().map((e) => e.lastErrorTime!);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Delays 20, 40, 80, 80, 80; timers may fire a millisecond early by Date.now().
    expect(gaps.slice(0, 5).map((g, i) => g >= [20, 40, 80, 80, 80][i]! - 2)).toEqual([true, true, true, true, true]);
    expect(gaps[3]!).toBeLessThan(160); // capped, not 160
  });

  it('closes the connection on stop() and does not reconnect', async () => {
    const server = await startServer();
    const { ssc, stream, events } = await startStream(server.port);
    const conn = await server.connection(0);
    let closed = false;
    conn.on('close', () => (closed = true));

    await ssc.stop();
    await waitFor(() => closed, 'the server side of the connection to close');
    expect(stream.receiver.isStopped()).toBe(true);
    expect(events.receiver.map(([n, info]) => [n, info.active])).toEqual([
      ['started', true],
      ['stopped', false],
    ]);
    await sleep(4 * fastBackoff.maxDelayMs);
    expect(server.connections).toHaveLength(1);
  });

  it('rejects a bad address or line limit when the stream is defined', () => {
    const ssc = new StreamingContext({ batchInterval: 1000, clock: 'manual' });
    expect(() => ssc.socketTextStream('127.0.0.1', 0)).toThrow(/port must be an integer from 1 to 65535, got 0/);
    expect(() => ssc.socketTextStream('127.0.0.1', 70000)).toThrow(RangeError);
    expect(() => ssc.socketTextStream('127.0.0.1', 1.5)).toThrow(RangeError);
    expect(() => ssc.socketTextStream('', 9999)).toThrow(/host must be a non-empty string/);
    expect(() => ssc.socketTextStream('127.0.0.1', 9999, { maxLineBytes: 0 })).toThrow(/maxLineBytes must be a positive integer/);
    expect(() => ssc.socketTextStream('127.0.0.1', 9999, { backoff: { initialDelayMs: 0, maxDelayMs: 10 } })).toThrow(
      /0 < initialDelayMs <= maxDelayMs/,
    );
  });
});

describe('socketTextStream memory budget', () => {
  it('stops reading at maxBufferBytes: TCP slows a fast sender down, nothing is lost, memory stays within the budget', async () => {
    const server = await startServer();
    const ssc = new StreamingContext({ batchInterval: 100, appName: 'socket-budget', ui: false });
    cleanups.push(() => ssc.stop());
    const maxBufferBytes = 2 * 1024 * 1024;
    const stream = ssc.socketTextStream('127.0.0.1', server.port, { maxBufferBytes, backoff: fastBackoff }) as SocketInputDStream;
    const gate = deferred();
    let received = 0;
    let outOfOrder = 0;
    stream.foreachRDD(async (b) => {
      for (const line of b.collect()) if (Number(line.slice(0, 8)) !== received++) outOfOrder++;
      if (received > 0) await gate.promise; // the pipeline is stuck until the gate opens
    });
    const events = recordEvents(ssc);
    await ssc.start();
    const conn = await server.connection(0);

    const total = 24_000; // lines of 1000 bytes: 24 MB, far more than the budget and the kernel's buffers
    const line = (i: number) => `${String(i).padStart(8, '0')}${'x'.repeat(991)}\n`;
    let written = 0;
    const writing = (async () => {
      for (let i = 0; i < total; i += 100) {
        const chunk = Array.from({ length: 100 }, (_, j) => line(i + j)).join('');
        if (!conn.write(chunk)) await once(conn, 'drain');
        written += 100;
      }
    })();

    await waitFor(() => stream.pauses > 0, 'the source to stop reading');
    await sleep(800);
    const stalled = written;
    await sleep(300);
    expect(written).toBe(stalled); // the sender is blocked...
    expect(written).toBeLessThan(total / 2); // ...far from done
    const held = (stream as unknown as { supervisor: { held: { bytes: number } } }).supervisor.held.bytes;
    expect(held).toBeGreaterThan(maxBufferBytes / 2);
    expect(held).toBeLessThanOrEqual(maxBufferBytes);

    gate.resolve();
    await writing;
    await waitFor(() => received >= total, `all ${total} lines (have ${received})`, 15_000);
    await sleep(200);
    expect(received).toBe(total);
    expect(outOfOrder).toBe(0);
    for (const b of events.batches) {
      const info = b.streamIdToInputInfo.get(stream.id)!;
      expect(info.bufferedBytes!).toBeLessThanOrEqual(maxBufferBytes);
      expect(info.droppedRecords).toBe(0);
    }
    expect(events.errors()).toEqual([]);
  });

  it('holds lines entering batches to receiverMaxRate', async () => {
    const server = await startServer();
    const { ssc, stream, batches, events } = await startStream(server.port, { receiverMaxRate: 30 });
    const conn = await server.connection(0);
    await write(conn, Array.from({ length: 100 }, (_, i) => `l${i}\n`).join(''));
    await buffered(stream, 100);
    await advanceBatches(ssc, 4);
    // 30 lines/s at 1 s batches: 30 per batch, the rest waits.
    expect(batches.map((b) => b.length)).toEqual([30, 30, 30, 10]);
    expect(batches.flat()).toEqual(Array.from({ length: 100 }, (_, i) => `l${i}`));
    expect(events.batches.map((b) => b.streamIdToInputInfo.get(stream.id)!.rateLimit)).toEqual([30, 30, 30, 30]);
  });
});
