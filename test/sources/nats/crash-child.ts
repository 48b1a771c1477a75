// Run by nats.test.ts in a child process: reads from a JetStream consumer and kills itself with
// SIGKILL in the output of the first non-empty batch, before anything is acknowledged.
import type { NatsStreamOptions } from '../../../src/sources/nats/nats-input.js';
import { childOptions, crashInFirstBatch } from '../crash-child.js';

await crashInFirstBatch((ssc) => ssc.natsStream(childOptions<NatsStreamOptions>()));
