/** Helpers of the NATS JetStream suite: a client for the test's own publishing, and private servers. */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { sleep } from '../../support/async.js';
import { PrivateServer } from '../private-server.js';

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

/** A private nats-server with JetStream file storage in a temporary directory, to kill and restart. */
export function privateNatsServer(): Promise<PrivateServer> {
  return PrivateServer.start({
    name: 'nats-server',
    scheme: 'nats',
    command: (port, dir) => ['/usr/sbin/nats-server', '-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir],
  });
}
