// Starts a TypeScript worker of the kernel tests (workerData.script, a file URL): worker
// threads do not inherit vitest's TypeScript loader, and Node 20 ignores `--import` in a
// worker's execArgv, so register tsx here, then import the script.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.script);
