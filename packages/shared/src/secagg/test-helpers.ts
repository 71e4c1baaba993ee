// Shared by the secure-aggregation tests (not built into dist): the FT_ERR_* code, or error name, a call throws.
import type { FedtuneError } from '../errors/catalogue.js';

/** The code of what `f` throws, its name for a plain Error, or 'no error'. */
export function thrownCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as FedtuneError).code ?? (e as Error).name;
  }
  return 'no error';
}
