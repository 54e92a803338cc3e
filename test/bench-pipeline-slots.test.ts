/** The pipeline-slots benchmark's figures (benchmarks/lib/slots-report.ts): paired within each round, then spread. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slotsSummary, slotsTable, spreadOf } from '../benchmarks/lib/slots-report.ts';

test('the cost of the slots is the no-op side minus the empty side of the same round, summarised over rounds', () => {
  const summary = slotsSummary([
    { round: 1, side: 'empty', nsPerRequest: 400 },
    { round: 1, side: 'no-op', nsPerRequest: 500 },
    { round: 2, side: 'no-op', nsPerRequest: 520 },
    { round: 2, side: 'empty', nsPerRequest: 460 },
    { round: 3, side: 'empty', nsPerRequest: 1000 },
  ]);
  assert.deepEqual(summary.empty, { median: 460, min: 400, max: 1000 });
  assert.deepEqual(summary.difference, { median: 80, min: 60, max: 100 });
  assert.match(slotsTable(summary), /\| no-op − empty, paired within each round \| 80 ns \(60 ns to 100 ns\) \|/);
});

test('no values, no spread', () => {
  assert.equal(spreadOf([]), undefined);
  assert.equal(slotsSummary([]).difference, undefined);
});
