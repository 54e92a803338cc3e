/**
 * `SLUICE_*` environment variables as configuration: `SLUICE_SERVER__PORT=9000` sets
 * `server.port` (`__` separates path segments; values are read as YAML scalars).
 *
 * Kubernetes gives every pod variables for each Service in its namespace, named after the
 * Service: a Service `sluice` yields `SLUICE_SERVICE_HOST`, `SLUICE_PORT=tcp://…` and more,
 * which share our prefix. A variable is configuration when it has a `__` separator or its
 * first segment is a top-level key; otherwise one of Kubernetes' service-link patterns is
 * ignored, and anything else is refused as a typo, named with the nearest real variable.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const ENV_PREFIX = 'SLUICE_';

/** `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT[_<PORTNAME>]`, `<NAME>_PORT`, `<NAME>_PORT_<n>_<PROTO>[_ADDR|_PORT|_PROTO]`. */
const SERVICE_LINK =
  /^[A-Z0-9_]+_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT|PORT_[0-9]+_(TCP|UDP|SCTP)(_ADDR|_PORT|_PROTO)?)$/;

export function isServiceLinkVariable(name: string): boolean {
  return SERVICE_LINK.test(name);
}

type Document = Record<string, unknown>;
type Shape = Readonly<Record<string, z.ZodType>>;

export class EnvKeyError extends Error {
  override readonly name = 'EnvKeyError';
}

/** The configuration the `SLUICE_*` variables of `env` set; throws EnvKeyError naming every unknown one. */
export function envOverrides(env: NodeJS.ProcessEnv, schema: z.ZodObject): Document {
  const result: Document = {};
  const problems: string[] = [];
  const shape = schema.shape as Shape;
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split('__');
    const isConfig = path.length > 1 || (path[0] ?? '') in shape;
    if (!isConfig && isServiceLinkVariable(name)) continue;
    if (path.some((segment) => segment.length === 0)) {
      problems.push(`environment variable ${name} has an empty key segment`);
      continue;
    }
    if (!isKnownPath(shape, path)) {
      problems.push(unknownKeyMessage(name, path, shape));
      continue;
    }
    setPath(result, path, parseYaml(raw) ?? raw);
  }
  if (problems.length > 0) throw new EnvKeyError(problems.join('\n'));
  return result;
}

/**
 * True when every segment names a key of the object above it. Below a non-object (a list,
 * a scalar) the schema itself judges the value, with its own message.
 */
function isKnownPath(shape: Shape, path: readonly string[]): boolean {
  let current: Shape | undefined = shape;
  for (const segment of path) {
    if (current === undefined) return true;
    const child: z.ZodType | undefined = Object.hasOwn(current, segment) ? current[segment] : undefined;
    if (child === undefined) return false;
    current = objectShape(child);
  }
  return true;
}

function unknownKeyMessage(name: string, path: readonly string[], shape: Shape): string {
  const message = `environment variable ${name}: unknown key ${path.join('.')}`;
  const nearest = nearestVariable(name, shape);
  return nearest === undefined ? message : `${message} (did you mean ${nearest}?)`;
}

/** The real variable closest to `name` in edit distance, if close enough to be the one meant. */
function nearestVariable(name: string, shape: Shape): string | undefined {
  const typed = name.slice(ENV_PREFIX.length);
  let best: { name: string; distance: number } | undefined;
  for (const path of knownPaths(shape, [])) {
    const candidate = path.join('__').toUpperCase();
    const distance = editDistance(typed, candidate);
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  const tolerance = Math.max(2, Math.floor(typed.length / 4));
  return best !== undefined && best.distance <= tolerance ? ENV_PREFIX + best.name : undefined;
}

function* knownPaths(shape: Shape, prefix: readonly string[]): Generator<string[]> {
  for (const [key, child] of Object.entries(shape)) {
    const path = [...prefix, key];
    yield path;
    const childShape = objectShape(child);
    if (childShape !== undefined) yield* knownPaths(childShape, path);
  }
}

/** The keys of an object schema, through defaults and optionals; undefined for anything else. */
function objectShape(schema: z.ZodType): Shape | undefined {
  if (schema instanceof z.ZodObject) return schema.shape as Shape;
  if (
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodPrefault ||
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable
  )
    return objectShape(schema.unwrap() as z.ZodType);
  return undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        distance = Math.min(distance, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = distance;
    }
  }
  return at(a.length, b.length);
}

function setPath(target: Document, path: readonly string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (!isDocument(next)) node[segment] = {};
    node = node[segment] as Document;
  }
  node[path[path.length - 1] as string] = value;
}

export function isDocument(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
