/** Helpers of the Redis Streams suite: a client for the test's own writes, and private servers. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { reachable } from '../brokers.js';
import { sleep } from '../../support/async.js';

export const REDIS_HOST = '127.0.0.1';
export const REDIS_PORT = 6379;
export const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`;

export type Admin = ReturnType<typeof createClient>;

/** A client for the test's own commands; it reconnects quickly (the restart test). */
export async function admin(url = REDIS_URL): Promise<Admin> {
  const client = createClient({ url, RESP: 2, socket: { reconnectStrategy: () => 100 } });
  client.on('error', () => undefined);
  await client.connect();
  return client as unknown as Admin;
}

/** XADDs each payload as field `field`, pipelined; resolves with the entry ids in order. */
export async function addAll(client: Admin, stream: string, payloads: readonly string[], field = 'data'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < payloads.length; i += 1000) {
    ids.push(...(await Promise.all(payloads.slice(i, i + 1000).map((p) => client.xAdd(stream, '*', { [field]: p })))));
  }
  return ids;
}

/** Entries pending (read, not acknowledged) in the group. */
export async function pendingCount(client: Admin, stream: string, group: string): Promise<number> {
  const reply = (await client.sendCommand(['XPENDING', stream, group])) as [number, ...unknown[]];
  return Number(reply[0]);
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A private redis-server with an append-only file in a temporary directory (fsync on every
 * write), so that its data survives being killed and restarted on the same port.
 */
export class PrivateRedisServer {
  private process: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedisServer> {
    const server = new PrivateRedisServer(await freePort(), await mkdtemp(join(tmpdir(), 'sluice-redis-')));
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir];
    this.process = spawn('/usr/bin/redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await reachable('127.0.0.1', this.port, 200))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${this.port}`);
      await sleep(50);
    }
  }

  /** Kills the server at once (SIGKILL), as a crash. */
  async kill(): Promise<void> {
    const p = this.process;
    this.process = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGKILL');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

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
