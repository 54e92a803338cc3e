/** Query-string parameters of the admin API, checked: each refusal is a 400 naming the parameter. */
import { SluiceError } from '../core/errors.ts';

/** The query, once every parameter is one of `known` and none is empty. */
export function onlyParameters<Name extends string>(
  query: Record<string, string | undefined>,
  known: readonly Name[],
): Partial<Record<Name, string>> {
  const unknown = Object.keys(query).find((name) => !(known as readonly string[]).includes(name));
  if (unknown !== undefined) invalidParameter(unknown, `unknown parameter; use ${known.join(', ')}`);
  for (const name of known) if (query[name] === '') invalidParameter(name, 'must not be empty');
  return query as Partial<Record<Name, string>>;
}

/** A parameter that must be a whole number from `min` to `max`. */
export function wholeParameter(field: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    invalidParameter(field, `a whole number from ${min} to ${max}`);
  }
  return value;
}

export function invalidParameter(field: string, message: string): never {
  throw new SluiceError('ERR_ADMIN_INVALID', `${field}: ${message}`, { field });
}
