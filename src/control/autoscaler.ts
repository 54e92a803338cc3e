/**
 * The autoscaler's loop: every `metricsIntervalS` it samples the model's load, asks
 * `decideScale` what to do, and calls `scaleTo` when told to scale. One scale operation
 * at a time: while one is under way, ticks only record load (the look-back window stays
 * current) and decide nothing, and the delay for the next scale starts after it ends.
 *
 *   start ─► tick ─► sample ─► decideScale ─┬─ hold
 *             ▲                             └─ scale ─► scaleTo(n, reason) ─► (settled)
 *             └──── timer (metricsIntervalS) ◄──┘
 */
import { RealClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { normaliseAutoscalingPolicy, type AutoscalingPolicy } from './autoscaling-policy.ts';
import { decideScale, INITIAL_AUTOSCALER_STATE, recordLoad, type AutoscalerState } from './decide-scale.ts';

export interface LoadReading {
  /** Queued + running items or requests, over all instances. */
  readonly ongoing: number;
  /** Instances ready to serve. */
  readonly instances: number;
  /** Instances starting. */
  readonly pending?: number;
}

export interface AutoscalerOptions {
  /** Missing fields take Ray Serve's defaults. */
  readonly policy: Partial<AutoscalingPolicy>;
  readonly sample: () => LoadReading;
  /** Starts or stops instances until `instances` are running; the loop waits for it before deciding again. */
  readonly scaleTo: (instances: number, reason: string) => Promise<void>;
  readonly clock?: Clock;
  /** A throwing `sample` or a failing `scaleTo`; the loop carries on either way. Must not throw. */
  readonly onError?: (error: unknown) => void;
}

export interface ScaleRecord {
  /** On the clock's millisecond scale. */
  readonly at: number;
  readonly to: number;
  readonly reason: string;
}

/** A snapshot; numbers do not move after it is taken. */
export interface AutoscalerStats {
  /** Ready instances at the last sample; 0 before the first. */
  readonly instances: number;
  /** What the load asked for at the last decision, before delays; 0 before the first. */
  readonly desired: number;
  readonly lastDecision: ScaleRecord | undefined;
  /** Scale operations started. */
  readonly decisions: number;
  /** Whether a scale operation is under way. */
  readonly scaling: boolean;
  /** Failed samples and scale operations. */
  readonly failures: number;
}

export class Autoscaler {
  readonly policy: AutoscalingPolicy;
  private readonly sample: () => LoadReading;
  private readonly scaleTo: (instances: number, reason: string) => Promise<void>;
  private readonly clock: Clock;
  private readonly onError: ((error: unknown) => void) | undefined;

  private state: AutoscalerState = INITIAL_AUTOSCALER_STATE;
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> | undefined;
  private instances = 0;
  private desired = 0;
  private lastDecision: ScaleRecord | undefined;
  private decisions = 0;
  private failures = 0;

  constructor(options: AutoscalerOptions) {
    this.policy = normaliseAutoscalingPolicy(options.policy);
    this.sample = options.sample;
    this.scaleTo = options.scaleTo;
    this.clock = options.clock ?? new RealClock();
    this.onError = options.onError;
  }

  /** Takes the first sample at once (a cold model should not wait an interval), then one per interval. */
  start(): void {
    if (this.timer !== undefined) return;
    this.tick();
  }

  /** Stops sampling; resolves once a scale operation under way, if any, has settled. */
  stop(): Promise<void> {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    return this.inFlight ?? Promise.resolve();
  }

  stats(): AutoscalerStats {
    return {
      instances: this.instances,
      desired: this.desired,
      lastDecision: this.lastDecision,
      decisions: this.decisions,
      scaling: this.inFlight !== undefined,
      failures: this.failures,
    };
  }

  private tick(): void {
    // Armed first, so a failing sample skips one tick rather than ending the loop.
    this.timer = this.clock.setTimer(() => this.tick(), this.policy.metricsIntervalS * 1000);
    try {
      const reading = this.sample();
      const observation = { ...reading, nowMs: this.clock.now() };
      this.instances = reading.instances;
      if (this.inFlight !== undefined) {
        this.state = recordLoad(this.state, observation, this.policy);
        return;
      }
      const outcome = decideScale(this.state, observation, this.policy);
      this.state = outcome.state;
      this.desired = outcome.desired;
      if (outcome.decision.action === 'scale') this.launch(outcome.decision.to, outcome.decision.reason);
    } catch (error) {
      this.fail(error);
    }
  }

  private launch(to: number, reason: string): void {
    this.decisions += 1;
    this.lastDecision = { at: this.clock.now(), to, reason };
    let operation: Promise<void>;
    try {
      operation = this.scaleTo(to, reason);
    } catch (error) {
      operation = Promise.reject(error);
    }
    this.inFlight = operation.then(
      () => {
        this.inFlight = undefined;
      },
      (error: unknown) => {
        this.inFlight = undefined;
        this.fail(error);
      },
    );
  }

  private fail(error: unknown): void {
    this.failures += 1;
    this.onError?.(error);
  }
}
