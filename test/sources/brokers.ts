/**
 * Shared by the broker suites: is the broker on this machine reachable? Under CI=true a missing
 * broker (or tool, such as kcat for the Kafka suites) fails the suite (CI must test every
 * source); elsewhere the suite is skipped with a message saying how to get it.
 */
import { createConnection } from 'node:net';
import { describe, it } from 'vitest';

/** Resolves true when a TCP connection to host:port succeeds within `timeoutMs`. */
export function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * `describe` for a suite that needs the broker at host:port. Missing broker: under CI=true the
 * suite fails with `howToStart`; locally it is skipped, with the same hint printed.
 */
export async function describeWithBroker(name: string, host: string, port: number, howToStart: string, suite: () => void): Promise<void> {
  const up = await reachable(host, port);
  describeIfAvailable(up, name, 'its broker', `${name}: no broker at ${host}:${port}. Start it with: ${howToStart}`, suite);
}

/**
 * `describe` for a suite that needs something this machine may lack (`what`: a broker, a tool).
 * When it is not `available`, under CI=true the suite fails with `hint`; elsewhere it is skipped,
 * with the hint printed.
 */
export function describeIfAvailable(available: boolean, name: string, what: string, hint: string, suite: () => void, options: { concurrent?: boolean } = {}): void {
  if (available) return void (options.concurrent ? describe.concurrent(name, suite) : describe(name, suite));
  if (process.env.CI === 'true') {
    // A failing test, not a skip: CI must exercise every source.
    describe(name, () => {
      it(`needs ${what}`, () => {
        throw new Error(hint);
      });
    });
  } else {
    console.warn(`${hint} (skipped; under CI=true this fails)`);
    describe.skip(name, suite);
  }
}
