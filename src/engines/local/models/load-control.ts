/**
 * How one model version's load control is built from its `model.yaml`: the batcher's
 * scheduling, the adaptive concurrency limit and the autoscaler policy. With load
 * control off the same model runs as a naive server: one unbounded FIFO, fixed
 * concurrency, no autoscaling.
 */
import type { SchedulingOptions } from '../../../core/ticket.ts';
import { AdaptiveLimit } from '../../../control/adaptive-limit.ts';
import type { AutoscalingPolicy } from '../../../control/autoscaling-policy.ts';
import type { ModelSpec } from './model-spec.ts';

export function schedulingOf(spec: ModelSpec, loadControl: boolean): SchedulingOptions {
  if (!loadControl) return { priorityLevels: 1, maxQueueSize: 0 };
  return {
    priorityLevels: spec.scheduling.priority_levels,
    defaultPriorityLevel: spec.scheduling.default_priority_level,
    maxQueueSize: spec.scheduling.max_queue_size,
  };
}

export function adaptiveLimitOf(spec: ModelSpec, loadControl: boolean, onChange: (limit: number, previous: number, reason: string) => void): AdaptiveLimit | undefined {
  const { concurrency, instances } = spec;
  if (!loadControl || !concurrency.adaptive) return undefined;
  const initialLimit = Math.min(concurrency.max_limit, Math.max(concurrency.min_limit, instances.min_instances));
  return new AdaptiveLimit({ initialLimit, minLimit: concurrency.min_limit, maxLimit: concurrency.max_limit, onChange });
}

/** Undefined when there is nothing to scale (load control off, or a fixed instance count). */
export function autoscalingPolicyOf(spec: ModelSpec, loadControl: boolean): Partial<AutoscalingPolicy> | undefined {
  const { instances } = spec;
  if (!loadControl || instances.max_instances === instances.min_instances) return undefined;
  return {
    minInstances: instances.min_instances,
    maxInstances: instances.max_instances,
    targetOngoingRequests: instances.target_ongoing_requests,
    upscaleDelayS: instances.upscale_delay_s,
    downscaleDelayS: instances.downscale_delay_s,
    upscalingFactor: instances.upscaling_factor,
    downscalingFactor: instances.downscaling_factor,
    metricsIntervalS: instances.metrics_interval_s,
    lookBackPeriodS: instances.look_back_period_s,
  };
}
