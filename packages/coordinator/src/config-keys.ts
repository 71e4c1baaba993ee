// Unknown keys in a config file, named with their path and the nearest known key: a typo such as
// "stratgy" must stop the coordinator, not run ten rounds of the default strategy. TypeBox's own
// additionalProperties errors inside unions say only "Expected union value", so this walks the
// schema itself, choosing a union's branch by its literal `kind` or `name` where it has one.
import { Kind, type TSchema } from '@sinclair/typebox';

export interface UnknownKey {
  /** JSON-pointer-like path: `/selection/sampelRate`. */
  path: string;
  key: string;
  /** The closest known key at that level, when one is close. */
  suggestion: string | null;
  /** Set when the problem is not a key but an array where a section (an object) belongs. */
  notAnObject?: true;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

function nearest(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The literal a union branch is told apart by (`kind: 'poisson'`), if it has one. */
function discriminant(schema: TSchema): [string, unknown] | null {
  const props = (schema as { properties?: Record<string, TSchema> }).properties;
  if (props === undefined) return null;
  for (const name of ['kind', 'name', 'mode']) {
    const p = props[name] as { const?: unknown } | undefined;
    if (p !== undefined && p.const !== undefined) return [name, p.const];
  }
  return null;
}

/** Every key in `value` the schema does not name, depth first. */
export function unknownKeys(schema: TSchema, value: unknown, path = ''): UnknownKey[] {
  const kind = (schema as { [Kind]?: string })[Kind];
  // TypeBox's defaults would fill an array as if it were the section: refuse it here.
  if (kind === 'Object' && Array.isArray(value)) return [{ path: path || '/', key: path.split('/').pop() ?? '', suggestion: null, notAnObject: true }];
  if (kind === 'Object' && isPlainObject(value)) {
    const props = (schema as unknown as { properties: Record<string, TSchema> }).properties;
    const known = Object.keys(props);
    const out: UnknownKey[] = [];
    for (const [k, v] of Object.entries(value)) {
      if (!Object.hasOwn(props, k)) out.push({ path: `${path}/${k}`, key: k, suggestion: nearest(k, known) });
      else out.push(...unknownKeys(props[k]!, v, `${path}/${k}`));
    }
    return out;
  }
  if (kind === 'Union') {
    const branches = (schema as unknown as { anyOf: TSchema[] }).anyOf.filter((b) => (b as { [Kind]?: string })[Kind] === 'Object' || (b as { [Kind]?: string })[Kind] === 'Union' || (b as { [Kind]?: string })[Kind] === 'Array');
    if (branches.length === 0) return [];
    if (isPlainObject(value)) {
      const chosen = branches.find((b) => {
        const d = discriminant(b);
        return d !== null && value[d[0]] === d[1];
      });
      if (chosen !== undefined) return unknownKeys(chosen, value, path);
    }
    // No discriminant to go by: the branch that leaves the fewest keys unexplained.
    let best: UnknownKey[] | null = null;
    for (const b of branches) {
      const found = unknownKeys(b, value, path);
      if (best === null || found.length < best.length) best = found;
    }
    return best ?? [];
  }
  if (kind === 'Array' && Array.isArray(value)) {
    const items = (schema as unknown as { items: TSchema }).items;
    return value.flatMap((v, i) => unknownKeys(items, v, `${path}/${i}`));
  }
  return [];
}
