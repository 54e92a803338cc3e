import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noAdjustments, type AdjustmentKind } from '../../../pipeline/adjustments.ts';
import { compileField, fieldSchema } from './field-normalizer.ts';
import { NormalizeSpec } from './field-rules-spec.ts';

interface Outcome {
  readonly value: unknown;
  readonly adjusted: readonly AdjustmentKind[];
  readonly failed: readonly string[];
}

function run(rules: unknown, value: unknown): Outcome {
  const adjusted: AdjustmentKind[] = [];
  const failed: string[] = [];
  const next = compileField(NormalizeSpec.parse(rules))(value, {
    adjusted: (kind) => adjusted.push(kind),
    failed: (suffix, rule) => failed.push(`${suffix}: ${rule}`),
  });
  return { value: next, adjusted, failed };
}

const WEIGHT = { unit: { canonical: 'kg', accept: { lb: 0.45359237, g: 0.001 } } };
const AGE = { range: { min: 0, max: 120, out_of_range: 'clamp' } };

const cases: ReadonlyArray<readonly [string, unknown, unknown, unknown, readonly AdjustmentKind[]]> = [
  ['NFKC folds full-width letters and digits', { unicode: 'NFKC' }, 'ＷＥＢ１２', 'WEB12', ['normalized']],
  ['NFKC folds a ligature and a superscript', { unicode: 'NFKC' }, 'ﬁle²', 'file2', ['normalized']],
  ['NFC composes a decomposed accent', { unicode: 'NFC' }, 'cafe\u0301', 'caf\u00e9', ['normalized']],
  ['NFC keeps full-width letters', { unicode: 'NFC' }, 'ＷＥＢ', 'ＷＥＢ', []],
  ['trim cuts the ends only', { whitespace: 'trim' }, '  phone  call ', 'phone  call', ['normalized']],
  ['collapse also joins inner runs', { whitespace: 'collapse' }, ' \tphone \n call ', 'phone call', ['normalized']],
  ['collapse reads an ideographic space as space', { whitespace: 'collapse' }, 'a\u3000\u3000b', 'a b', ['normalized']],
  ['lower case', { case: 'lower' }, 'Web', 'web', ['normalized']],
  ['upper case', { case: 'upper' }, 'mon', 'MON', ['normalized']],
  [
    'all string rules together, in order: unicode, white space, case',
    { unicode: 'NFKC', whitespace: 'collapse', case: 'lower' },
    ' ＰＨＯＮＥ ',
    'phone',
    ['normalized'],
  ],
  ['a string already normal is not counted', { unicode: 'NFKC', case: 'lower' }, 'web', 'web', []],
  ['a string rule leaves a number to the schema', { case: 'lower' }, 12, 12, []],
  ['clamp at the lower bound', AGE, -3, 0, ['clamped']],
  ['clamp at the upper bound', AGE, 130, 120, ['clamped']],
  ['a bound itself is not clamped', AGE, 120, 120, []],
  ['clamp with one bound', { range: { max: 10, out_of_range: 'clamp' } }, -50, -50, []],
  ['a bare number is in the canonical unit', WEIGHT, 70, 70, []],
  ['pounds are converted to kilograms', WEIGHT, { value: 150, unit: 'lb' }, 150 * 0.45359237, ['converted']],
  ['grams are converted to kilograms', WEIGHT, { value: 70500, unit: 'g' }, 70.5, ['converted']],
  ['the canonical unit named is not a conversion', WEIGHT, { value: 70, unit: 'kg' }, 70, []],
  [
    'conversion comes before clamping',
    { ...WEIGHT, range: { min: 0, max: 200, out_of_range: 'clamp' } },
    { value: 500, unit: 'lb' },
    200,
    ['converted', 'clamped'],
  ],
  ['a string on a unit field is left to the schema', WEIGHT, '70', '70', []],
];

for (const [name, rules, value, expected, adjusted] of cases) {
  test(`normalising a value: ${name}`, () => {
    const outcome = run(rules, value);
    assert.equal(outcome.value, expected);
    assert.deepEqual(outcome.adjusted, adjusted);
    assert.deepEqual(outcome.failed, []);
  });
}

test('a unit not accepted, a quantity without a number, and an object of other keys each fail with their rule and path', () => {
  assert.deepEqual(run(WEIGHT, { value: 10, unit: 'stone' }).failed, [
    '.unit: unit "stone" is not accepted (kg, lb, g)',
  ]);
  assert.deepEqual(run(WEIGHT, { value: '10', unit: 'lb' }).failed, ['.value: must be a number']);
  assert.deepEqual(run(WEIGHT, { amount: 10, unit: 'lb' }).failed, [
    ': must be a number or {"value": <number>, "unit": <unit>}',
  ]);
  assert.deepEqual(run(WEIGHT, { value: 10, unit: 'toString' }).failed, [
    '.unit: unit "toString" is not accepted (kg, lb, g)',
  ]);
});

test("a rejecting range is merged into the field's schema at both bounds, the tighter bound of each pair kept", () => {
  const schema = { type: 'number', minimum: 0, maximum: 120 };
  assert.deepEqual(fieldSchema(schema, NormalizeSpec.parse({ range: { min: 18, max: 200, out_of_range: 'reject' } })), {
    type: 'number',
    minimum: 18,
    maximum: 120,
  });
  assert.deepEqual(fieldSchema(undefined, NormalizeSpec.parse({ range: { max: 5, out_of_range: 'reject' } })), {
    maximum: 5,
  });
  assert.equal(fieldSchema(schema, NormalizeSpec.parse(AGE)), schema, 'a clamping range leaves the schema alone');
  assert.equal(fieldSchema(schema, undefined), schema);
});

test('the counts a sink is given start at zero for every kind', () => {
  assert.deepEqual(noAdjustments(), { imputed: 0, defaulted: 0, clamped: 0, converted: 0, normalized: 0 });
});
