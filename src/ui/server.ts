/**
 * The UI's HTTP server (node:http): binds with Spark's port fallback, checks every request's
 * credentials, routes to the page files, the REST API, the event stream, the metrics and the
 * stop endpoint, and answers anything else with a JSON 404 or 405. Nothing but
 * `POST /api/v1/streaming/stop` changes the job.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { SluiceError, describe } from '../errors.js';
import { PROMETHEUS_CONTENT_TYPE } from './metrics.js';
import { UI_PORT_RETRIES, isLoopback } from './options.js';
import { jsonReplacer, type RestResult } from './rest.js';
import { StaticFiles } from './static-files.js';

/** What the server serves; the {@link StreamingUi} provides it. */
export interface UiHandlers {
  /** `GET /api/v1/streaming/<segments>`; `undefined` when there is no such endpoint. */
  rest(segments: readonly string[], query: URLSearchParams): RestResult | undefined;
  /** `GET /metrics`. */
  metrics(): string;
  /** `GET /api/v1/streaming/events`: takes over the response as an event stream. */
  events(req: IncomingMessage, res: ServerResponse): void;
  /** `POST /api/v1/streaming/stop` (authorized): the answer, and what to do once it is sent. */
  stop(): { result: RestResult; afterResponse?: () => void };
}

export interface UiServerOptions {
  readonly host: string;
  /** The first port to try; 0 for any free port. */
  readonly port: number;
  readonly token: string | undefined;
  readonly handlers: UiHandlers;
  readonly staticFiles?: StaticFiles;
  /** Ports tried after `port` when it is taken (default 16, as Spark). */
  readonly portRetries?: number;
}

const API = '/api/v1/streaming/';
/** The page's own files; nothing else is referenced by them. */
const PAGES: Readonly<Record<string, string>> = { '/': 'index.html', '/index.html': 'index.html', '/batch.html': 'batch.html' };
const STATIC_NAME = /^\/([a-z0-9][a-z0-9-]*\.(?:js|css|svg|png))$/;
/** In the HTML files, where the page's own asset URLs take the token (empty without one). */
const TOKEN_QUERY = '{{tokenQuery}}';

const SECURITY_HEADERS: OutgoingHttpHeaders = {
  'X-Content-Type-Options': 'nosniff',
  // The token may be in the page's URL: never send it on to another site.
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
};
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** One UI's HTTP server; {@link UiServer.start} binds it, {@link UiServer.close} ends it. */
export class UiServer {
  private readonly tokenDigest: Buffer | undefined;
  private readonly files: StaticFiles;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly options: UiServerOptions,
  ) {
    this.tokenDigest = options.token === undefined ? undefined : digest(options.token);
    this.files = options.staticFiles ?? new StaticFiles();
  }

  /**
   * Starts a server on `options.port`, or on the next free one of the following
   * `portRetries` ports; rejects with a clear error if none is free or the host cannot be bound.
   */
  static async start(options: UiServerOptions): Promise<UiServer> {
    let ui: UiServer | undefined;
    const server = createServer((req, res) => ui!.handle(req, res));
    ui = new UiServer(server, options);
    server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    const retries = options.port === 0 ? 0 : (options.portRetries ?? UI_PORT_RETRIES);
    for (let attempt = 0; attempt <= retries; attempt++) {
      const port = options.port === 0 ? 0 : options.port + attempt;
      if (port > 65535) break;
      try {
        await listen(server, options.host, port);
        // The UI must never be what keeps a process alive.
        server.unref();
        return ui;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        throw new SluiceError(`The UI could not listen on ${options.host}:${port}: ${describe(error)}. Set ui: { host, port } to an address this machine has, or ui: false`, {
          cause: error,
        });
      }
    }
    const last = Math.min(options.port + retries, 65535);
    throw new SluiceError(
      `The UI could not listen on ${options.host}: ports ${options.port}-${last} are all in use (${retries} retries, as Spark's spark.port.maxRetries). ` +
        'Pass ui: { port: <a free port> } (or port: 0 for any free port), or ui: false to run without the UI',
    );
  }

  /** The port bound. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The UI's address, e.g. `http://127.0.0.1:4040` (the host name of this machine for a wildcard bind). */
  get url(): string {
    const h = this.options.host;
    const shown = h === '0.0.0.0' || h === '::' ? hostname() : h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
    return `http://${shown}:${this.port}`;
  }

  /** Stops accepting connections and ends the open ones (event streams first); resolves once closed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // A response still being written gets a moment to finish; then every socket goes.
      setTimeout(() => this.server.closeAllConnections(), 200).unref();
    });
    return this.closing;
  }

  // ---------------------------------------------------------------- requests

  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.route(req, res);
    } catch (error) {
      if (res.headersSent) res.destroy();
      else sendJson(req, res, 500, { error: 'Internal Server Error', message: describe(error) });
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const rawUrl = req.url ?? '/';
    if (!rawUrl.startsWith('/')) return sendJson(req, res, 400, { error: 'Bad Request', message: 'the request target must be a path' });
    const url = new URL(rawUrl, 'http://localhost');
    const denied = this.deny(req, url);
    if (denied) return sendJson(req, res, denied.status, { error: denied.error, message: denied.message }, denied.headers);

    const method = req.method ?? 'GET';
    const path = url.pathname;
    const allow = (methods: readonly string[]): boolean => {
      if (methods.includes(method)) return true;
      sendJson(req, res, 405, { error: 'Method Not Allowed', message: `${method} is not allowed on ${path}; use ${methods.join(' or ')}` }, { Allow: methods.join(', ') });
      return false;
    };
    const read = ['GET', 'HEAD'];

    const page = PAGES[path];
    if (page !== undefined) return void (allow(read) && this.sendFile(req, res, page));
    const asset = STATIC_NAME.exec(path)?.[1];
    if (asset !== undefined && this.files.get(asset)) return void (allow(read) && this.sendFile(req, res, asset));
    if (path === '/metrics') {
      if (!allow(read)) return;
      return send(req, res, 200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE }, this.options.handlers.metrics());
    }
    if (path.startsWith(API)) {
      let segments: string[];
      try {
        segments = path.slice(API.length).split('/').filter((s) => s !== '').map(decodeURIComponent);
      } catch {
        return sendJson(req, res, 400, { error: 'Bad Request', message: 'malformed percent-encoding in the path' });
      }
      if (segments.length === 1 && segments[0] === 'events') return void (allow(read) && this.options.handlers.events(req, res));
      if (segments.length === 1 && segments[0] === 'stop') return void (allow(['POST']) && this.stop(req, res));
      const result = this.options.handlers.rest(segments, url.searchParams);
      if (result) return void (allow(read) && sendJson(req, res, result.status, result.body));
    }
    sendJson(req, res, 404, { error: 'Not Found', message: `no such page or endpoint: ${path}` });
  }

  /**
   * Why a request is refused, if it is. With a token, every request must carry it. Without one
   * the server only listens on loopback; it then still refuses a Host header that is not a
   * loopback name, so that a web page cannot reach it by pointing its own domain name at
   * 127.0.0.1 (DNS rebinding).
   */
  private deny(req: IncomingMessage, url: URL): { status: number; error: string; message: string; headers?: OutgoingHttpHeaders } | undefined {
    if (this.tokenDigest) {
      const header = req.headers.authorization;
      const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
      const given = bearer ?? url.searchParams.get('token') ?? undefined;
      if (given !== undefined && timingSafeEqual(digest(given), this.tokenDigest)) return undefined;
      return {
        status: 401,
        error: 'Unauthorized',
        message: given === undefined ? "this UI needs its token: send 'Authorization: Bearer <token>' or add ?token=<token>" : 'wrong token',
        headers: { 'WWW-Authenticate': 'Bearer realm="sluice"' },
      };
    }
    const host = req.headers.host;
    if (host !== undefined && !isLoopback(hostOf(host))) {
      return { status: 403, error: 'Forbidden', message: `this UI answers only to a loopback host name (localhost, 127.0.0.1), not ${host}` };
    }
    return undefined;
  }

  private stop(req: IncomingMessage, res: ServerResponse): void {
    if (!this.tokenDigest) {
      return sendJson(req, res, 403, {
        error: 'Forbidden',
        message: 'stopping from the UI is disabled: start the context with ui.token set to enable POST /api/v1/streaming/stop',
      });
    }
    const { result, afterResponse } = this.options.handlers.stop();
    if (afterResponse) res.once('finish', afterResponse);
    sendJson(req, res, result.status, result.body);
  }

  private sendFile(req: IncomingMessage, res: ServerResponse, name: string): void {
    const file = this.files.get(name);
    if (!file) return sendJson(req, res, 404, { error: 'Not Found', message: `no such page: ${name}` });
    if (!name.endsWith('.html')) return send(req, res, 200, { 'Content-Type': file.contentType }, file.body);
    // The page's own CSS and JS requests need the token too: write it into their URLs.
    const token = this.options.token;
    const query = token === undefined ? '' : `?token=${escapeHtml(encodeURIComponent(token))}`;
    const html = file.body.toString('utf8').split(TOKEN_QUERY).join(query);
    send(req, res, 200, { 'Content-Type': file.contentType, 'Content-Security-Policy': PAGE_CSP }, html);
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function digest(token: string): Buffer {
  // Compared as fixed-length digests: timingSafeEqual needs equal lengths, and comparing the
  // tokens themselves would leak their length.
  return createHash('sha256').update(token, 'utf8').digest();
}

function hostOf(hostHeader: string): string {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return hostHeader;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function send(req: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: string | Buffer): void {
  const buffer = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'Content-Length': buffer.length });
  res.end(req.method === 'HEAD' ? undefined : buffer);
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  send(req, res, status, { ...headers, 'Content-Type': 'application/json; charset=utf-8' }, JSON.stringify(body, jsonReplacer));
}
