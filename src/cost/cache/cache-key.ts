/**
 * Cache keys: a SHA-256 over one canonical JSON of everything that can change a model's
 * answer (object keys sorted, typed arrays tagged with their type), so two requests that
 * differ only in how they are written share a key, and any output-changing difference
 * gives another.
 *
 *   response key = H("response", family, operation, model, version, tenant?, document − ignored fields)
 *   item key     = H("item", model, version, tenant?, item as the model reads it)
 *
 * An item key leaves out the protocol and the operation: a local model's row for an item
 * is the same whether it was asked over KServe v2, v1 or OpenAI embeddings.
 */
import { createHash } from 'node:crypto';
import type { ApiFamily, InferenceRequest, Item } from '../../pipeline/request.ts';

export interface KeyScope {
  readonly model: string;
  readonly version: string;
  /** The tenant; undefined for a model declared shared (its answers do not depend on who asks). */
  readonly tenant: string | undefined;
}

/**
 * Fields that never change the answer: who the end user is (`user`), how a stream is sent
 * (streams are never cached), whether the upstream keeps a copy (`store`, `metadata`), and
 * an Open Inference request's own id (a hit answers with the asker's id).
 */
export const IGNORED_FIELDS: Readonly<Record<ApiFamily, ReadonlySet<string>>> = {
  openai: new Set(['user', 'stream', 'stream_options', 'store', 'metadata']),
  'open-inference': new Set(['id']),
  'kserve-v1': new Set(),
};

export function responseKey(scope: KeyScope, request: InferenceRequest): string {
  const ignored = IGNORED_FIELDS[request.family];
  const document = Object.fromEntries(Object.entries(request.document).filter(([name]) => !ignored.has(name)));
  return digest([
    'response',
    request.family,
    request.operation,
    scope.model,
    scope.version,
    scope.tenant ?? null,
    document,
  ]);
}

export function itemKey(scope: KeyScope, item: Item): string {
  return digest(['item', scope.model, scope.version, scope.tenant ?? null, item]);
}

/** One key for a set of keys, in order (the flight of a request's missing items). */
export function combinedKey(keys: readonly string[]): string {
  return digest(['keys', keys]);
}

function digest(parts: readonly unknown[]): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('base64url');
}

/** JSON with object keys sorted; typed arrays as `{"$typed": name, "data": [...]}`, bigints as strings with `n`. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return scalarJson(value);
  if (ArrayBuffer.isView(value)) return typedJson(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const names = Object.keys(record)
    .filter((name) => record[name] !== undefined)
    .sort();
  return `{${names.map((name) => `${JSON.stringify(name)}:${canonicalJson(record[name])}`).join(',')}}`;
}

function scalarJson(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(`${value}n`);
  // undefined (an absent field) and functions never reach a key: JSON has no such values.
  return JSON.stringify(value) ?? 'null';
}

function typedJson(view: ArrayBufferView): string {
  const values = view instanceof DataView ? [] : Array.from(view as unknown as ArrayLike<number | bigint>);
  return `{"$typed":${JSON.stringify(view.constructor.name)},"data":[${values.map(scalarJson).join(',')}]}`;
}
