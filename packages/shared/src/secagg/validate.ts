// Runtime validation of secure-aggregation messages against their TypeBox schemas, so the pure
// stage functions refuse hostile values even when a caller skipped the codec.
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { FedtuneError } from '../errors/catalogue.js';

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** @throws FedtuneError FT_ERR_MALFORMED naming the first failing path when `value` does not match. */
export function validateMessage<S extends TSchema>(schema: S, value: unknown, what: string): asserts value is Static<S> {
  let c = compiled.get(schema);
  if (c === undefined) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  if (!c.Check(value)) {
    const first = c.Errors(value).First();
    throw new FedtuneError('FT_ERR_MALFORMED', `${what}${first?.path ?? ''}: ${first?.message ?? 'invalid'}`);
  }
}
