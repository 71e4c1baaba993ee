// The tfjs backend for local training in this process: the backend module's selection (fastest
// available first, or the one forced), redone only when a different backend is asked for.
import { parseBackendName, selectBackend } from '../backend/index.js';

let current: { key: string; name: Promise<string> } | null = null;

/**
 * Selects the backend (`prefer` forces one) and returns its name; `log` receives the choice when it
 * is made (default stderr). @throws FedtuneError FT_ERR_CONFIG when unavailable.
 */
export function activeBackend(prefer?: string, log?: (line: string) => void): Promise<string> {
  const key = prefer ?? 'auto';
  if (current?.key !== key) {
    const name = selectBackend({ ...(prefer === undefined ? {} : { prefer: parseBackendName(prefer) }), ...(log === undefined ? {} : { log }) }).then((c) => c.name as string);
    current = { key, name };
    name.catch(() => (current = null));
  }
  return current.name;
}
