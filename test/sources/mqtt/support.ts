/** Helpers of the MQTT suite: a publishing client, private Mosquitto brokers, unique topics. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { reachable } from '../brokers.js';
import { sleep } from '../../support/async.js';

export const MQTT_HOST = '127.0.0.1';
export const MQTT_PORT = 1883;
export const MQTT_URL = `mqtt://${MQTT_HOST}:${MQTT_PORT}`;
export const MOSQUITTO = '/usr/sbin/mosquitto';

/** A topic (and id) no other test uses. */
export function uniqueTopic(what: string): string {
  return `sluice-test/${what}/${randomUUID()}`;
}

export function uniqueId(what: string): string {
  return `sluice-test-${what}-${randomUUID().slice(0, 8)}`;
}

/** A connected publishing client (MQTT 5, reconnecting every 100 ms). */
export async function publisher(url = MQTT_URL, options: IClientOptions = {}): Promise<MqttClient> {
  const client = connect(url, { protocolVersion: 5, reconnectPeriod: 100, ...options });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/** Publishes every payload at `qos`, up to 200 unacknowledged at once, and waits for the broker's acks. */
export async function publishAll(client: MqttClient, topic: string, payloads: readonly (string | Buffer)[], qos: 0 | 1 = 1): Promise<void> {
  for (let i = 0; i < payloads.length; i += 200) {
    await Promise.all(payloads.slice(i, i + 200).map((p) => client.publishAsync(topic, p, { qos })));
  }
}

/** Removes a persistent session from the broker: a clean connect with its client id. */
export async function dropSession(clientId: string, url = MQTT_URL): Promise<void> {
  const client = connect(url, { protocolVersion: 5, clientId, clean: true, reconnectPeriod: 0 });
  await new Promise<void>((resolve) => {
    client.once('connect', () => resolve());
    client.once('error', () => resolve());
  });
  await client.endAsync(true).catch(() => undefined);
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

/** A private Mosquitto with persistence in a temporary directory, to stop and restart on the same port. */
export class PrivateMosquitto {
  private process: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<PrivateMosquitto> {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'sluice-mosquitto-'));
    await writeFile(
      join(dir, 'mosquitto.conf'),
      // `user`: started as root, Mosquitto would otherwise switch to the mosquitto user, who cannot write `dir`.
      [`listener ${port} 127.0.0.1`, `user ${userInfo().username}`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'log_dest none', ''].join('\n'),
    );
    const broker = new PrivateMosquitto(port, dir);
    await broker.restart();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port and persistence directory; resolves once it accepts connections. */
  async restart(): Promise<void> {
    const p = spawn(MOSQUITTO, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: 'ignore' });
    this.process = p;
    const deadline = Date.now() + 10_000;
    while (!(await reachable('127.0.0.1', this.port, 200))) {
      if (p.exitCode !== null) throw new Error(`mosquitto exited with code ${p.exitCode} on port ${this.port}`);
      if (Date.now() > deadline) throw new Error(`mosquitto did not start on port ${this.port}`);
      await sleep(20);
    }
  }

  /** Stops the broker (SIGTERM: it saves its sessions, as a broker being restarted does). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.process;
    this.process = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill(signal);
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }
}
