import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hitRatio, itemsPerAnswer, reuseTable, type ReuseRecord } from '../benchmarks/lib/reuse-report.ts';

function row(round: number, side: 'off' | 'on', okPerS: number, itemsRun: number, hits: number): ReuseRecord {
  const ok = 1000;
  return {
    round,
    side,
    mix: 'zipf',
    ok,
    okPerS,
    p50Ms: 10,
    p99Ms: 40,
    itemsRun,
    hits,
    misses: ok - hits,
    coalesced: 0,
    failures: 0,
    serverCpuSeconds: 0.25,
  };
}

test('items per answer and the hit ratio come from the row’s counts; none when nothing was counted', () => {
  assert.equal(itemsPerAnswer({ itemsRun: 250, ok: 1000 }), 0.25);
  assert.equal(itemsPerAnswer({ itemsRun: undefined, ok: 1000 }), undefined);
  assert.equal(itemsPerAnswer({ itemsRun: 5, ok: 0 }), undefined);
  assert.equal(hitRatio({ hits: 3, misses: 1 }), 0.75);
  assert.equal(hitRatio({ hits: 0, misses: 0 }), undefined);
});

test('the table divides on by off within each round, then takes the median over rounds', () => {
  const records = [
    row(1, 'off', 100, 1000, 0),
    row(1, 'on', 300, 250, 750),
    row(2, 'on', 200, 400, 600),
    row(2, 'off', 100, 1000, 0),
  ];
  const table = reuseTable(records, 'zipf');
  assert.match(table, /\| req\/s \| 100 \(100 to 100\) \| 250 \(200 to 300\) \| 2\.50x \(2\.00x–3\.00x\) \|/);
  assert.match(
    table,
    /\| model items per answer \| 1\.000 \(1\.000 to 1\.000\) \| 0\.325 \(0\.250 to 0\.400\) \| 0\.33x \(0\.25x–0\.40x\) \|/,
  );
  assert.match(table, /\| cache hit ratio \| 0\.0% \(0\.0% to 0\.0%\) \| 67\.5% \(60\.0% to 75\.0%\) \| n\/a \|/);
  assert.equal(reuseTable(records, 'hot').split('\n').length, 8, 'a mix with no rows still has its figures, n/a');
});
