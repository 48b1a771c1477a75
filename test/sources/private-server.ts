/**
 * Shared by the broker suites: a private broker (nats-server, redis-server, Mosquitto...) run
 * from its binary on a free port, with its data in a temporary directory, so that a test can
 * kill it and restart it on the same port and data, as a crash or an outage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../support/async.js';
import { reachable } from './brokers.js';

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

/** How to run one kind of broker. */
export interface PrivateServerSpec {
  /** For errors and the temporary directory's name, e.g. `'nats-server'`. */
  name: string;
  /** The URL scheme of its clients, e.g. `'nats'`. */
  scheme: string;
  /** Its command line on `port` (127.0.0.1) with its data in `dir`: the binary, then its arguments. */
  command(port: number, dir: string): [string, ...string[]];
  /** Writes what the command needs in `dir` (a configuration file) before the first start. */
  prepare?(port: number, dir: string): Promise<void>;
}

export class PrivateServer {
  private process: ChildProcess | undefined;
  private constructor(
    private readonly spec: PrivateServerSpec,
    readonly port: number,
    readonly dir: string,
  ) {}

  /** Starts a server of `spec` on a free port and a new temporary directory; resolves once it accepts connections. */
  static async start(spec: PrivateServerSpec): Promise<PrivateServer> {
    const server = new PrivateServer(spec, await freePort(), await mkdtemp(join(tmpdir(), `sluice-${spec.name}-`)));
    await spec.prepare?.(server.port, server.dir);
    await server.restart();
    return server;
  }

  get url(): string {
    return `${this.spec.scheme}://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port and data directory; resolves once it accepts connections. */
  async restart(): Promise<void> {
    const [binary, ...args] = this.spec.command(this.port, this.dir);
    const p = spawn(binary, args, { stdio: 'ignore' });
    this.process = p;
    const deadline = Date.now() + 10_000;
    while (!(await reachable('127.0.0.1', this.port, 200))) {
      if (p.exitCode !== null) throw new Error(`${this.spec.name} exited with code ${p.exitCode} on port ${this.port}`);
      if (Date.now() > deadline) throw new Error(`${this.spec.name} did not start on port ${this.port}`);
      await sleep(20);
    }
  }

  /** Stops the server with `signal` and waits for it to exit: SIGTERM lets it save its state, as a broker being restarted does. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.process;
    this.process = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill(signal);
    await exited;
  }

  /** Kills the server at once (SIGKILL), as a crash. */
  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }

  /** Kills the server and removes its data. */
  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}
