import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelSpec } from '../models/model-spec.ts';

const base = {
  name: 'risk',
  version: 1,
  task: 'tabular-classification',
  tensors: {
    inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 2] }],
    outputs: [{ name: 'p', dtype: 'float32', shape: [-1, 1] }],
  },
};
const age = { name: 'age', datatype: 'FP32', schema: { type: 'number', minimum: 0, maximum: 120 } };
const channel = { name: 'channel', datatype: 'BYTES', schema: { type: 'string' } };

/** Each issue as `key: message`, the way a bad model.yaml is reported at load. */
function issues(document: Record<string, unknown>): string[] {
  const result = ModelSpec.safeParse({ ...base, ...document });
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

const cases: ReadonlyArray<readonly [string, Record<string, unknown>, readonly string[]]> = [
  [
    'string rules on a number field',
    { inputs: [{ ...age, normalize: { case: 'lower' } }] },
    ['inputs.0.normalize: string rules apply to BYTES fields, not FP32'],
  ],
  [
    'a range on a string field',
    { inputs: [{ ...channel, normalize: { range: { max: 3, out_of_range: 'clamp' } } }] },
    ['inputs.0.normalize: unit and range apply to number fields, not BYTES'],
  ],
  [
    'a range with neither bound',
    { inputs: [{ ...age, normalize: { range: { out_of_range: 'clamp' } } }] },
    ['inputs.0.normalize.range: declare min, max or both'],
  ],
  [
    'clamping past the schema',
    { inputs: [{ ...age, normalize: { range: { min: -5, max: 150, out_of_range: 'clamp' } } }] },
    [
      "inputs.0.normalize.range.min: clamping must not go below the schema's minimum 0",
      "inputs.0.normalize.range.max: clamping must not go above the schema's maximum 120",
    ],
  ],
  [
    'an unknown action',
    { inputs: [{ ...age, normalize: { range: { max: 3, out_of_range: 'wrap' } } }] },
    ['inputs.0.normalize.range.out_of_range: Invalid option: expected one of "clamp"|"reject"'],
  ],
  [
    'the canonical unit among the accepted',
    { inputs: [{ ...age, normalize: { unit: { canonical: 'kg', accept: { kg: 1 } } } }] },
    ['inputs.0.normalize.unit.accept: lists the canonical unit'],
  ],
  [
    'a unit on an integer field',
    { inputs: [{ ...age, datatype: 'INT64', normalize: { unit: { canonical: 'd', accept: { w: 7 } } } }] },
    ['inputs.0.normalize.unit: a converted value is rarely whole: INT64 fields take no unit'],
  ],
  [
    'a fill without the impute policy',
    { inputs: [{ ...age, fill: { value: 40 } }] },
    ['inputs.0.fill: is used by quality.partial_data.policy impute, not reject'],
  ],
  [
    'impute with nothing to fill',
    { inputs: [age], quality: { partial_data: { policy: 'impute' } } },
    ['quality.partial_data.policy: impute, but no input declares fill'],
  ],
  [
    'fallback naming no model',
    { inputs: [age], quality: { partial_data: { policy: 'fallback' } } },
    ['quality.partial_data.fallback_model: policy fallback names the model to ask'],
  ],
  [
    'fallback to itself',
    { inputs: [age], quality: { partial_data: { policy: 'fallback', fallback_model: 'risk' } } },
    ['quality.partial_data.fallback_model: a model cannot fall back to itself'],
  ],
  [
    'a misspelt key',
    { inputs: [age], quality: { partial_data: { policy: 'reject', fallback: 'x' } } },
    ['quality.partial_data: Unrecognized key: "fallback"'],
  ],
];

for (const [name, document, expected] of cases) {
  test(`a bad model.yaml is refused naming the key: ${name}`, () => {
    assert.deepEqual(issues(document), expected);
  });
}

test('a model declaring none of it gets the reject policy; declared rules parse', () => {
  assert.deepEqual(ModelSpec.parse({ ...base, inputs: [age] }).quality, { partial_data: { policy: 'reject' } });
  const spec = ModelSpec.parse({
    ...base,
    inputs: [
      { ...age, normalize: { range: { min: 0, max: 120, out_of_range: 'clamp' } }, fill: { from: 'reference' } },
    ],
    quality: { partial_data: { policy: 'impute' } },
  });
  assert.deepEqual(spec.inputs[0]?.fill, { from: 'reference' });
});
