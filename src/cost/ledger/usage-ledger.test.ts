import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { itemCharge, tokenCharge } from './charge.ts';
import { UsageLedger, type ChargeKey } from './usage-ledger.ts';

const key = (overrides: Partial<ChargeKey> = {}): ChargeKey => ({
  tenant: 'acme',
  key: 'k1',
  model: 'triage',
  version: '1',
  day: '2026-03-01',
  ...overrides,
});

describe('UsageLedger', () => {
  it('adds charges of one key, day and unit into one row, and others into their own', () => {
    const ledger = new UsageLedger(10);
    ledger.add(key(), itemCharge({ per_item: 1 }, 2, 0));
    ledger.add(key(), itemCharge({ per_item: 1 }, 3, 3));
    ledger.add(key({ day: '2026-03-02' }), itemCharge({ per_item: 1 }, 1, 0));
    ledger.add(key({ model: 'chat' }), tokenCharge(undefined, 5, 6));
    const rows = ledger.take();
    assert.deepEqual(
      rows.map((row) => [row.model, row.day, row.unit, row.requests, row.items, row.costNanos, row.cacheHits]),
      [
        ['triage', '2026-03-01', 'compute-units', 2, 5, 2e9, 1],
        ['triage', '2026-03-02', 'compute-units', 1, 1, 1e9, 0],
        ['chat', '2026-03-01', 'unpriced', 1, 0, 0, 0],
      ],
    );
    assert.deepEqual(ledger.take(), [], 'taken rows leave the ledger');
  });

  it('puts a failed batch back, added to what gathered since', () => {
    const ledger = new UsageLedger(10);
    ledger.add(key(), itemCharge({ per_item: 1 }, 2, 0));
    const failed = ledger.take();
    ledger.add(key(), itemCharge({ per_item: 1 }, 3, 0));
    ledger.restore(failed);
    assert.deepEqual(
      ledger.unwritten().map((row) => [row.requests, row.items]),
      [[2, 5]],
    );
  });

  it('holds at most the bound of rows, dropping and counting charges that would open another', () => {
    const ledger = new UsageLedger(2);
    for (const tenant of ['a', 'b', 'c', 'd']) ledger.add(key({ tenant }), itemCharge({ per_item: 1 }, 1, 0));
    ledger.add(key({ tenant: 'a' }), itemCharge({ per_item: 1 }, 1, 0));
    assert.equal(ledger.pendingRows, 2);
    assert.equal(ledger.dropped, 2);
    assert.deepEqual(
      ledger.unwritten().map((row) => [row.tenant, row.requests]),
      [
        ['a', 2],
        ['b', 1],
      ],
      'an open row still takes charges',
    );
  });

  it('keeps growing totals per tenant, model and unit for the metrics, whatever is taken', () => {
    const ledger = new UsageLedger(10);
    ledger.add(key(), itemCharge({ per_item: 1 }, 2, 0));
    ledger.take();
    ledger.add(key({ key: 'k2', version: '2' }), itemCharge({ per_item: 1 }, 3, 0));
    assert.deepEqual(
      [...ledger.metricTotals()].map((total) => [total.tenant, total.model, total.unit, total.requests, total.items]),
      [['acme', 'triage', 'compute-units', 2, 5]],
    );
  });
});
