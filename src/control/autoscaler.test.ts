import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import { Autoscaler, type LoadReading } from './autoscaler.ts';
import type { AutoscalingPolicy } from './autoscaling-policy.ts';

/** Target 4 per instance, one sample a second, latest sample only; up after 3 s, down after 10 s. */
const POLICY: Partial<AutoscalingPolicy> = {
  minInstances: 1,
  maxInstances: 8,
  targetOngoingRequests: 4,
  upscaleDelayS: 3,
  downscaleDelayS: 10,
  metricsIntervalS: 1,
  lookBackPeriodS: 1,
};

interface ScaleCall {
  readonly atS: number;
  readonly to: number;
  readonly reason: string;
}

/** A model whose scale operations finish only when the test says so. */
class FakeModel {
  instances: number;
  ongoing: number;
  samples = 0;
  readonly calls: ScaleCall[] = [];
  private finish: ((failure?: Error) => void) | undefined;

  constructor(
    private readonly clock: FakeClock,
    start: LoadReading,
  ) {
    this.instances = start.instances;
    this.ongoing = start.ongoing;
  }

  sample = (): LoadReading => {
    this.samples += 1;
    return { ongoing: this.ongoing, instances: this.instances };
  };

  scaleTo = (to: number, reason: string): Promise<void> => {
    this.calls.push({ atS: this.clock.now() / 1000, to, reason });
    return new Promise<void>((resolve, reject) => {
      this.finish = (failure) => {
        if (failure !== undefined) return reject(failure);
        this.instances = to;
        resolve();
      };
    });
  };

  /** Ends the scale operation under way and lets its callbacks run. */
  async complete(failure?: Error): Promise<void> {
    this.finish?.(failure);
    this.finish = undefined;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function setup(
  start: LoadReading,
  onError?: (error: unknown) => void,
): { clock: FakeClock; model: FakeModel; autoscaler: Autoscaler } {
  const clock = new FakeClock();
  const model = new FakeModel(clock, start);
  const autoscaler = new Autoscaler({ policy: POLICY, sample: model.sample, scaleTo: model.scaleTo, clock, onError });
  return { clock, model, autoscaler };
}

describe('Autoscaler', () => {
  it('samples at start and then every metrics interval, until stopped', async () => {
    const { clock, model, autoscaler } = setup({ ongoing: 8, instances: 2 });
    assert.deepEqual(autoscaler.stats(), {
      instances: 0,
      desired: 0,
      lastDecision: undefined,
      decisions: 0,
      scaling: false,
      failures: 0,
    });
    autoscaler.start();
    autoscaler.start();
    clock.advance(5000);
    assert.equal(model.samples, 6);
    await autoscaler.stop();
    assert.equal(clock.pendingTimers, 0);
    clock.advance(5000);
    assert.equal(model.samples, 6);
    assert.deepEqual(autoscaler.stats(), {
      instances: 2,
      desired: 2,
      lastDecision: undefined,
      decisions: 0,
      scaling: false,
      failures: 0,
    });
  });

  it('calls scaleTo with the reason once the wish has lasted upscale_delay_s', async () => {
    const { clock, model, autoscaler } = setup({ ongoing: 24, instances: 2 });
    autoscaler.start();
    clock.advance(2000);
    assert.deepEqual(model.calls, []);
    clock.advance(1000);
    const reason = 'avg ongoing 24.0 on 2 instances (12.0 each) > target 4 for 3.0 s';
    assert.deepEqual(model.calls, [{ atS: 3, to: 6, reason }]);
    assert.deepEqual(autoscaler.stats(), {
      instances: 2,
      desired: 6,
      lastDecision: { at: 3000, to: 6, reason },
      decisions: 1,
      scaling: true,
      failures: 0,
    });
    await model.complete();
    clock.advance(10_000);
    assert.equal(model.calls.length, 1);
    assert.deepEqual([autoscaler.stats().instances, autoscaler.stats().scaling], [6, false]);
  });

  it('never runs two scale operations at once, and counts the next delay from the end of the first', async () => {
    const { clock, model, autoscaler } = setup({ ongoing: 24, instances: 2 });
    autoscaler.start();
    clock.advance(3000);
    model.ongoing = 40;
    clock.advance(5000);
    assert.deepEqual(
      model.calls.map((call) => [call.atS, call.to]),
      [[3, 6]],
    );
    assert.equal(autoscaler.stats().scaling, true);
    clock.advance(500);
    await model.complete();
    // First decision after the operation at t=9 (wants 10, clamped to 8); scaled 3 s later.
    clock.advance(3500);
    assert.deepEqual(
      model.calls.map((call) => [call.atS, call.to]),
      [
        [3, 6],
        [12, 8],
      ],
    );
    await model.complete();
    await autoscaler.stop();
  });

  it('reports a failed scale operation, then tries again after the delay', async () => {
    const errors: unknown[] = [];
    const { clock, model, autoscaler } = setup({ ongoing: 24, instances: 2 }, (error) => errors.push(error));
    autoscaler.start();
    clock.advance(3000);
    const failure = new Error('session failed to load');
    await model.complete(failure);
    assert.deepEqual([errors, autoscaler.stats().failures, autoscaler.stats().scaling], [[failure], 1, false]);
    clock.advance(4000);
    assert.deepEqual(
      model.calls.map((call) => [call.atS, call.to]),
      [
        [3, 6],
        [7, 6],
      ],
    );
    await model.complete();
    await autoscaler.stop();
  });

  it('skips a tick whose sample throws and carries on', () => {
    const errors: unknown[] = [];
    const clock = new FakeClock();
    let calls = 0;
    const autoscaler = new Autoscaler({
      policy: POLICY,
      clock,
      sample: () => {
        calls += 1;
        if (calls === 2) throw new Error('registry busy');
        return { ongoing: 8, instances: 2 };
      },
      scaleTo: () => Promise.resolve(),
      onError: (error) => errors.push(error),
    });
    autoscaler.start();
    clock.advance(3000);
    assert.deepEqual([calls, errors.length, autoscaler.stats().failures], [4, 1, 1]);
    void autoscaler.stop();
  });

  it('resolves stop once the scale operation under way has settled', async () => {
    const { clock, model, autoscaler } = setup({ ongoing: 24, instances: 2 });
    autoscaler.start();
    clock.advance(3000);
    let stopped = false;
    const stopping = autoscaler.stop().then(() => {
      stopped = true;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(stopped, false);
    await model.complete();
    await stopping;
    assert.equal(stopped, true);
  });
});
