/** Helpers of the Redis Streams suite: a client for the test's own writes, and private servers. */
import { createClient } from 'redis';
import { PrivateServer } from '../private-server.js';

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

/**
 * A private redis-server with an append-only file in a temporary directory (fsync on every
 * write), so that its data survives being killed and restarted on the same port.
 */
export function privateRedisServer(): Promise<PrivateServer> {
  return PrivateServer.start({
    name: 'redis-server',
    scheme: 'redis',
    command: (port, dir) => ['/usr/bin/redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir],
  });
}
