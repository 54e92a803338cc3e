/**
 * The tenant-flood benchmark's table: what it says about the quiet tenant and who bore
 * the refusals, from rows built by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyRecorder, type RunSummary } from '../benchmarks/lib/latency-recorder.ts';
import { floodTable, type FloodRow } from '../benchmarks/tenant-flood.ts';

function summary(ok: number, shed: number): RunSummary {
  const recorder = new LatencyRecorder(500);
  for (let request = 0; request < ok; request += 1) {
    recorder.recordSend(0);
    recorder.record('ok', 10 + request, undefined);
  }
  for (let request = 0; request < shed; request += 1) {
    recorder.recordSend(0);
    recorder.record('shed', 2, 'ERR_ADMISSION_OVERLOADED');
  }
  return recorder.summarize({ mode: 'open-loop', durationMs: 1000, elapsedMs: 1000, scheduled: ok + shed });
}

test("the table gives the quiet tenant's share answered and the share of refusals the flood bore", () => {
  const rows: FloodRow[] = [
    {
      round: 1,
      floodMultiplier: 0,
      interactive: summary(100, 0),
      flood: undefined,
      shedByTenant: {},
      refusedByGuard: { concurrency: 0, loop_lag: 0, tenant_share: 0 },
    },
    {
      round: 1,
      floodMultiplier: 3,
      interactive: summary(90, 10),
      flood: summary(250, 2750),
      shedByTenant: { interactive: 10, flood: 2750 },
      refusedByGuard: { loop_lag: 2000, tenant_share: 760 },
    },
  ];
  const [header, , alone, flooded] = floodTable(rows, 1000).split('\n');
  assert.match(header ?? '', /\| round \| flood \| interactive sent\/s \| interactive 2xx \|/);
  const cells = (line: string | undefined) =>
    (line ?? '')
      .split('|')
      .map((cell) => cell.trim())
      .filter((cell) => cell !== '');
  assert.deepEqual(cells(alone).slice(0, 4), ['1', 'none', '100', '100.0%']);
  assert.equal(cells(alone).at(-2), 'nothing shed');
  const row = cells(flooded);
  assert.deepEqual(row.slice(0, 4), ['1', '3x', '100', '90.0%']);
  assert.equal(row[7], '10', "the quiet tenant's 429s");
  assert.equal(row[9], '250 (25%)', "the flood's goodput, as a share of capacity");
  assert.equal(row.at(-2), '99.6%', 'the flood bore 2750 of 2760 refusals');
  assert.equal(row.at(-1), 'loop_lag 2000, tenant_share 760');
});
