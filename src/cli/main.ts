#!/usr/bin/env node
/**
 * The `sluice` command line:
 *
 * - `sluice demo`: the sensor-ingestion demo on embedded defaults (no server to install);
 * - `sluice run <job>`: runs a job module's StreamingContext with a status line and graceful stop;
 * - `sluice bench`: the kernel benchmark, from a clone of the repository.
 *
 * Usage errors (an unknown option, a bad duration) exit with code 2, a failed job with 1.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { describe } from '../errors.js';
import { DEMO_DEFAULTS, buildDemo, validateDemoOptions, type DemoOptions } from './demo.js';
import { DurationParseError, formatDurationShort, parseDuration } from './durations.js';
import { JobLoadError, buildJob } from './run-job.js';
import { StatusLine } from './status-line.js';
import { RunMetrics, formatCount } from './summary.js';
import { supervise, uiUrlOf, type RunnableContext } from './supervise.js';

/** The repository (or installed package) root: two levels above this file, in src/ or dist/. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A usage error found after parsing (e.g. a window that is not a multiple of the batch). */
class UsageError extends Error {}

// Argument parsers: commander prefixes their messages with "option '--x <v>' argument 'v' is invalid."
function durationArg(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof DurationParseError ? error.message : String(error));
  }
}

function integerArg(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value.replace(/_/g, ''));
    if (!/^\s*[+-]?[\d_]+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`It must be an integer from ${formatCount(min)}${max < Number.MAX_SAFE_INTEGER ? ` to ${formatCount(max)}` : ' up'}, got "${value}"`);
    }
    return n;
  };
}

/** A rate: `100000`, `100_000`, `100k`, `1.5M`, `1e6`. */
function rateArg(value: string): number {
  const m = /^\s*(\d[\d_]*(?:\.\d+)?(?:e\d+)?)\s*([kKmM]?)\s*$/.exec(value);
  const n = m ? Number(m[1]!.replace(/_/g, '')) * (m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1e3 : 1e6) : Number.NaN;
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`It must be a positive number of readings per second (e.g. 100000, 100k, 1M), got "${value}"`);
  return n;
}

function positiveNumberArg() {
  return (value: string): number => {
    const n = Number(value);
    if (!(value.trim() !== '' && Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`It must be a positive number, got "${value}"`);
    return n;
  };
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

interface DemoFlags {
  sensors: number;
  rate: number;
  batch: number;
  window: number;
  statsEvery: number;
  duration?: number;
  uiPort: number;
  ui: boolean;
  store: string;
  seed: number;
  threshold: number;
}

async function demoCommand(flags: DemoFlags): Promise<number> {
  const options: DemoOptions = {
    sensors: flags.sensors,
    rate: flags.rate,
    batchMs: flags.batch,
    windowMs: flags.window,
    statsEveryMs: flags.statsEvery,
    uiPort: flags.ui ? flags.uiPort : false,
    store: flags.store,
    seed: flags.seed,
    threshold: flags.threshold,
  };
  try {
    validateDemoOptions(options);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const out = process.stdout;
  const status = new StatusLine(out, options.batchMs);
  const demo = buildDemo(options, (line) => status.log(line));
  out.write(
    `Sensor fleet: ${formatCount(options.sensors)} sensors, ${formatCount(options.rate)} readings/s, batch ${formatDurationShort(options.batchMs)}, ` +
      `window ${formatDurationShort(options.windowMs)} (statistics on the WebAssembly kernels), outliers beyond ${options.threshold}σ\n` +
      `Store: ${demo.statsSink.path} (anomalies every batch, sensor_stats every ${formatDurationShort(options.statsEveryMs)})\n` +
      (flags.duration === undefined ? 'Press Ctrl-C to stop.\n' : `Running for ${formatDurationShort(flags.duration)}.\n`),
  );
  try {
    await demo.openStore();
  } catch (error) {
    await demo.closeStore().catch(() => undefined);
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    return await supervise(demo.ssc, status, new RunMetrics(), {
      durationMs: flags.duration,
      summaryExtra: demo.summary,
      onStarted: () => printUi(demo.ssc, (line) => status.log(line)),
    });
  } finally {
    await demo.closeStore();
  }
}

function printUi(ssc: RunnableContext, log: (line: string) => void): void {
  const url = uiUrlOf(ssc);
  if (url) log(`UI: ${url}`);
}

async function runCommand(job: string, args: string[], flags: { duration?: number }): Promise<number> {
  const ssc = await buildJob(job, args);
  const status = new StatusLine(process.stdout, ssc.batchInterval);
  process.stdout.write(`Running ${ssc.appName} from ${resolve(job)}${flags.duration === undefined ? ' (Ctrl-C to stop)' : ` for ${formatDurationShort(flags.duration)}`}\n`);
  return supervise(ssc, status, new RunMetrics(), {
    durationMs: flags.duration,
    onStarted: () => printUi(ssc, (line) => status.log(line)),
  });
}

/** Finds tsx's command-line entry for the benchmark. */
function tsxCli(root: string): string | undefined {
  try {
    const pkgPath = createRequire(join(root, 'noop.js')).resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.tsx;
    return bin ? join(dirname(pkgPath), bin) : undefined;
  } catch {
    return undefined;
  }
}

/** `sluice bench`: bench/kernels.bench.ts through tsx, in the repository at `root`. Resolves to the exit code. */
export async function benchCommand(args: string[], root = ROOT): Promise<number> {
  const script = join(root, 'bench', 'kernels.bench.ts');
  if (!existsSync(script)) {
    process.stderr.write(
      'sluice bench: the kernel benchmark runs from a clone of the Sluice repository (bench/ is not part of the npm package):\n' +
        '  git clone <the Sluice repository> && cd sluice && npm install && npx sluice bench\n',
    );
    return 1;
  }
  const tsx = tsxCli(root);
  if (!tsx) {
    process.stderr.write('sluice bench: the benchmark needs tsx; run npm install in the repository (it is a devDependency)\n');
    return 1;
  }
  if (!existsSync(join(root, 'build', 'release.wasm'))) {
    process.stderr.write('sluice bench: build/release.wasm is missing; run npm run build first\n');
    return 1;
  }
  process.stderr.write(`sluice bench: running bench/kernels.bench.ts ${args.join(' ')} (the full run takes about 3 minutes; --quick for a short one)\n`);
  const child = spawn(process.execPath, [tsx, script, ...args], { cwd: root, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((done) =>
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      done(code ?? (signal ? 1 : 0));
    }),
  );
}

/** The commander program; actions store their exit code in `result.code`. */
export function createProgram(result: { code: number }): Command {
  const program = new Command('sluice')
    .description('Sluice: Spark Streaming’s DStream model for Node.js, with WebAssembly aggregation kernels')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run sluice --help, or sluice <command> --help, for usage)')
    .exitOverride();

  program
    .command('demo')
    .description('sensor ingestion on embedded defaults: a simulated fleet, windowed stats on the kernels, anomaly flags, a DuckDB store')
    .addOption(new Option('--sensors <n>', 'number of sensors').argParser(integerArg(1, 0xffffffff)).default(DEMO_DEFAULTS.sensors))
    .addOption(new Option('--rate <r>', 'readings per second over the fleet (100000, 100k, 1M)').argParser(rateArg).default(DEMO_DEFAULTS.rate, '1M'))
    .addOption(new Option('--batch <duration>', 'batch interval').argParser(durationArg).default(DEMO_DEFAULTS.batchMs, '1s'))
    .addOption(new Option('--window <duration>', 'sliding window of the per-sensor statistics').argParser(durationArg).default(DEMO_DEFAULTS.windowMs, '30s'))
    .addOption(
      new Option('--stats-every <duration>', 'how often sensor_stats gets a row per sensor').argParser(durationArg).default(DEMO_DEFAULTS.statsEveryMs, '10s'),
    )
    .addOption(new Option('--duration <duration>', 'stop gracefully after this long (default: run until Ctrl-C)').argParser(durationArg))
    .addOption(new Option('--ui-port <port>', 'port of the web UI (0: any free port)').argParser(integerArg(0, 65535)).default(DEMO_DEFAULTS.uiPort))
    .option('--no-ui', 'serve no web UI')
    .addOption(new Option('--store <file>', 'the DuckDB file the results go to').default(DEMO_DEFAULTS.store))
    .addOption(new Option('--seed <n>', 'seed of the simulation').argParser(integerArg(0, 0xffffffff)).default(DEMO_DEFAULTS.seed))
    .addOption(new Option('--threshold <k>', 'flag readings more than k standard deviations from their window mean').argParser(positiveNumberArg()).default(DEMO_DEFAULTS.threshold))
    .action(async (flags: DemoFlags) => {
      result.code = await demoCommand(flags);
    });

  program
    .command('run')
    .description('run a job module: it exports a function (default, or named `job`) that builds and returns a StreamingContext, not started')
    .argument('<job>', 'the job module (.js, or .ts through tsx)')
    .argument('[args...]', 'arguments passed to the job function as { args }')
    .addOption(new Option('--duration <duration>', 'stop gracefully after this long (default: run until Ctrl-C / SIGTERM)').argParser(durationArg))
    .action(async (job: string, args: string[], flags: { duration?: number }) => {
      result.code = await runCommand(job, args, flags);
    });

  program
    .command('bench')
    .description('run the kernel benchmark (bench/kernels.bench.ts) from a clone of the repository; e.g. sluice bench --quick')
    .argument('[args...]', 'passed to the benchmark: --quick, --only=u32,words,window,dstream')
    .allowUnknownOption()
    .action(async (args: string[]) => {
      result.code = await benchCommand(args);
    });

  return program;
}

/** Runs the CLI on `argv` (as `process.argv`) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const result = { code: 0 };
  const program = createProgram(result);
  try {
    await program.parseAsync([...argv]);
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message; help and --version are not errors.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof JobLoadError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`error: ${describe(error)}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // Output piped into a command that has finished (`sluice demo | head`): end as Unix tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw error;
  });
  const code = await main(process.argv);
  process.exitCode = code;
  // Whatever a job left open (a timer, a socket) must not keep the CLI from exiting.
  setTimeout(() => process.exit(code), 2_000).unref();
}
