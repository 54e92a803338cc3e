import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageRow, UsageTotal } from '../../state/store.ts';
import { withUnwritten } from './usage-groups.ts';

const row = (overrides: Partial<UsageRow>): UsageRow => ({
  tenant: 'acme',
  key: 'k1',
  model: 'triage',
  version: '1',
  day: '2026-03-01',
  unit: 'compute-units',
  requests: 1,
  items: 1,
  inputTokens: 0,
  outputTokens: 0,
  costNanos: 0,
  cacheHits: 0,
  ...overrides,
});

describe('reads that include the rows not written yet', () => {
  it('adds unwritten rows into the stored groups, opens groups the store lacks, and sorts them', () => {
    const stored: UsageTotal[] = [
      {
        tenant: 'beta',
        unit: 'compute-units',
        requests: 4,
        items: 8,
        inputTokens: 0,
        outputTokens: 0,
        costNanos: 8,
        cacheHits: 0,
      },
    ];
    const unwritten = [
      row({ tenant: 'beta', items: 2 }),
      row({ tenant: 'acme', items: 3 }),
      row({ tenant: 'acme', unit: 'USD' }),
    ];
    const totals = withUnwritten(stored, unwritten, { groupBy: ['tenant'] });
    assert.deepEqual(
      totals.map(({ tenant, unit, requests, items }) => [tenant, unit, requests, items]),
      [
        ['acme', 'USD', 1, 1],
        ['acme', 'compute-units', 1, 3],
        ['beta', 'compute-units', 5, 10],
      ],
    );
  });

  it('keeps only the unwritten rows the filters keep, days inclusive', () => {
    const unwritten = [
      row({ day: '2026-02-28' }),
      row({ day: '2026-03-01', items: 2 }),
      row({ day: '2026-03-02', items: 4 }),
      row({ day: '2026-03-01', key: 'k2', items: 8 }),
      row({ day: '2026-03-01', model: 'chat', items: 16 }),
    ];
    const query = { key: 'k1', model: 'triage', from: '2026-03-01', to: '2026-03-02', groupBy: [] };
    assert.deepEqual(
      withUnwritten([], unwritten, query).map((total) => total.items),
      [6],
    );
  });
});
