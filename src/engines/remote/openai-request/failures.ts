/**
 * Ajv's errors as failures a client can act on: one per field, in the order the body
 * itself has them, its path written as the client writes it (`messages[2].content`,
 * `logit_bias["50256"]`), and the rule of the schema node it broke with the value it got.
 */
import type { ErrorObject } from 'ajv';
import type { RequestFailure } from '../../../core/errors.ts';

/** A failure at a path of keys and indices (`["messages", "2", "content"]`), before it is written out. */
export interface Located {
  readonly at: readonly string[];
  readonly rule: string;
}

export function locate(errors: readonly ErrorObject[]): Located[] {
  return errors.map(locateOne).filter((failure) => failure !== undefined);
}

function locateOne(error: ErrorObject): Located | undefined {
  const at = pointerSegments(error.instancePath);
  switch (error.keyword) {
    // A union's branch and a key's own check report the failure itself; these only say "a part failed".
    case 'if':
    case 'propertyNames':
      return undefined;
    case 'required':
      return { at: [...at, String(error.params['missingProperty'])], rule: 'is required' };
  }
  const rule = ruleOf(error.parentSchema) ?? error.message ?? 'is invalid';
  // Ajv names the key when a property name broke its rule (logit_bias's token ids).
  if (error.propertyName !== undefined) {
    return { at: [...at, error.propertyName], rule: `${rule}, got ${describe(error.propertyName)}` };
  }
  return { at, rule: `${rule}, got ${describe(error.data)}` };
}

/**
 * One failure per path, the first found there (the outermost: a wrong type before its
 * contents), in the body's own order so the list reads along the request.
 */
export function inBodyOrder(located: readonly Located[], document: unknown): RequestFailure[] {
  const byPath = new Map<string, Located>();
  for (const failure of located) {
    const key = JSON.stringify(failure.at);
    if (!byPath.has(key)) byPath.set(key, failure);
  }
  return [...byPath.values()]
    .map((failure) => ({ failure, position: positionOf(failure.at, document) }))
    .sort((a, b) => compare(a.position, b.position))
    .map(({ failure }) => ({ field: fieldPath(failure.at, document), rule: failure.rule }));
}

/** Where the path is in the body: each step's index among its holder's keys or items (-1: a key not there). */
function positionOf(at: readonly string[], document: unknown): number[] {
  const position: number[] = [];
  let holder = document;
  for (const segment of at) {
    if (Array.isArray(holder)) position.push(Number(segment));
    else if (typeof holder === 'object' && holder !== null) position.push(Object.keys(holder).indexOf(segment));
    else position.push(-1);
    holder = child(holder, segment);
  }
  return position;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

function child(holder: unknown, segment: string): unknown {
  return typeof holder === 'object' && holder !== null ? (holder as Record<string, unknown>)[segment] : undefined;
}

function ruleOf(schema: unknown): string | undefined {
  const rule = typeof schema === 'object' && schema !== null ? (schema as { rule?: unknown }).rule : undefined;
  return typeof rule === 'string' ? rule : undefined;
}

/** `/messages/2/content` → ["messages", "2", "content"] (RFC 6901's escapes undone). */
function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * The path as code would write it. A segment "2" is an index or a key depending on what
 * holds it, so the document is walked along the path to tell.
 */
function fieldPath(at: readonly string[], document: unknown): string {
  let path = '';
  let holder = document;
  for (const segment of at) {
    if (Array.isArray(holder)) path += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
    holder = child(holder, segment);
  }
  return path === '' ? '(body)' : path;
}

const MAX_SHOWN_CHARACTERS = 40;

/** The value a rule got, short: strings cut, objects and arrays named rather than shown. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) {
    return value.length === 0 ? 'an empty array' : `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  }
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN_CHARACTERS ? `${value.slice(0, MAX_SHOWN_CHARACTERS)}…` : value;
    return JSON.stringify(shown);
  }
  return String(value);
}
