// Development-only worker entry (not published): Node 20 will not start a worker from a .ts file,
// and `--import tsx` in execArgv does not reach it, so register tsx here, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./trainer-worker.ts');
