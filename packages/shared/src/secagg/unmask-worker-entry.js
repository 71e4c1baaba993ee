// Plain-JS worker entry: Node 20 will not start a worker from a .ts URL, and a worker's
// `--import tsx` does not reach it, so register tsx's ESM hooks here, then load the TS worker.
import { register } from 'tsx/esm/api';

register();
await import('./unmask-worker.ts');
