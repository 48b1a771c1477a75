/**
 * Shared by the broker suites' crash tests: a job killed in the middle of its first batch, before
 * anything was acknowledged. The test runs a child script with {@link runCrashChild}; the script
 * defines its stream from {@link childOptions} and hands it to {@link crashInFirstBatch}.
 */
import { spawn } from 'node:child_process';
import { Milliseconds, StreamingContext, type DStream } from '../../src/index.js';

/**
 * Runs a child script (TypeScript, through tsx) with its options as JSON; resolves with its
 * stdout once it killed itself with SIGKILL after printing `received`.
 */
export function runCrashChild(script: string, options: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SLUICE_UI: 'false' },
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && out.includes('received')) resolve(out);
      else reject(new Error(`the child exited with ${code ?? signal}: ${out}\n${err}`));
    });
  });
}

/** In the child: the options {@link runCrashChild} was given. */
export function childOptions<O>(): O {
  return JSON.parse(process.argv[2]!) as O;
}

/**
 * In the child: starts a context (100 ms batches) reading the stream `define` makes, and kills
 * the process with SIGKILL in the output of the first non-empty batch, after printing
 * `received <count>`.
 */
export async function crashInFirstBatch(define: (ssc: StreamingContext) => DStream<unknown>): Promise<void> {
  const ssc = new StreamingContext({ batchInterval: Milliseconds(100), ui: false });
  define(ssc).foreachRDD((batch) => {
    const n = batch.count();
    if (n === 0) return;
    process.stdout.write(`received ${n}\n`);
    process.kill(process.pid, 'SIGKILL');
  });
  await ssc.start();
}
