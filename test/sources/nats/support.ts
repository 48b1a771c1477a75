/** Helpers of the NATS JetStream suite: a client for the test's own publishing, and private servers. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { reachable } from '../brokers.js';
import { sleep } from '../../support/async.js';

export const NATS_HOST = '127.0.0.1';
export const NATS_PORT = 4222;
export const NATS_URL = `nats://${NATS_HOST}:${NATS_PORT}`;

export interface Admin {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export async function admin(servers = NATS_URL): Promise<Admin> {
  const nc = await connect({ servers, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };
}

/** Publishes `payloads` to `subject`, up to 500 in flight, waiting for every PubAck. */
export async function publishAll(js: JetStreamClient, subject: string, payloads: readonly (string | Uint8Array)[]): Promise<void> {
  for (let i = 0; i < payloads.length; i += 500) {
    await Promise.all(payloads.slice(i, i + 500).map((p) => js.publish(subject, p)));
  }
}

/**
 * Publishes string payloads, retrying for up to `timeoutMs` while the server is not back yet
 * (after a restart). Each payload is its own message id, so a retry never stores it twice.
 */
export async function publishRetrying(js: JetStreamClient, subject: string, payloads: readonly string[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < payloads.length; i += 500) {
    for (;;) {
      try {
        await Promise.all(payloads.slice(i, i + 500).map((p) => js.publish(subject, p, { msgID: p, timeout: 500 })));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(200);
      }
    }
  }
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

/** A private nats-server with JetStream file storage in a temporary directory, to kill and restart. */
export class PrivateNatsServer {
  private process: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<PrivateNatsServer> {
    const server = new PrivateNatsServer(await freePort(), await mkdtemp(join(tmpdir(), 'sluice-nats-')));
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port and storage directory; resolves once it accepts connections. */
  async restart(): Promise<void> {
    this.process = spawn('/usr/sbin/nats-server', ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.dir], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await reachable('127.0.0.1', this.port, 200))) {
      if (Date.now() > deadline) throw new Error(`nats-server did not start on port ${this.port}`);
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
