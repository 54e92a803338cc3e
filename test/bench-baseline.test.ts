/**
 * `--baseline-root`, the one flag that runs another checkout's sluice as a side of the
 * batching, gateway-overhead and overload scenarios: how it is read, and what it changes.
 * No servers.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { baselineLine, baselineOf, type Baseline } from '../benchmarks/lib/baseline.ts';
import { modelRatios, ratiosTable, type BatchingRecord, type SideKey } from '../benchmarks/lib/batching-report.ts';
import { rateRatios, type AddedRecord } from '../benchmarks/lib/overhead-report.ts';
import { BASELINE_NAMES, ratioTable, type OverloadRow } from '../benchmarks/overload-report.ts';
import { batchingScenario } from '../benchmarks/batching.ts';
import { gatewayOverheadScenario } from '../benchmarks/gateway-overhead.ts';
import { overloadScenario, sidesOf } from '../benchmarks/overload.ts';

test('without --baseline-root there is no baseline, and each scenario compares what it always did', () => {
  assert.equal(baselineOf({}), undefined);
  assert.deepEqual(
    sidesOf(undefined, {}, { SLUICE_LOAD_CONTROL__ENABLED: 'false' }).map((side) => [side.label, side.env]),
    [
      ['load control on', {}],
      ['load control off', { SLUICE_LOAD_CONTROL__ENABLED: 'false' }],
    ],
  );
});

test('batching, gateway-overhead and overload all take the one --baseline-root flag', () => {
  for (const scenario of [batchingScenario, gatewayOverheadScenario, overloadScenario])
    assert.deepEqual(scenario.options['baseline-root'], { type: 'string' }, scenario.name);
});

test('a baseline root without bin/sluice.js is refused, named', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-baseline-test-'));
  try {
    assert.throws(() => baselineOf({ 'baseline-root': dir }), /--baseline-root: .* is not a sluice checkout/);
    await mkdir(join(dir, 'bin'));
    await writeFile(join(dir, 'bin', 'sluice.js'), '');
    const baseline = baselineOf({ 'baseline-root': dir });
    assert.equal(baseline?.root, dir);
    assert.match(baseline?.label ?? '', /^baseline /);
    assert.match(baseline?.currentLabel ?? '', /^current /);
    assert.deepEqual(baseline?.currentEnv, {});
    const withEnv = baselineOf({ 'baseline-root': dir, 'current-env': ['SLUICE_LEDGER__ENABLED=false'] });
    assert.deepEqual(withEnv?.currentEnv, { SLUICE_LEDGER__ENABLED: 'false' });
    assert.match(baselineLine(withEnv as Baseline), /which alone has SLUICE_LEDGER__ENABLED=false/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('overload with a baseline: this checkout against the baseline, both with the on side config', () => {
  const baseline = {
    root: '/tmp/before',
    label: 'baseline abc1234',
    currentLabel: 'current def5678',
    currentEnv: { SLUICE_QUALITY__ENABLED: 'false' },
  };
  const [current, before] = sidesOf(baseline, { SLUICE_A: '1' }, { SLUICE_LOAD_CONTROL__ENABLED: 'false' });
  assert.deepEqual(current, {
    key: 'on',
    label: 'current def5678',
    env: { SLUICE_A: '1', SLUICE_QUALITY__ENABLED: 'false' },
  });
  assert.deepEqual(before, { key: 'off', label: 'baseline abc1234', env: { SLUICE_A: '1' }, root: '/tmp/before' });
  const row = (side: 'on' | 'off', goodput: number) =>
    ({
      side,
      multiplier: 1,
      round: 1,
      summary: { goodput, outcomes: { ok: { p99Ms: 10, p999Ms: 20 } } },
    }) as OverloadRow;
  const table = ratioTable([row('on', 90), row('off', 100)], BASELINE_NAMES);
  assert.match(table, /goodput current ÷ baseline/);
  assert.match(table, /\| 1x \| 0\.90x \|/);
});

test('batching with a baseline: batched over the baseline side, round by round, in the unbatched rows place', () => {
  const record = (side: SideKey, round: number, itemsPerS: number) =>
    ({ model: 'm', side, round, itemsPerS, cpu: { server: 1, client: 0, other: 0 } }) as BatchingRecord;
  const ratios = modelRatios([
    record('batched', 1, 8_000),
    record('baseline', 1, 10_000),
    record('batched', 2, 9_000),
    record('baseline', 2, 9_000),
  ]);
  assert.deepEqual(
    ratios.vsBaseline?.pairs.map((pair) => pair.ratio),
    [0.8, 1],
  );
  assert.equal(ratios.vsUnbatched, undefined);
  const table = ratiosTable(ratios, 2);
  assert.match(table, /\| batched \/ baseline \| 0\.80x \| 1\.00x \| 0\.90x \(0\.80x–1\.00x\) \|/);
  assert.doesNotMatch(table, /unbatched/);
});

test('gateway-overhead with a baseline: sluice over baseline, added latency within each round', () => {
  const added = (side: string, round: number, addedP50Ms: number): AddedRecord => ({
    side,
    rate: 1000,
    round,
    addedP50Ms,
    addedP99Ms: addedP50Ms * 10,
    p99Ms: 20,
  });
  const [ratios] = rateRatios(
    [added('sluice', 1, 1.2), added('baseline', 1, 1), added('sluice', 2, 1), added('baseline', 2, 1)],
    [1000],
  );
  assert.deepEqual(
    ratios?.sluiceOverBaselineP50?.pairs.map((pair) => pair.ratio),
    [1.2, 1],
  );
  assert.ok(Math.abs((ratios?.sluiceOverBaselineP99?.median ?? 0) - 1.1) < 1e-9);
});
