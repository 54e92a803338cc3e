import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hitCharge, itemCharge, tokenCharge } from './charge.ts';

const PRICE = { input_per_million_tokens: 0.15, output_per_million_tokens: 0.6, currency: 'USD' };

describe('what a request costs', () => {
  const cases: Array<[string, ReturnType<typeof itemCharge>, Partial<ReturnType<typeof itemCharge>>]> = [
    [
      'a local model charges every item it ran at its declared cost, in its unit',
      itemCharge({ per_item: 0.2, unit: 'compute-units' }, 3, 0),
      { unit: 'compute-units', items: 3, costNanos: 600_000_000, cacheHits: 0 },
    ],
    [
      'a partly cached local answer charges only the items the model ran',
      itemCharge({ per_item: 2, unit: 'gpu-ms' }, 100, 90),
      { unit: 'gpu-ms', items: 100, costNanos: 20_000_000_000, cacheHits: 0 },
    ],
    [
      'a local answer wholly from the cache costs nothing and is a hit',
      itemCharge({ per_item: 2 }, 4, 4),
      { unit: 'compute-units', items: 4, costNanos: 0, cacheHits: 1 },
    ],
    [
      'a remote model charges input and output tokens at their prices per million',
      tokenCharge(PRICE, 1000, 500),
      { unit: 'USD', inputTokens: 1000, outputTokens: 500, costNanos: 450_000, items: 0 },
    ],
    [
      'a cost is rounded to a billionth of its unit once per request',
      tokenCharge({ ...PRICE, input_per_million_tokens: 0.0001 }, 3, 0),
      { costNanos: 0 },
    ],
    [
      'a remote model without a price keeps its tokens at no cost, unpriced',
      tokenCharge(undefined, 12, 7),
      { unit: 'unpriced', inputTokens: 12, outputTokens: 7, costNanos: 0 },
    ],
    [
      'an answer no model ran for the request is a hit at no cost and no tokens',
      hitCharge('USD', 0),
      { unit: 'USD', requests: 1, inputTokens: 0, outputTokens: 0, costNanos: 0, cacheHits: 1 },
    ],
  ];
  for (const [name, charge, expected] of cases) {
    it(name, () => {
      assert.equal(charge.requests, 1);
      for (const [field, value] of Object.entries(expected))
        assert.equal(charge[field as keyof typeof charge], value, field);
    });
  }

  it('sums of whole billionths are exact in any order, where sums of fractions are not', () => {
    const charges = [0.1, 0.2, 0.3].map((perItem) => itemCharge({ per_item: perItem }, 1, 0).costNanos);
    assert.equal(charges[0]! + charges[1]! + charges[2]!, charges[2]! + charges[1]! + charges[0]!);
    assert.equal(
      charges.reduce((a, b) => a + b, 0),
      600_000_000,
    );
  });
});
