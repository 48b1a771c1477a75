/** Runs the `sluice` CLI (src/cli/main.ts through tsx's loader) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** tsx's loader, by path: the child's working directory (a job's project) may not have tsx. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal's name when killed by one). */
  exited: Promise<number | string>;
}

const children: ChildProcess[] = [];

/** Registers the clean-up of the suite's children (call once at the top of a test file). */
export function killChildrenAfterEach(): void {
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}

export function sluice(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliRun {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN, ...args], {
    cwd: options.cwd ?? ROOT,
    // The web UI stays off unless a test asks for it (an explicit ui option overrides this).
    env: { ...process.env, SLUICE_UI: 'false', NODE_OPTIONS: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => (code as number | null) ?? (signal as string));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** The value of a summary line, e.g. `events` → `200,000`. */
export function summaryValue(output: string, label: string): string {
  const m = new RegExp(`^  ${label.replace(/[/]/g, '\\/')}\\s+(.+)$`, 'm').exec(output);
  if (!m) throw new Error(`no "${label}" line in the summary:\n${output}`);
  return m[1]!;
}

export const num = (s: string): number => Number(s.replace(/,/g, ''));
