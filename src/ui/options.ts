/**
 * The `ui` option of a StreamingContext: defaults, validation and the security rule (a UI
 * reachable from other machines must be protected by a token).
 */
import { isIP } from 'node:net';
import { SluiceError } from '../errors.js';

/** Options of the web UI, REST API and metrics endpoint a {@link StreamingContext} serves. */
export interface UiOptions {
  /**
   * The port to listen on (default 4040). When it is taken, the next ports are tried, up to 16
   * more (4041 … 4056), as Spark does; `0` takes any free port.
   */
  port?: number;
  /**
   * The address to bind (default `127.0.0.1`: this machine only). Any other address, e.g.
   * `0.0.0.0`, requires a {@link token}.
   */
  host?: string;
  /**
   * A secret every request must then carry, as `Authorization: Bearer <token>` or `?token=<token>`.
   * Required when {@link host} is not a loopback address; also enables `POST /api/v1/streaming/stop`.
   */
  token?: string;
  /** Completed batches kept for the UI and the REST API, newest first (default 1000). */
  retainedBatches?: number;
}

/** {@link UiOptions} with the defaults applied. */
export interface ResolvedUiOptions {
  readonly port: number;
  readonly host: string;
  readonly token: string | undefined;
  readonly retainedBatches: number;
}

export const DEFAULT_UI_PORT = 4040;
export const DEFAULT_UI_HOST = '127.0.0.1';
export const DEFAULT_RETAINED_BATCHES = 1000;
/** Ports tried after the first one when it is taken (Spark's `spark.port.maxRetries`). */
export const UI_PORT_RETRIES = 16;

/**
 * The UI options to use, or `undefined` when the UI is off. Without an explicit `ui` option the
 * UI is on, unless the environment variable `SLUICE_UI` is `false` (or `0`, `off`, `no`): test
 * suites set it so that their many contexts do not each open a server.
 */
export function resolveUiOptions(option: false | UiOptions | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedUiOptions | undefined {
  if (option === false) return undefined;
  if (option === undefined) {
    const flag = env['SLUICE_UI']?.trim().toLowerCase();
    if (flag === 'false' || flag === '0' || flag === 'off' || flag === 'no') return undefined;
    option = {};
  }
  if (typeof option !== 'object' || option === null) {
    throw new TypeError(`ui must be false or an options object such as { port: 4040 }, got ${String(option)}`);
  }
  const port = option.port ?? DEFAULT_UI_PORT;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new RangeError(`ui.port must be an integer from 0 to 65535 (0 for any free port), got ${String(option.port)}`);
  }
  const host = option.host ?? DEFAULT_UI_HOST;
  if (typeof host !== 'string' || host.trim() === '') {
    throw new TypeError(`ui.host must be a non-empty address such as '127.0.0.1', got ${String(option.host)}`);
  }
  const token = option.token;
  if (token !== undefined && (typeof token !== 'string' || token.length === 0)) {
    throw new TypeError('ui.token must be a non-empty string');
  }
  const retainedBatches = option.retainedBatches ?? DEFAULT_RETAINED_BATCHES;
  if (!(Number.isSafeInteger(retainedBatches) && retainedBatches >= 1)) {
    throw new RangeError(`ui.retainedBatches must be a positive integer, got ${String(option.retainedBatches)}`);
  }
  if (!isLoopback(host) && token === undefined) {
    // Everything the job does (and a stop button) would be open to the network otherwise.
    throw new SluiceError(
      `The UI would listen on ${host}, which other machines can reach, without a token: pass ui.token (every request then needs ` +
        `'Authorization: Bearer <token>' or '?token=<token>'), bind to 127.0.0.1, or set ui: false`,
    );
  }
  return { port, host, token, retainedBatches };
}

/** True for addresses only this machine can reach: `localhost`, 127.0.0.0/8 and `::1`. */
export function isLoopback(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h.startsWith('::ffff:')) h = h.slice('::ffff:'.length); // IPv4-mapped IPv6
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}
