/**
 * Durations on the command line: `500ms`, `1s`, `1.5s`, `2m`, `1h`. A bare number is refused
 * (is `5` seconds or milliseconds?), as is anything that is not a whole number of milliseconds.
 */

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Thrown for a value that is not a valid duration; the CLI reports it as a usage error (exit 2). */
export class DurationParseError extends Error {
  override readonly name = 'DurationParseError';
}

/**
 * Parses `text` (`500ms`, `1s`, `2.5s`, `2m`, `1h`) into milliseconds.
 *
 * @param what names the option in the error, e.g. `--batch` (the CLI leaves it out: commander names it).
 * @param options.allowZero accepts `0s` (default: durations must be positive).
 */
export function parseDuration(text: string, what?: string, options: { allowZero?: boolean } = {}): number {
  const prefix = what ? `${what}: ` : '';
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)\s*$/i.exec(text);
  if (!match) {
    const hint = /^\s*\d+(\.\d+)?\s*$/.test(text) ? ` (add a unit: ${text.trim()}s or ${text.trim()}ms)` : '';
    throw new DurationParseError(`${prefix}"${text}" is not a duration${hint}; use e.g. 500ms, 1s, 2m or 1h`);
  }
  const exact = Number(match[1]) * UNITS[match[2]!.toLowerCase()]!;
  const ms = Math.round(exact);
  if (Math.abs(exact - ms) > 1e-6) {
    throw new DurationParseError(`${prefix}"${text}" is not a whole number of milliseconds`);
  }
  if (!Number.isSafeInteger(ms)) throw new DurationParseError(`${prefix}"${text}" is too long`);
  if (ms === 0 && !options.allowZero) throw new DurationParseError(`${prefix}"${text}" must be longer than zero`);
  return ms;
}

/** Milliseconds as the shortest readable duration: `500ms`, `1s`, `1.5s`, `2m`, `1h 30m`. */
export function formatDurationShort(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${trim(ms / 1_000)}s`;
  if (ms < 3_600_000) {
    const m = Math.floor(ms / 60_000);
    const s = (ms - m * 60_000) / 1_000;
    return s === 0 ? `${m}m` : `${m}m ${trim(s)}s`;
  }
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms - h * 3_600_000) / 60_000);
  return m === 0 ? `${h}h` : `${h}h ${m}m`;
}

function trim(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1).replace(/\.?0+$/, '');
}
