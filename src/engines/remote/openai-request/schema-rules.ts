/**
 * JSON schema nodes that carry their rule: the sentence a client reads when a value breaks
 * the node (`must be a number from 0 to 2`). The builders write the schema and the sentence
 * from the same numbers, so the two cannot drift apart. `rule` is an annotation keyword
 * registered with ajv; validation ignores it.
 */

export type Schema = { readonly [keyword: string]: unknown };

export function quoted(values: readonly string[]): string {
  const names = values.map((value) => `"${value}"`);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

export function number(min: number, max: number): Schema {
  return { type: 'number', minimum: min, maximum: max, rule: `must be a number from ${min} to ${max}` };
}

export function integer(min?: number, max?: number): Schema {
  const range =
    min !== undefined && max !== undefined
      ? ` from ${min} to ${max}`
      : min !== undefined
        ? ` of at least ${min}`
        : max !== undefined
          ? ` of at most ${max}`
          : '';
  return defined({ type: 'integer', minimum: min, maximum: max, rule: `must be an integer${range}` });
}

export const boolean: Schema = { type: 'boolean', rule: 'must be true or false' };

export function string(options: { readonly maxLength?: number; readonly minLength?: number } = {}): Schema {
  const { minLength, maxLength } = options;
  const bounds = [
    minLength === undefined ? '' : `at least ${minLength}`,
    maxLength === undefined ? '' : `at most ${maxLength}`,
  ].filter(Boolean);
  const rule =
    minLength === 1 && maxLength === undefined
      ? 'must be a non-empty string'
      : bounds.length === 0
        ? 'must be a string'
        : `must be a string of ${bounds.join(' and ')} characters`;
  return defined({ type: 'string', minLength, maxLength, rule });
}

/** A string of a fixed set of values. */
export function oneOf(values: readonly string[]): Schema {
  return { type: 'string', enum: values, rule: `must be ${quoted(values)}` };
}

export function object(
  properties: Readonly<Record<string, Schema>>,
  required: readonly string[] = [],
  rule = 'must be an object',
): Schema {
  return { type: 'object', properties, required, rule };
}

export function arrayOf(items: Schema, rule: string, bounds: { min?: number; max?: number } = {}): Schema {
  return defined({ type: 'array', items, minItems: bounds.min, maxItems: bounds.max, rule });
}

/** Ajv reads a keyword that is present but undefined as a broken schema. */
function defined(schema: Record<string, unknown>): Schema {
  return Object.fromEntries(Object.entries(schema).filter(([, value]) => value !== undefined));
}

/** The schema, or null. JSON clients write null for "not set", and the OpenAI API reads it so. */
export function nullable(schema: Schema): Schema {
  const type = schema['type'];
  if (type === undefined) return schema;
  const types = Array.isArray(type) ? type : [type];
  return types.includes('null') ? schema : { ...schema, type: [...types, 'null'] };
}

/**
 * A union told apart by one property (`role`, `type`): each branch applies when the tag has
 * its value. A tag value no branch names passes here; the tag's own schema decides whether
 * it may (a closed enum, or any string where servers add their own kinds).
 */
export function tagged(tag: string, branches: Readonly<Record<string, Schema>>): Schema {
  return {
    allOf: Object.entries(branches).map(([value, then]) => ({
      if: { type: 'object', properties: { [tag]: { const: value } }, required: [tag] },
      then,
    })),
  };
}

/** A value that is either one of some strings or an object (tool_choice, function_call, a voice). */
export function stringOrObject(strings: Schema, objectSchema: Schema, rule: string): Schema {
  // The object branch only for objects: null, where the field allows it, takes neither.
  const objects = { if: { type: 'object' }, then: objectSchema };
  return { type: ['string', 'object'], rule, if: { type: 'string' }, then: { ...strings, rule }, else: objects };
}

/** An object whose listed properties are checked and whose others pass, every optional one nullable. */
export function body(properties: Readonly<Record<string, Schema>>, required: readonly string[]): Schema {
  const checked = Object.fromEntries(
    Object.entries(properties).map(([name, schema]) => [name, required.includes(name) ? schema : nullable(schema)]),
  );
  return { type: 'object', properties: checked, required, rule: 'must be a JSON object' };
}
