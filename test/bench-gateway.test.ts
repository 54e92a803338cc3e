/**
 * gateway-overhead's judgement (benchmarks/lib/overhead-report.ts): when a row holds its
 * rate, the maximum sustained rate of a side, which sides are skipped, added latencies
 * and their pair-by-pair ratios, and issue 5's targets. Made-up rows, no servers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type OverheadRecord,
  addedOverDirect,
  formatAddedMs,
  formatMaxSustained,
  judgedRates,
  laggedRows,
  maxSustained,
  overheadTargets,
  rateRatios,
  rateVerdict,
  rowHolds,
  skipReason,
} from '../benchmarks/lib/overhead-report.ts';

interface Shape {
  readonly p50?: number;
  readonly p99?: number;
  /** Share of the scheduled arrivals answered 2xx. */
  readonly ok?: number;
  /** 2xx per second as a share of the offered rate. */
  readonly pace?: number;
  /** The generator's send lag, p99. */
  readonly lag?: number;
}

/** A 2 s row of `side` at `rate`. */
function row(side: string, rate: number, round: number, shape: Shape = {}): OverheadRecord {
  const scheduled = rate * 2;
  return {
    side,
    rate,
    round,
    summary: {
      scheduled,
      offeredRate: rate,
      okThroughput: rate * (shape.pace ?? 1),
      outcomes: {
        ok: { count: Math.round(scheduled * (shape.ok ?? 1)), p50Ms: shape.p50 ?? 5, p99Ms: shape.p99 ?? 10 },
      },
      sendLag: { p99Ms: shape.lag ?? 1 },
    },
  };
}

/** Both rounds of `side` at each rate, shaped by rate. */
function rows(
  side: string,
  rates: readonly number[],
  shape: (rate: number, round: number) => Shape = () => ({}),
): OverheadRecord[] {
  return rates.flatMap((rate) => [1, 2].map((round) => row(side, rate, round, shape(rate, round))));
}

const RATES = [500, 1000, 2000, 4000, 8000];
const failsFrom = (limit: number) => (rate: number) => (rate >= limit ? { ok: 0.5, pace: 0.5 } : {});

test('a row holds with ≥ 99 % of its arrivals answered 2xx and 2xx/s ≥ 95 % of the offered rate', () => {
  assert.equal(rowHolds(row('sluice', 1000, 1)), true);
  assert.equal(rowHolds(row('sluice', 1000, 1, { ok: 0.99, pace: 0.95 })), true);
  assert.equal(rowHolds(row('sluice', 1000, 1, { ok: 0.985 })), false);
  assert.equal(rowHolds(row('sluice', 1000, 1, { pace: 0.9 })), false, 'a backlog that outlasts the row');
  assert.equal(rateVerdict([row('sluice', 1000, 1), row('sluice', 1000, 2, { ok: 0.5 })], 'sluice', 1000), 'partly');
  assert.equal(rateVerdict([], 'portkey', 1000), 'not run');
  assert.deepEqual(
    laggedRows([row('direct', 1000, 1), row('floor', 1000, 1, { lag: 40 })]).map((record) => record.side),
    ['floor'],
    'a late generator is flagged',
  );
});

test('rates are judged up to the first one at which the simulator called directly failed every round', () => {
  const records = rows('direct', RATES, (rate, round) =>
    rate >= 8000 ? { ok: 0.5 } : rate === 2000 && round === 1 ? { pace: 0.5 } : {},
  );
  assert.deepEqual(
    judgedRates(records, [8000, 500, 2000, 1000, 4000]),
    [500, 1000, 2000, 4000],
    'one noisy round of the baseline does not end them',
  );
  const sluice = rows('sluice', RATES);
  assert.deepEqual(maxSustained([...records, ...sluice], 'sluice', RATES), {
    side: 'sluice',
    rate: 4000,
    failedAt: undefined,
  });
  assert.equal(formatMaxSustained(maxSustained([...records, ...sluice], 'sluice', RATES)), '≥ 4000/s');
});

test('the maximum sustained rate needs every round and every lower rate held', () => {
  const direct = rows('direct', RATES);
  const partlyAt2000 = rows('sluice', RATES, (rate, round) => (rate === 2000 && round === 2 ? { ok: 0.9 } : {}));
  assert.deepEqual(maxSustained([...direct, ...partlyAt2000], 'sluice', RATES), {
    side: 'sluice',
    rate: 1000,
    failedAt: 2000,
  });
  const failsAtOnce = rows('portkey', RATES, failsFrom(500));
  assert.deepEqual(maxSustained([...direct, ...failsAtOnce], 'portkey', RATES), {
    side: 'portkey',
    rate: undefined,
    failedAt: 500,
  });
  assert.equal(formatMaxSustained(maxSustained([...direct, ...failsAtOnce], 'portkey', RATES)), '< 500/s');
  assert.equal(formatMaxSustained({ side: 'sluice', rate: 1000, failedAt: 2000 }), '1000/s (not 2000/s)');
});

test('a side is skipped past a rate where it, or the simulator alone, failed every round; never for a partial failure', () => {
  const earlier = [
    ...rows('direct', [500, 1000]),
    ...rows('sluice', [500, 1000], (rate, round) => (rate === 1000 && round === 1 ? { ok: 0.5 } : {})),
    ...rows('portkey', [500, 1000], failsFrom(1000)),
  ];
  assert.equal(skipReason(earlier, 'sluice', 2000), undefined);
  assert.equal(skipReason(earlier, 'portkey', 2000), 'it failed every round at 1000/s');
  assert.equal(skipReason(earlier, 'direct', 2000), undefined, 'the baseline always runs');
  const simSaturated = [...rows('direct', [500, 1000], failsFrom(1000)), ...rows('floor', [500, 1000])];
  assert.equal(skipReason(simSaturated, 'floor', 2000), 'the simulator alone failed every round at 1000/s');
});

test('added latency is taken against the direct row of the same round; below 0 it counts as 0 in ratios', () => {
  const records = [
    row('direct', 1000, 1, { p50: 5, p99: 20 }),
    row('floor', 1000, 1, { p50: 5.5, p99: 18 }),
    row('sluice', 1000, 1, { p50: 6, p99: 19 }),
    row('direct', 1000, 2, { p50: 5, p99: 10 }),
    row('floor', 1000, 2, { p50: 5.4, p99: 12 }),
    row('sluice', 1000, 2, { p50: 5.8, p99: 13 }),
  ];
  const added = addedOverDirect(records);
  const sluice1 = added.find((each) => each.side === 'sluice' && each.round === 1);
  assert.deepEqual(sluice1, { side: 'sluice', rate: 1000, round: 1, addedP50Ms: 1, addedP99Ms: -1, p99Ms: 19 });
  const [ratios] = rateRatios(added, [1000]);
  // p50: 1 / 0.5 = 2 in round 1, 0.8 / 0.4 = 2 in round 2.
  assert.ok(Math.abs((ratios?.sluiceOverFloorP50?.median ?? 0) - 2) < 1e-9);
  // p99: round 1 has the floor's added p99 below 0 (no ratio); round 2: 3 / 2.
  assert.deepEqual(
    ratios?.sluiceOverFloorP99?.pairs.map((pair) => pair.ratio),
    [undefined, 1.5],
  );
  assert.equal(ratios?.sluiceOverFloorP99?.median, 1.5);
  assert.equal(ratios?.portkeyOverSluiceP99, undefined, 'no Portkey rows, no ratio');
  assert.equal(formatAddedMs(-36.54), '−37');
  assert.equal(formatAddedMs(0.256), '0.26');
});

/** Direct holds everything; the floor adds 0.2 ms p50 and 2 ms p99; sluice and Portkey as given. */
function run(sluice: (rate: number) => Shape, portkey: ((rate: number) => Shape) | undefined): OverheadRecord[] {
  const direct = rows('direct', RATES, () => ({ p50: 5, p99: 10 }));
  const floor = rows('floor', RATES, () => ({ p50: 5.2, p99: 12 }));
  return [
    ...direct,
    ...floor,
    ...rows('sluice', RATES, sluice),
    ...(portkey === undefined ? [] : rows('portkey', RATES, portkey)),
  ];
}

test("targets: within 1.5x of the floor, 5x Portkey's rate, a tenth of its added p99; a rate the floor holds and sluice does not is a miss", () => {
  const records = run(
    (rate) => (rate >= 8000 ? { ok: 0.5 } : { p50: 5.25, p99: 12.5 }),
    (rate) => (rate >= 1000 ? { ok: 0.5 } : { p50: 40, p99: 200 }),
  );
  const targets = overheadTargets(records, RATES, true);
  assert.deepEqual(
    targets.map((target) => target.verdict),
    ['MISSED', 'MISSED', 'met', 'met'],
    'the floor held 8000/s and sluice did not: a miss for the first two',
  );
  assert.match(
    targets[0]?.figure ?? '',
    /1000\/s 1\.25x; 2000\/s 1\.25x; 4000\/s 1\.25x; 8000\/s: sluice did not hold it/,
  );
  assert.match(targets[2]?.figure ?? '', /sluice 4000\/s \(not 8000\/s\), Portkey 500\/s \(not 1000\/s\): 8\.0x/);
  assert.match(targets[3]?.figure ?? '', /at 500\/s .* sluice 2\.5 ms, Portkey 190 ms; sluice \/ Portkey 0\.013x/);
  const judgedBelow8000 = overheadTargets(records, [500, 1000, 2000, 4000], true);
  assert.deepEqual(
    judgedBelow8000.map((target) => target.verdict),
    ['met', 'met', 'met', 'met'],
  );
  assert.match(judgedBelow8000[2]?.figure ?? '', /> 8\.0x/, 'sluice held every rate: its ratio is a lower bound');
});

test("targets: an added latency 2x the floor's misses; a p99 over a tenth of Portkey's misses", () => {
  const records = run(
    () => ({ p50: 5.4, p99: 14 }),
    (rate) => (rate >= 1000 ? { ok: 0.5 } : { p50: 6, p99: 20 }),
  );
  const [p50, p99, rate, tail] = overheadTargets(records, RATES, true);
  assert.equal(p50?.verdict, 'MISSED');
  assert.match(p50?.figure ?? '', /1000\/s 2\.00x/);
  assert.equal(p99?.verdict, 'MISSED');
  assert.equal(rate?.verdict, 'met');
  assert.match(rate?.figure ?? '', /> 16\.0x/, 'sluice held every rate: a lower bound');
  assert.equal(tail?.verdict, 'MISSED');
  assert.match(tail?.figure ?? '', /0\.40x/);
});

test('targets: without Portkey, or when the run cannot decide, the verdict says "not shown" rather than guess', () => {
  const records = run(() => ({ p50: 5.25, p99: 12.5 }), undefined);
  const [, , rate, tail] = overheadTargets(records, RATES, false);
  assert.equal(rate?.verdict, 'not shown');
  assert.equal(tail?.verdict, 'not shown');
  assert.match(rate?.figure ?? '', /not installed/);
  const portkeyHoldsNone = run(
    () => ({ p50: 5.25, p99: 12.5 }),
    () => ({ ok: 0.5 }),
  );
  const [, , lowRate, noTail] = overheadTargets(portkeyHoldsNone, [500, 1000, 2000], true);
  assert.equal(lowRate?.verdict, 'not shown', 'sluice ≥ 2000/s against Portkey < 500/s: > 4x, not enough to say');
  assert.equal(noTail?.verdict, 'not shown');
  const portkeyHoldsAll = run(
    () => ({}),
    () => ({}),
  );
  assert.equal(overheadTargets(portkeyHoldsAll, RATES, true)[2]?.verdict, 'not shown');
  const noThousands = overheadTargets(
    run(() => ({}), undefined),
    [250, 500],
    false,
  );
  assert.equal(noThousands[0]?.verdict, 'not shown');
});
