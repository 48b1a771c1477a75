/**
 * `sluice run <job>`: loads a job module and builds its context. The module exports a function
 * (default export, or named `job`) that defines a StreamingContext and returns it, not started:
 *
 * ```ts
 * // job.ts
 * import { StreamingContext, Seconds } from 'sluice';
 * export default function job() {
 *   const ssc = new StreamingContext({ batchInterval: Seconds(1), appName: 'my-job' });
 *   ssc.generatorStream((i) => i, { ratePerSec: 100 }).count().print();
 *   return ssc;
 * }
 * ```
 *
 * TypeScript jobs are loaded through tsx (its ESM loader, registered before the import).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RunnableContext } from './supervise.js';

/** A job that cannot be loaded: the CLI prints the message and exits with `exitCode`. */
export class JobLoadError extends Error {
  override readonly name = 'JobLoadError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** What a job function receives: the arguments after the job's path. */
export interface JobArguments {
  args: string[];
}

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);
const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

/**
 * Resolves tsx's ESM API from the job's directory, then the working directory, then Sluice's
 * own installation: the path of `tsx/esm/api`'s ESM entry, or undefined when tsx is not there.
 */
export function findTsx(from: readonly string[]): string | undefined {
  for (const dir of from) {
    try {
      const pkgPath = createRequire(join(dir, 'noop.js')).resolve('tsx/package.json');
      const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports?: Record<string, unknown> };
      const api = pkg.exports?.['./esm/api'] as { import?: { default?: string } | string } | undefined;
      const entry = typeof api?.import === 'string' ? api.import : (api?.import?.default ?? './dist/esm/api/index.mjs');
      const file = join(dirname(pkgPath), entry);
      if (existsSync(file)) return file;
    } catch {
      // not resolvable from here
    }
  }
  return undefined;
}

let tsxRegistered = false;

async function registerTsx(jobPath: string): Promise<void> {
  if (tsxRegistered) return;
  const here = dirname(fileURLToPath(import.meta.url));
  const api = findTsx([dirname(jobPath), process.cwd(), here]);
  if (!api) {
    throw new JobLoadError(
      `cannot run ${jobPath}: TypeScript jobs are loaded with tsx, which is not installed here. ` +
        `Install it (npm i -D tsx) or compile the job to JavaScript and run the .js file.`,
    );
  }
  const { register } = (await import(pathToFileURL(api).href)) as { register: () => unknown };
  register();
  tsxRegistered = true;
}

/** Imports the job module and returns its job function. */
export async function loadJob(file: string): Promise<(args: JobArguments) => unknown> {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) throw new JobLoadError(`job file not found: ${path}`, 2);
  const ext = extname(path);
  if (TS_EXTENSIONS.has(ext)) await registerTsx(path);
  else if (!JS_EXTENSIONS.has(ext)) throw new JobLoadError(`${path}: a job is a .ts or .js module (got ${ext || 'no extension'})`, 2);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new JobLoadError(`cannot load ${path}: ${(error as Error)?.stack ?? String(error)}${moduleHint(path)}`);
  }
  const fn = typeof mod.default === 'function' ? mod.default : mod.job;
  if (typeof fn !== 'function') {
    const exported = Object.keys(mod).filter((k) => k !== '__esModule');
    const what = isContext(mod.default) || isContext(mod.job) ? 'a StreamingContext (export a function that builds it instead)' : exported.length ? exported.join(', ') : 'nothing';
    throw new JobLoadError(
      `${path} must export a function that builds and returns a StreamingContext (not started): ` +
        `\`export default function job() { const ssc = new StreamingContext(...); ...; return ssc; }\` or \`export function job()\`; it exports ${what}`,
      2,
    );
  }
  return fn as (args: JobArguments) => unknown;
}

/**
 * A hint for a .ts/.js job outside an ES-module package: it is then loaded as CommonJS, and
 * importing Sluice (an ES module) from it fails.
 */
function moduleHint(path: string): string {
  const ext = extname(path);
  if (ext !== '.ts' && ext !== '.js' && ext !== '.tsx') return '';
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type === 'module') return '';
      } catch {
        // unreadable: give the hint
      }
      break;
    }
    if (dirname(dir) === dir) break;
  }
  const esm = ext === '.js' ? '.mjs' : '.mts';
  return `\nhint: ${path} is loaded as CommonJS (no "type": "module" in its package.json); Sluice is an ES module: add "type": "module" to package.json or name the job ${esm}`;
}

function isContext(x: unknown): x is RunnableContext {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Record<string, unknown>;
  return typeof c.start === 'function' && typeof c.stop === 'function' && typeof c.addStreamingListener === 'function' && typeof c.awaitTermination === 'function';
}

/** Calls the job function and checks that it returned a context that has not been started. */
export async function buildJob(file: string, args: string[] = []): Promise<RunnableContext> {
  const fn = await loadJob(file);
  let ssc: unknown;
  try {
    ssc = await fn({ args });
  } catch (error) {
    throw new JobLoadError(`the job function of ${resolve(file)} threw: ${(error as Error)?.stack ?? String(error)}`);
  }
  if (!isContext(ssc)) {
    throw new JobLoadError(`the job function of ${resolve(file)} must return a StreamingContext, got ${ssc === undefined ? 'undefined (missing return?)' : typeof ssc}`, 2);
  }
  if (ssc.state !== 'initialized') {
    throw new JobLoadError(`the job function of ${resolve(file)} returned a context that is ${ssc.state}; return it without starting it: the CLI starts it`, 2);
  }
  return ssc;
}
