import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelDescription } from '../../pipeline/model-description.ts';
import type { Target } from '../../pipeline/target.ts';
import { checkRoutes } from './route-checks.ts';
import type { RouteSpec } from './route-config.ts';

function classifier(name: string, unit?: string): Target {
  const description = {
    name,
    task: 'text-classification',
    labels: ['a', 'b'],
    tensors: { outputs: [] },
    cost: unit === undefined ? { per_item: 1 } : { per_item: 1, unit },
  } as unknown as ModelDescription;
  return { name, description } as unknown as Target;
}

const cascade: RouteSpec = {
  kind: 'cascade',
  name: 'r',
  stages: [
    { model: 'small', minConfidence: 0.5 },
    { model: 'large', minConfidence: undefined },
  ],
} as unknown as RouteSpec;

describe('checkRoutes', () => {
  it('refuses a cascade that escalates on a label its model does not answer, naming the key and the labels', () => {
    const models = new Map([
      ['small', classifier('small')],
      ['large', classifier('large')],
    ]);
    const checked = {
      ...cascade,
      stages: [
        { model: 'small', minConfidence: 0.5, escalateLabels: new Set(['a', 'urgent']) },
        { model: 'large', minConfidence: undefined },
      ],
    } as unknown as RouteSpec;
    assert.throws(
      () => checkRoutes([checked], (name) => models.get(name)),
      /^Error: routes\.0\.cascade\.0\.escalate_labels: "urgent" is not a label of "small" \(labels: a, b\)$/,
    );
  });

  it('refuses a cascade whose models declare their cost in different units, naming the key', () => {
    const models = new Map([
      ['small', classifier('small')],
      ['large', classifier('large', 'USD')],
    ]);
    assert.throws(
      () => checkRoutes([cascade], (name) => models.get(name)),
      /^Error: routes\.0\.cascade\.1\.model: "large" declares its cost in USD, "small" in compute-units; a cascade's charges add up in one unit$/,
    );
  });

  it('passes a cascade whose models share a unit, named or by default', () => {
    const models = new Map([
      ['small', classifier('small')],
      ['large', classifier('large', 'compute-units')],
    ]);
    assert.doesNotThrow(() => checkRoutes([cascade], (name) => models.get(name)));
  });
});
