/**
 * The autoscaling settings of one model, in Ray Serve's terms (`min_replicas` becomes
 * `min_instances`, the rest keep Ray's names), checked once and normalised so the
 * decision function never has to. Defaults are Ray Serve's.
 */

export interface AutoscalingPolicy {
  /** May be 0: the model then unloads after `downscaleDelayS` without work. */
  readonly minInstances: number;
  readonly maxInstances: number;
  /** Queued + running work per instance the autoscaler aims for. */
  readonly targetOngoingRequests: number;
  /** How long a scale-up must stay wanted before it happens. */
  readonly upscaleDelayS: number;
  /** How long a scale-down must stay wanted before it happens. */
  readonly downscaleDelayS: number;
  /** Share of the wanted change taken per scale-up, > 0 (1 = all of it, < 1 = several steps). */
  readonly upscalingFactor: number;
  /** Share of the wanted change taken per scale-down, > 0. */
  readonly downscalingFactor: number;
  /** How often the load is sampled and a decision taken. */
  readonly metricsIntervalS: number;
  /** The load is averaged over this many trailing seconds. */
  readonly lookBackPeriodS: number;
}

export const DEFAULT_AUTOSCALING_POLICY: AutoscalingPolicy = Object.freeze({
  minInstances: 1,
  maxInstances: 1,
  targetOngoingRequests: 2,
  upscaleDelayS: 30,
  downscaleDelayS: 600,
  upscalingFactor: 1,
  downscalingFactor: 1,
  metricsIntervalS: 10,
  lookBackPeriodS: 30,
});

/** Validates a policy, fills Ray Serve's defaults in and returns a frozen copy. */
export function normaliseAutoscalingPolicy(input: Partial<AutoscalingPolicy> = {}): AutoscalingPolicy {
  const policy = { ...DEFAULT_AUTOSCALING_POLICY, ...withoutUndefined(input) };
  const { minInstances, maxInstances } = policy;
  if (!Number.isInteger(minInstances) || minInstances < 0)
    throw new RangeError(`min_instances must be an integer ≥ 0, got ${minInstances}`);
  if (!Number.isInteger(maxInstances) || maxInstances < Math.max(1, minInstances)) {
    throw new RangeError(`max_instances must be an integer ≥ max(1, min_instances), got ${maxInstances}`);
  }
  requirePositive('target_ongoing_requests', policy.targetOngoingRequests);
  requirePositive('upscaling_factor', policy.upscalingFactor);
  requirePositive('downscaling_factor', policy.downscalingFactor);
  requirePositive('metrics_interval_s', policy.metricsIntervalS);
  requireNonNegative('upscale_delay_s', policy.upscaleDelayS);
  requireNonNegative('downscale_delay_s', policy.downscaleDelayS);
  // Shorter than one sample interval would average nothing but the latest sample; allowed, as that is a valid "no smoothing" choice.
  requireNonNegative('look_back_period_s', policy.lookBackPeriodS);
  return Object.freeze(policy);
}

function withoutUndefined(input: Partial<AutoscalingPolicy>): Partial<AutoscalingPolicy> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

function requirePositive(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value))
    throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
}

function requireNonNegative(name: string, value: number): void {
  if (!(value >= 0) || !Number.isFinite(value))
    throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
}
