/** Helpers of the MQTT suite: a publishing client, private Mosquitto brokers, unique topics. */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { PrivateServer } from '../private-server.js';

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

/** A private Mosquitto with persistence in a temporary directory, to stop and restart on the same port. */
export function privateMosquitto(): Promise<PrivateServer> {
  return PrivateServer.start({
    name: 'mosquitto',
    scheme: 'mqtt',
    command: (_port, dir) => [MOSQUITTO, '-c', join(dir, 'mosquitto.conf')],
    prepare: (port, dir) =>
      writeFile(
        join(dir, 'mosquitto.conf'),
        // `user`: started as root, Mosquitto would otherwise switch to the mosquitto user, who cannot write `dir`.
        [`listener ${port} 127.0.0.1`, `user ${userInfo().username}`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'log_dest none', ''].join('\n'),
      ),
  });
}
