// Run by redis.test.ts in a child process: reads a Redis stream as one consumer of a group and
// kills itself with SIGKILL in the output of the first non-empty batch, before any XACK.
import type { RedisStreamOptions } from '../../../src/sources/redis/redis-input.js';
import { childOptions, crashInFirstBatch } from '../crash-child.js';

await crashInFirstBatch((ssc) => ssc.redisStream(childOptions<RedisStreamOptions>()));
