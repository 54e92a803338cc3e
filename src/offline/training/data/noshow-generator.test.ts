import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rocAuc } from '../eval/metrics.ts';
import { CHANNELS, generateNoshowExamples, WEEKDAYS } from './noshow-generator.ts';

describe('generateNoshowExamples', () => {
  const examples = generateNoshowExamples({ seed: 1, count: 4000 });

  it('draws items inside the request schema', () => {
    for (const { item } of examples) {
      assert.ok(item.age >= 0 && item.age <= 120);
      assert.ok(item.lead_time_days >= 0 && item.lead_time_days <= 365);
      assert.ok(Number.isInteger(item.prior_no_shows) && item.prior_no_shows >= 0 && item.prior_no_shows <= 50);
      assert.ok(WEEKDAYS.includes(item.weekday) && CHANNELS.includes(item.channel));
    }
  });

  it('has a realistic base rate and a learnable signal', () => {
    const labels = examples.map((example) => example.label);
    const baseRate = labels.reduce<number>((sum, label) => sum + label, 0) / labels.length;
    assert.ok(baseRate > 0.15 && baseRate < 0.35, `base rate ${baseRate}`);
    assert.ok(
      rocAuc(
        examples.map((example) => example.trueProbability),
        labels,
      ) > 0.75,
    );
  });

  it('is deterministic for a seed', () => {
    assert.deepEqual(generateNoshowExamples({ seed: 1, count: 20 }), examples.slice(0, 20));
  });
});
