/**
 * Loads a connector's client library on first use. The connectors (Kafka, MQTT, ZeroMQ, NATS,
 * Redis, DuckDB) import their libraries with `import type` only, and load them here when a
 * stream starts or a sink opens: importing sluice loads none of them (some are native addons),
 * and a job pays only for the connectors it runs.
 */
import { describe } from './errors.js';

const loaded = new Map<string, Promise<unknown>>();

/**
 * The module `pkg`, imported by `load` (e.g. `() => import('mqtt')`, written out so that the
 * types and bundlers follow it) once per process. A failed load is not cached, so a later start
 * tries again; it rejects with an error naming the package and `user`, the source or sink that
 * needs it (e.g. `mqtt:sensors/#@mqtt://broker:1883`).
 */
export function loadClient<M>(pkg: string, user: string, load: () => Promise<M>): Promise<M> {
  let module = loaded.get(pkg) as Promise<M> | undefined;
  if (!module) {
    module = load();
    loaded.set(pkg, module);
    module.catch(() => loaded.delete(pkg));
  }
  return module.catch((error: unknown) => {
    throw new Error(
      isNotInstalled(error, pkg)
        ? `${user}: the package "${pkg}" is not installed; install it with \`npm install ${pkg}\``
        : `${user}: loading the package "${pkg}" failed: ${describe(error)}`,
      { cause: error },
    );
  });
}

function isNotInstalled(error: unknown, pkg: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    (e.message.includes(`'${pkg}'`) || e.message.includes(`"${pkg}"`))
  );
}
