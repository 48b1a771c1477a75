/**
 * A real Kafka-protocol broker for the Kafka suites: librdkafka's mock cluster, started through
 * kcat (`apt-get install kcat`). kcat runs as a consumer of a `keepalive` topic to keep the
 * cluster up; its stderr names the cluster's bootstrap servers (random ports). Topics are created
 * on first use (Metadata or Produce) with 4 partitions; admin createTopics is not supported.
 *
 * Also here: a TCP proxy per mock broker, to cut the consumer's network (a real socket outage:
 * connections reset, new ones refused) and restore it on the same addresses.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import kafkajs from 'kafkajs';
import type { ISocketFactory, Producer } from 'kafkajs';
import { describeIfAvailable } from '../brokers.js';

const { Kafka, logLevel, Partitioners } = kafkajs;

export const KCAT = process.env.KCAT ?? 'kcat';
export const PARTITIONS = 4;

/** True when kcat runs here. */
export function kcatAvailable(): boolean {
  const r = spawnSync(KCAT, ['-V'], { stdio: 'ignore' });
  return r.status === 0;
}

/**
 * `describe` for a suite that needs kcat's mock cluster. Without kcat: under CI=true the suite
 * fails; elsewhere it is skipped with a hint (as test/sources/brokers.ts does for brokers).
 */
export function describeWithKcat(name: string, suite: () => void, options: { concurrent?: boolean } = {}): void {
  const hint = `${name}: kcat not found (${KCAT}); it runs librdkafka's mock Kafka cluster. Install it with: apt-get install kcat (or set KCAT=/path/to/kcat)`;
  describeIfAvailable(kcatAvailable(), name, 'kcat', hint, suite, options);
}

export interface MockCluster {
  /** `host:port` of each broker. */
  readonly brokers: string[];
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A worker that dies without afterAll must not leave clusters behind.
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** Starts a mock cluster of `brokers` brokers and resolves with its bootstrap servers. */
export function startMockCluster(brokers = 3, timeoutMs = 10_000): Promise<MockCluster> {
  const child = spawn(KCAT, ['-b', 'dummy:9092', '-X', `test.mock.num.brokers=${brokers}`, '-C', '-t', 'keepalive', '-o', 'end'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  const stop = async (): Promise<void> => {
    running.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<MockCluster>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`kcat printed no mock cluster bootstrap line within ${timeoutMs} ms: ${text.slice(0, 500)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      // "%7|…|MOCK|…| Mock cluster mockCluster… bootstrap.servers=127.0.0.1:1,127.0.0.1:2" (debug)
      // or "%5|…|MOCK|…| Mock cluster enabled: … replaced with 127.0.0.1:1,127.0.0.1:2".
      const m = /bootstrap\.servers=(\S+)/.exec(text) ?? /replaced with (\S+)/.exec(text);
      if (!m) return;
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      child.stderr!.resume(); // drained from now on, unread
      resolve({ brokers: m[1]!.split(','), stop });
    };
    child.stderr!.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`kcat exited (${code ?? signal}) before the mock cluster was up: ${text.slice(0, 500)}`));
    });
  });
}

// ------------------------------------------------------------------ producing

/** A kafkajs producer on the cluster (not through any proxy). */
export async function producerFor(brokers: string[]): Promise<Producer> {
  const kafka = new Kafka({ clientId: 'sluice-test-producer', brokers, logLevel: logLevel.ERROR });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}

/**
 * Produces `values` to `topic`, the i-th to partition `partitionOf(value, i)` (default
 * `i % PARTITIONS`), in sends of at most `chunk` records. Resolves once acknowledged.
 */
export async function produce(
  producer: Producer,
  topic: string,
  values: readonly (string | Buffer | null)[],
  partitionOf: (value: string | Buffer | null, index: number) => number = (_, i) => i % PARTITIONS,
  chunk = 1000,
): Promise<void> {
  for (let start = 0; start < values.length; start += chunk) {
    const messages = values.slice(start, start + chunk).map((value, i) => ({ value, partition: partitionOf(value, start + i) }));
    await producer.send({ topic, messages });
  }
}

/**
 * Produces the values `from`..`to − 1` (as strings) to `topic`, value v to partition v % 4: when
 * a topic gets 0, 1, 2... in order, value v is at offset ⌊v / 4⌋ of its partition.
 */
export function produceRange(producer: Producer, topic: string, from: number, to: number): Promise<void> {
  const values = Array.from({ length: to - from }, (_, i) => String(from + i));
  return produce(producer, topic, values, (v) => Number(v) % PARTITIONS);
}

// ------------------------------------------------------------------ network faults

class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async listen(port = this.port): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          this.sockets.delete(a);
          b.destroy();
        });
        a.pipe(b);
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  /** Resets every connection and refuses new ones (the port is closed). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * A proxy in front of every broker of a cluster. Give `socketFactory` to the consumer's kafkajs
 * client (`client: { socketFactory }`): its connections to the brokers' addresses go through the
 * proxies, which `cut()` breaks and `restore()` brings back on the same ports.
 */
export async function proxiedNetwork(brokers: string[]): Promise<{ socketFactory: ISocketFactory; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const proxies = new Map<string, TcpProxy>();
  for (const b of brokers) {
    const [host, port] = b.split(':') as [string, string];
    const proxy = new TcpProxy({ host, port: Number(port) });
    await proxy.listen(0);
    proxies.set(b, proxy);
  }
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const proxy = proxies.get(`${host}:${port}`);
    const socket = connect({ host: '127.0.0.1', port: proxy ? proxy.port : port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
  return {
    socketFactory,
    cut: async () => void (await Promise.all([...proxies.values()].map((p) => p.cut()))),
    restore: async () => void (await Promise.all([...proxies.values()].map((p) => p.listen()))),
    close: async () => void (await Promise.all([...proxies.values()].map((p) => p.cut()))),
  };
}
