/**
 * One tabular item → one float32 feature vector, in the order of `spec.fields`:
 * numeric → (x - mean) / std, boolean → 0 or 1, categorical → one-hot over `categories`.
 *
 * Items reach this point already validated against the model's JSON schema, so the
 * errors below are a last line of defence (a schema that is looser than the fields);
 * they are plain `Error`s naming the field, for the caller to wrap.
 */
import type { TabularField, TabularPreprocessing } from '../models/model-spec.ts';
import type { Row } from '../../../core/tensors.ts';

export function tabularFeatureCount(spec: Pick<TabularPreprocessing, 'fields'>): number {
  return spec.fields.reduce((count, field) => count + fieldWidth(field), 0);
}

function fieldWidth(field: TabularField): number {
  return field.kind === 'categorical' ? field.categories.length : 1;
}

export function tabularFeatures(
  item: Readonly<Record<string, unknown>>,
  spec: Pick<TabularPreprocessing, 'fields'>,
): Float32Array {
  const features = new Float32Array(tabularFeatureCount(spec));
  let offset = 0;
  for (const field of spec.fields) {
    const value = item[field.name];
    switch (field.kind) {
      case 'numeric':
        features[offset] = (numericValue(value, field.name) - field.mean) / field.std;
        break;
      case 'boolean':
        features[offset] = booleanValue(value, field.name) ? 1 : 0;
        break;
      case 'categorical':
        features[offset + categoryIndex(value, field.name, field.categories)] = 1;
        break;
    }
    offset += fieldWidth(field);
  }
  return features;
}

export function tabularRow(item: Readonly<Record<string, unknown>>, spec: TabularPreprocessing): Row {
  const data = tabularFeatures(item, spec);
  return { [spec.features_tensor]: { dtype: 'float32', data, dims: [data.length] } };
}

/** Accepts bigint too: INT64 request fields may arrive as bigints from binary protocols. */
function numericValue(value: unknown, field: string): number {
  const number = typeof value === 'bigint' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new Error(`field "${field}": expected a finite number, got ${describe(value)}`);
  }
  return number;
}

/** Accepts 0 and 1 as well: some clients send KServe BOOL tensors as numbers. */
function booleanValue(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  throw new Error(`field "${field}": expected a boolean, got ${describe(value)}`);
}

function categoryIndex(value: unknown, field: string, categories: readonly string[]): number {
  const index = typeof value === 'string' ? categories.indexOf(value) : -1;
  if (index < 0) throw new Error(`field "${field}": expected one of ${categories.join(', ')}, got ${describe(value)}`);
  return index;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return `${value}n`;
  return JSON.stringify(value) ?? String(value);
}
