import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStreamHub, formatEvent } from '../../src/ui/sse.js';
import { waitFor } from '../support/async.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function serve(hub: EventStreamHub): Promise<number> {
  server = createServer((req, res) => hub.open(req, res, { event: 'snapshot', data: { hello: 'world' } }));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** Opens the stream; collects what arrives as text. */
function connect(port: number): Promise<{ res: IncomingMessage; text: () => string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { Accept: 'text/event-stream' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      resolve({ res, text: () => text });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('EventStreamHub', () => {
  it('formats events with one data line per payload line', () => {
    expect(formatEvent('update', { a: 1 })).toBe('event: update\ndata: {"a":1}\n\n');
    expect(formatEvent('x', 'two\nlines')).toBe('event: x\ndata: "two\\nlines"\n\n');
  });

  it('sends the first event, later events and heartbeats to every client', async () => {
    const hub = new EventStreamHub({ heartbeatMs: 20 });
    const port = await serve(hub);
    const a = await connect(port);
    const b = await connect(port);
    expect(a.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await waitFor(() => hub.size === 2, 'two clients');
    hub.send('update', { n: 1 });
    await waitFor(() => a.text().includes('data: {"n":1}') && b.text().includes('data: {"n":1}'), 'the update');
    expect(a.text().startsWith('retry: 2000\n\nevent: snapshot\ndata: {"hello":"world"}\n\n')).toBe(true);
    await waitFor(() => a.text().includes(': heartbeat\n\n'), 'a heartbeat');
    hub.closeAll({ event: 'stopped', data: {} });
    await waitFor(() => a.res.complete && b.res.complete, 'the streams to end');
    expect(a.text()).toContain('event: stopped');
    expect(hub.size).toBe(0);
  });

  it('forgets a client that disconnects, and stops the heartbeat timer with the last one', async () => {
    const hub = new EventStreamHub({ heartbeatMs: 10 });
    const port = await serve(hub);
    const a = await connect(port);
    await waitFor(() => hub.size === 1, 'the client');
    expect((hub as unknown as { heartbeat?: unknown }).heartbeat).toBeDefined();
    a.res.destroy();
    await waitFor(() => hub.size === 0, 'the hub to forget the client');
    expect((hub as unknown as { heartbeat?: unknown }).heartbeat).toBeUndefined();
    hub.send('update', { ignored: true }); // nobody to send to: no error
  });

  it('drops a client that does not read instead of buffering for it without bound', async () => {
    const hub = new EventStreamHub({ maxBufferedBytes: 64 * 1024 });
    const port = await serve(hub);
    const a = await connect(port);
    await waitFor(() => hub.size === 1, 'the client');
    a.res.pause(); // stops reading: the socket buffers fill, then the response's
    const big = { blob: 'x'.repeat(256 * 1024) };
    for (let i = 0; i < 400 && hub.size > 0; i++) {
      hub.send('update', big);
      await new Promise((r) => setImmediate(r));
    }
    expect(hub.size).toBe(0);
  });
});
