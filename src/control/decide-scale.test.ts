import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import { normaliseAutoscalingPolicy, type AutoscalingPolicy } from './autoscaling-policy.ts';
import {
  decideScale,
  desiredInstances,
  INITIAL_AUTOSCALER_STATE,
  recordLoad,
  type AutoscalerState,
} from './decide-scale.ts';

/** Target 4 per instance, sampled every second, averaged over 5 s; up after 10 s, down after 60 s. */
function policy(overrides: Partial<AutoscalingPolicy> = {}): AutoscalingPolicy {
  return normaliseAutoscalingPolicy({
    minInstances: 1,
    maxInstances: 10,
    targetOngoingRequests: 4,
    upscaleDelayS: 10,
    downscaleDelayS: 60,
    metricsIntervalS: 1,
    lookBackPeriodS: 5,
    ...overrides,
  });
}

interface ScaleEvent {
  readonly atS: number;
  readonly to: number;
}

interface Simulation {
  readonly events: ScaleEvent[];
  readonly reasons: string[];
  readonly instances: number;
}

/**
 * Observes `load(t)` every metrics interval for `seconds` on a fake clock and applies
 * each scale at once, as a backend whose instances start instantly would.
 */
function simulate(
  scalePolicy: AutoscalingPolicy,
  start: { instances: number; seconds: number; load: (atS: number) => number },
): Simulation {
  const clock = new FakeClock();
  const events: ScaleEvent[] = [];
  const reasons: string[] = [];
  let state: AutoscalerState = INITIAL_AUTOSCALER_STATE;
  let instances = start.instances;
  while (clock.now() <= start.seconds * 1000) {
    const atS = clock.now() / 1000;
    const outcome = decideScale(state, { nowMs: clock.now(), ongoing: start.load(atS), instances }, scalePolicy);
    state = outcome.state;
    if (outcome.decision.action === 'scale') {
      events.push({ atS, to: outcome.decision.to });
      reasons.push(outcome.decision.reason);
      instances = outcome.decision.to;
    }
    clock.advance(scalePolicy.metricsIntervalS * 1000);
  }
  return { events, reasons, instances };
}

describe('decideScale', () => {
  it('holds under steady load at the target', () => {
    assert.deepEqual(simulate(policy(), { instances: 2, seconds: 600, load: () => 8 }).events, []);
  });

  it('holds under steady load below the target that one instance fewer could not carry', () => {
    // 5 ongoing wants 1.25 instances: ceil keeps 2.
    assert.deepEqual(simulate(policy(), { instances: 2, seconds: 600, load: () => 5 }).events, []);
  });

  it('scales up once, to the right count, when a burst outlasts upscale_delay_s', () => {
    const run = simulate(policy(), { instances: 2, seconds: 300, load: (t) => (t < 60 ? 8 : 20) });
    // Wanted from t=60 (the look-back average first exceeds 8); 20 ongoing / target 4 = 5.
    assert.deepEqual(run.events, [{ atS: 70, to: 5 }]);
    assert.deepEqual(run.reasons, ['avg ongoing 20.0 on 2 instances (10.0 each) > target 4 for 10.0 s']);
  });

  it('does not scale for a burst shorter than upscale_delay_s', () => {
    // 4 s of burst; the look-back average keeps the wish alive until t=67, 7 s in all.
    const run = simulate(policy(), { instances: 2, seconds: 300, load: (t) => (t >= 60 && t < 64 ? 20 : 8) });
    assert.deepEqual(run.events, []);
  });

  it('scales down only after downscale_delay_s', () => {
    const run = simulate(policy(), { instances: 5, seconds: 300, load: (t) => (t < 100 ? 20 : 4) });
    // The average first wants fewer at t=101 (13.6 ongoing → 4 instances); 60 s later 4 ongoing wants 1.
    assert.deepEqual(run.events, [{ atS: 161, to: 1 }]);
    assert.deepEqual(run.reasons, ['avg ongoing 4.0 on 5 instances (0.8 each) < target 4 for 60.0 s']);
  });

  it('does not flap under load oscillating around the target every sample', () => {
    // The 5-sample average alternates 7.6 (hold) and 8.4 (wants 3): each hold restarts the clock.
    const run = simulate(policy(), { instances: 2, seconds: 600, load: (t) => (t % 2 === 0 ? 6 : 10) });
    assert.deepEqual(run.events, []);
  });

  it('does not flap under load swinging around the target for shorter than the delays', () => {
    const swing = policy({ upscaleDelayS: 30, downscaleDelayS: 60 });
    const run = simulate(swing, { instances: 2, seconds: 1200, load: (t) => (Math.floor(t / 20) % 2 === 0 ? 12 : 4) });
    assert.deepEqual(run.events, []);
  });

  it('clamps a scale-up at max_instances and then holds', () => {
    const run = simulate(policy({ maxInstances: 4 }), { instances: 2, seconds: 300, load: () => 100 });
    assert.deepEqual(run.events, [{ atS: 10, to: 4 }]);
  });

  it('clamps a scale-down at min_instances and then holds', () => {
    const run = simulate(policy({ minInstances: 2 }), { instances: 6, seconds: 300, load: () => 0 });
    assert.deepEqual(run.events, [{ atS: 60, to: 2 }]);
  });

  it('takes several steps with an upscaling factor below 1, each after its own delay', () => {
    // Wants 32 / 4 = 8 from 2: 2 + ½·6 = 5, then 5 + ½·3 → 7, then 7 + ½·1 → 8.
    const run = simulate(policy({ upscalingFactor: 0.5 }), { instances: 2, seconds: 300, load: () => 32 });
    assert.deepEqual(run.events, [
      { atS: 10, to: 5 },
      { atS: 21, to: 7 },
      { atS: 32, to: 8 },
    ]);
  });

  it('steps down by one where a downscaling factor below 1 would round back to the current count', () => {
    // Wants 28 / 4 = 7 from 8: 8 − ½·1 = 7.5, whose ceil is 8 again.
    const run = simulate(policy({ downscalingFactor: 0.5 }), { instances: 8, seconds: 300, load: () => 28 });
    assert.deepEqual(run.events, [{ atS: 60, to: 7 }]);
  });

  it('starts one instance at once when work waits and none is running', () => {
    const run = simulate(policy({ minInstances: 0 }), { instances: 0, seconds: 0, load: () => 3 });
    assert.deepEqual(run.events, [{ atS: 0, to: 1 }]);
    assert.deepEqual(run.reasons, ['3 ongoing with no instance']);
  });

  it('starts nothing with no work and no instance, and waits for an instance already starting', () => {
    const scalePolicy = policy({ minInstances: 0 });
    const idle = decideScale(INITIAL_AUTOSCALER_STATE, { nowMs: 0, ongoing: 0, instances: 0 }, scalePolicy);
    const starting = decideScale(
      INITIAL_AUTOSCALER_STATE,
      { nowMs: 0, ongoing: 40, instances: 0, pending: 1 },
      scalePolicy,
    );
    assert.deepEqual([idle.decision, starting.decision], [{ action: 'hold' }, { action: 'hold' }]);
  });

  it('scales to zero only from one instance, each step after downscale_delay_s', () => {
    const run = simulate(policy({ minInstances: 0 }), { instances: 3, seconds: 300, load: () => 0 });
    assert.deepEqual(run.events, [
      { atS: 60, to: 1 },
      { atS: 121, to: 0 },
    ]);
  });

  it('corrects a count outside [min, max] at once', () => {
    const below = simulate(policy({ minInstances: 3 }), { instances: 1, seconds: 0, load: () => 12 });
    const above = simulate(policy({ maxInstances: 4 }), { instances: 6, seconds: 0, load: () => 24 });
    assert.deepEqual(
      [...below.events, ...above.events],
      [
        { atS: 0, to: 3 },
        { atS: 0, to: 4 },
      ],
    );
    assert.deepEqual(
      [...below.reasons, ...above.reasons],
      ['1 instance below min_instances 3', '6 instances above max_instances 4'],
    );
  });

  it('counts instances still starting as already asked for', () => {
    const scalePolicy = policy();
    const covered = decideScale(
      INITIAL_AUTOSCALER_STATE,
      { nowMs: 0, ongoing: 16, instances: 2, pending: 2 },
      scalePolicy,
    );
    assert.deepEqual([covered.decision, covered.desired, covered.state.trend], [{ action: 'hold' }, 4, undefined]);
    const tooMany = decideScale(
      INITIAL_AUTOSCALER_STATE,
      { nowMs: 0, ongoing: 8, instances: 2, pending: 2 },
      scalePolicy,
    );
    assert.deepEqual([tooMany.decision, tooMany.state.trend], [{ action: 'hold' }, { direction: 'down', sinceMs: 0 }]);
  });

  it('restarts the delay when the wish turns the other way', () => {
    const scalePolicy = policy({ lookBackPeriodS: 0 });
    let state = decideScale(INITIAL_AUTOSCALER_STATE, { nowMs: 0, ongoing: 20, instances: 2 }, scalePolicy).state;
    state = decideScale(state, { nowMs: 5000, ongoing: 20, instances: 2 }, scalePolicy).state;
    assert.deepEqual(state.trend, { direction: 'up', sinceMs: 0 });
    state = decideScale(state, { nowMs: 6000, ongoing: 1, instances: 2 }, scalePolicy).state;
    assert.deepEqual(state.trend, { direction: 'down', sinceMs: 6000 });
    const outcome = decideScale(state, { nowMs: 10_000, ongoing: 20, instances: 2 }, scalePolicy);
    assert.deepEqual(
      [outcome.decision, outcome.state.trend],
      [{ action: 'hold' }, { direction: 'up', sinceMs: 10_000 }],
    );
  });

  it('keeps only the look-back period in its window and averages it', () => {
    let state = INITIAL_AUTOSCALER_STATE;
    for (let t = 0; t < 100; t += 1) state = recordLoad(state, { nowMs: t * 1000, ongoing: t, instances: 2 }, policy());
    assert.deepEqual(
      state.window.map((sample) => sample.ongoing),
      [95, 96, 97, 98, 99],
    );
    const outcome = decideScale(state, { nowMs: 100_000, ongoing: 100, instances: 2 }, policy());
    assert.equal(outcome.averageOngoing, 98);
    const latestOnly = recordLoad(state, { nowMs: 100_000, ongoing: 7, instances: 2 }, policy({ lookBackPeriodS: 0 }));
    assert.deepEqual(latestOnly.window, [{ atMs: 100_000, ongoing: 7 }]);
  });

  it('rejects an observation that is not a count', () => {
    const bad = [
      { ongoing: -1 },
      { ongoing: Number.NaN },
      { instances: 1.5 },
      { pending: -1 },
      { nowMs: Number.POSITIVE_INFINITY },
    ];
    for (const fields of bad) {
      assert.throws(
        () => decideScale(INITIAL_AUTOSCALER_STATE, { nowMs: 0, ongoing: 1, instances: 1, ...fields }, policy()),
        RangeError,
        JSON.stringify(fields),
      );
    }
  });
});

describe('desiredInstances', () => {
  // [average ongoing, current, overrides, expected]
  const rows: readonly [number, number, Partial<AutoscalingPolicy>, number][] = [
    [8, 2, {}, 2],
    [8.1, 2, {}, 3],
    [0, 2, {}, 1],
    [40, 2, {}, 10],
    [400, 2, {}, 10],
    [12, 3, {}, 3],
    [12, 4, {}, 3],
    [12.4, 3, { upscalingFactor: 2 }, 4],
    [40, 2, { upscalingFactor: 2 }, 10],
    [4, 8, { downscalingFactor: 0.25 }, 7],
    [0, 8, { downscalingFactor: 2, minInstances: 0 }, 0],
    [0, 1, { minInstances: 0 }, 0],
    [4.4, 1, {}, 2],
  ];
  for (const [average, current, overrides, expected] of rows) {
    it(`avg ${average} on ${current} with ${JSON.stringify(overrides)} → ${expected}`, () => {
      assert.equal(desiredInstances(average, current, policy(overrides)), expected);
    });
  }
});

describe('normaliseAutoscalingPolicy', () => {
  it("fills in Ray Serve's defaults", () => {
    assert.deepEqual(normaliseAutoscalingPolicy({ maxInstances: 4, upscaleDelayS: undefined }), {
      minInstances: 1,
      maxInstances: 4,
      targetOngoingRequests: 2,
      upscaleDelayS: 30,
      downscaleDelayS: 600,
      upscalingFactor: 1,
      downscalingFactor: 1,
      metricsIntervalS: 10,
      lookBackPeriodS: 30,
    });
  });

  const invalid: readonly [string, Partial<AutoscalingPolicy>][] = [
    ['negative min_instances', { minInstances: -1 }],
    ['max_instances below min_instances', { minInstances: 3, maxInstances: 2 }],
    ['max_instances 0', { minInstances: 0, maxInstances: 0 }],
    ['fractional max_instances', { maxInstances: 2.5 }],
    ['target_ongoing_requests 0', { targetOngoingRequests: 0 }],
    ['upscaling_factor 0', { upscalingFactor: 0 }],
    ['downscaling_factor negative', { downscalingFactor: -1 }],
    ['metrics_interval_s 0', { metricsIntervalS: 0 }],
    ['negative upscale_delay_s', { upscaleDelayS: -1 }],
    ['infinite downscale_delay_s', { downscaleDelayS: Number.POSITIVE_INFINITY }],
    ['negative look_back_period_s', { lookBackPeriodS: -5 }],
  ];
  for (const [name, input] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => normaliseAutoscalingPolicy(input), RangeError);
    });
  }
});
