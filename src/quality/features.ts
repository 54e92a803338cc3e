/**
 * What drift is measured on, per model: one feature per request field a model declares
 * (a number, a category, a text's length) and its outputs' confidence (top-class
 * probability and predicted class) for classifiers; and the text fields whose tokens are
 * counted against the reference's vocabulary. Read from the model's spec alone, so a user's
 * own model gets its features without configuration.
 */
import type { Item } from '../pipeline/request.ts';
import type { Row, RowTensor } from '../core/tensors.ts';

export type FeatureKind = 'numeric' | 'categorical';
export type FeatureValue = number | string;

export interface Feature {
  readonly name: string;
  readonly kind: FeatureKind;
  /** Where it comes from: a request field, or the model's output. */
  readonly source: 'input' | 'output';
  /** The item's or the output row's value; undefined when it has none (a missing field, a tensor). */
  read(item: Item, row: Row | undefined): FeatureValue | undefined;
}

/** The part of a model's spec features are read from (a local model's spec satisfies it). */
export interface FeatureSpec {
  readonly task: string;
  readonly inputs: ReadonlyArray<{
    readonly name: string;
    readonly schema?: Readonly<Record<string, unknown>> | undefined;
  }>;
  readonly preprocessing: {
    readonly kind: string;
    readonly input?: string;
    readonly fields?: ReadonlyArray<TabularField>;
  };
  readonly tensors: { readonly outputs: ReadonlyArray<{ readonly name: string }> };
  readonly labels?: readonly string[] | undefined;
}

interface TabularField {
  readonly name: string;
  readonly kind: 'numeric' | 'boolean' | 'categorical';
}

export function featuresOf(spec: FeatureSpec): Feature[] {
  return [...inputFeatures(spec), ...outputFeatures(spec)];
}

/** The output tensor holding an embedding model's vectors (embedding drift reads it); undefined for any other model. */
export function embeddingOutputOf(spec: Pick<FeatureSpec, 'task' | 'tensors'>): string | undefined {
  return spec.task === 'text-embedding' ? spec.tensors.outputs[0]?.name : undefined;
}

/** The free-text fields (the ones with a `.length` feature), whose out-of-vocabulary rate is watched. */
export function textFieldsOf(spec: Pick<FeatureSpec, 'inputs' | 'preprocessing'>): string[] {
  const { preprocessing } = spec;
  if (preprocessing.kind === 'text-hash' && preprocessing.input !== undefined) return [preprocessing.input];
  if (preprocessing.kind === 'tabular' && preprocessing.fields !== undefined) return [];
  return spec.inputs.filter((input) => isFreeText(input.schema)).map((input) => input.name);
}

function inputFeatures(spec: FeatureSpec): Feature[] {
  const { preprocessing } = spec;
  if (preprocessing.kind === 'text-hash' && preprocessing.input !== undefined) {
    const field = preprocessing.input;
    return [numeric(`${field}.length`, 'input', (item) => textLength(item[field]))];
  }
  if (preprocessing.kind === 'tabular' && preprocessing.fields !== undefined) {
    return preprocessing.fields.map((field) =>
      field.kind === 'numeric'
        ? numeric(field.name, 'input', (item) => finite(item[field.name]))
        : categorical(field.name, 'input', (item) => category(item[field.name])),
    );
  }
  return spec.inputs.flatMap((input) => schemaFeature(input.name, input.schema));
}

/** A field without preprocessing: a number, or a category when its schema lists the values. */
function schemaFeature(name: string, schema: Readonly<Record<string, unknown>> | undefined): Feature[] {
  const type = schema?.['type'];
  if (type === 'number' || type === 'integer') return [numeric(name, 'input', (item) => finite(item[name]))];
  if (type === 'boolean' || Array.isArray(schema?.['enum']))
    return [categorical(name, 'input', (item) => category(item[name]))];
  if (isFreeText(schema)) return [numeric(`${name}.length`, 'input', (item) => textLength(item[name]))];
  return [];
}

/** A string field that lists no values: a category when it does. */
function isFreeText(schema: Readonly<Record<string, unknown>> | undefined): boolean {
  return schema?.['type'] === 'string' && !Array.isArray(schema['enum']);
}

function outputFeatures(spec: FeatureSpec): Feature[] {
  const output = spec.tensors.outputs[0]?.name;
  if (output === undefined) return [];
  if (spec.task === 'text-classification') {
    const labels = spec.labels;
    return [
      numeric('confidence', 'output', (_item, row) => topClass(row?.[output])?.probability),
      categorical('predicted_class', 'output', (_item, row) => {
        const top = topClass(row?.[output]);
        return top === undefined ? undefined : (labels?.[top.index] ?? String(top.index));
      }),
    ];
  }
  if (spec.task === 'tabular-classification') {
    const probability = (row: Row | undefined) => finite(row?.[output]?.data[0]);
    return [
      numeric('confidence', 'output', (_item, row) => {
        const p = probability(row);
        return p === undefined ? undefined : Math.max(p, 1 - p);
      }),
      categorical('predicted_class', 'output', (_item, row) => {
        const p = probability(row);
        return p === undefined ? undefined : p >= 0.5 ? 'positive' : 'negative';
      }),
    ];
  }
  return [];
}

function numeric(name: string, source: Feature['source'], read: Feature['read']): Feature {
  return { name, kind: 'numeric', source, read };
}

function categorical(name: string, source: Feature['source'], read: Feature['read']): Feature {
  return { name, kind: 'categorical', source, read };
}

function textLength(value: unknown): number | undefined {
  return typeof value === 'string' ? value.length : undefined;
}

function finite(value: unknown): number | undefined {
  const number = typeof value === 'bigint' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

function category(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return undefined;
}

function topClass(tensor: RowTensor | undefined): { index: number; probability: number } | undefined {
  if (tensor === undefined || tensor.data.length === 0) return undefined;
  let index = 0;
  for (let i = 1; i < tensor.data.length; i += 1) if (Number(tensor.data[i]) > Number(tensor.data[index])) index = i;
  return { index, probability: Number(tensor.data[index]) };
}
