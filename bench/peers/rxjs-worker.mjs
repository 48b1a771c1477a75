// Worker entry for rxjs-worker.ts: Node 20 does not carry tsx's loader hooks into worker
// threads, so the worker registers tsx itself before importing the TypeScript module.
import { register } from 'tsx/esm/api';

register();
await import('./rxjs-worker.ts');
