/**
 * How many instances (ONNX Runtime sessions) a model should run, decided from its load
 * the way Ray Serve's default policy does. Pure: the state goes in and comes out, so
 * every rule is tested with a fake clock; `Autoscaler` is the thin loop around it.
 *
 *   observation ─► look-back window ─► average ongoing ─┬─ below min / above max ─────────► scale now
 *                                                       ├─ 0 instances, work waiting ────► scale to 1 now
 *                                                       └─ wanted = avg / target ─► smoothed, clamped
 *                                                            ─► wanted for upscale/downscale delay? ─► scale / hold
 *
 *   wanted  = current × avgOngoing / (current × target)
 *   desired = ceil(current + factor × (wanted − current)),  clamped to [min, max]
 *
 * A scale is taken only after it has been wanted, in the same direction, at every
 * observation for the whole delay. The choices and Ray's reasons: docs/design-notes.md.
 */
import type { AutoscalingPolicy } from './autoscaling-policy.ts';

export interface LoadObservation {
  readonly nowMs: number;
  /** Queued + running items or requests, over all instances. */
  readonly ongoing: number;
  /** Instances ready to serve. */
  readonly instances: number;
  /** Instances starting; 0 when absent. */
  readonly pending?: number;
}

export interface LoadSample {
  readonly atMs: number;
  readonly ongoing: number;
}

/** Since when a scale in one direction has been wanted without a break. */
export interface ScaleTrend {
  readonly direction: 'up' | 'down';
  readonly sinceMs: number;
}

export interface AutoscalerState {
  /** Observations within the look-back period, oldest first. */
  readonly window: readonly LoadSample[];
  readonly trend: ScaleTrend | undefined;
}

export type ScaleDecision =
  { readonly action: 'hold' } | { readonly action: 'scale'; readonly to: number; readonly reason: string };

export interface ScaleOutcome {
  readonly state: AutoscalerState;
  readonly decision: ScaleDecision;
  /** The instance count the load asks for now, before any delay; for stats. */
  readonly desired: number;
  readonly averageOngoing: number;
}

export const INITIAL_AUTOSCALER_STATE: AutoscalerState = Object.freeze({ window: Object.freeze([]), trend: undefined });

const HOLD: ScaleDecision = Object.freeze({ action: 'hold' });
/** Absorbs float noise such as 2 + (3.1 − 2) = 3.1000000000000005 before a ceil. */
const EPSILON = 1e-9;

/** Adds an observation to the look-back window without deciding; the loop uses it while a scale is under way. */
export function recordLoad(
  state: AutoscalerState,
  observation: LoadObservation,
  policy: AutoscalingPolicy,
): AutoscalerState {
  checkObservation(observation);
  const oldestMs = observation.nowMs - policy.lookBackPeriodS * 1000;
  const kept = state.window.filter((sample) => sample.atMs > oldestMs && sample.atMs < observation.nowMs);
  return { window: [...kept, { atMs: observation.nowMs, ongoing: observation.ongoing }], trend: state.trend };
}

export function decideScale(
  state: AutoscalerState,
  observation: LoadObservation,
  policy: AutoscalingPolicy,
): ScaleOutcome {
  const { window } = recordLoad(state, observation, policy);
  const averageOngoing = window.reduce((sum, sample) => sum + sample.ongoing, 0) / window.length;
  const committed = observation.instances + (observation.pending ?? 0);
  const reset = { window, trend: undefined };

  const immediate = immediateScale(observation, committed, policy);
  if (immediate !== undefined) return { state: reset, decision: immediate, desired: immediate.to, averageOngoing };
  // Nothing to measure per instance until one is ready.
  if (observation.instances === 0) return { state: reset, decision: HOLD, desired: committed, averageOngoing };

  const desired = desiredInstances(averageOngoing, observation.instances, policy);
  if (desired === committed) return { state: reset, decision: HOLD, desired, averageOngoing };

  const direction: ScaleTrend['direction'] = desired > committed ? 'up' : 'down';
  const trend: ScaleTrend =
    state.trend?.direction === direction ? state.trend : { direction, sinceMs: observation.nowMs };
  const heldMs = observation.nowMs - trend.sinceMs;
  const delayMs = (direction === 'up' ? policy.upscaleDelayS : policy.downscaleDelayS) * 1000;
  if (heldMs < delayMs) return { state: { window, trend }, decision: HOLD, desired, averageOngoing };

  const to = desired === 0 && committed > 1 ? 1 : desired;
  const reason = loadReason(averageOngoing, observation.instances, policy.targetOngoingRequests, heldMs);
  return { state: reset, decision: { action: 'scale', to, reason }, desired, averageOngoing };
}

/** Ray Serve's smoothed target, clamped to [min, max]. */
export function desiredInstances(averageOngoing: number, current: number, policy: AutoscalingPolicy): number {
  const wanted = averageOngoing / policy.targetOngoingRequests;
  const factor = wanted > current ? policy.upscalingFactor : policy.downscalingFactor;
  let desired = Math.ceil(current + factor * (wanted - current) - EPSILON);
  if (Math.ceil(wanted - EPSILON) < current && desired >= current) desired = current - 1;
  return Math.min(policy.maxInstances, Math.max(policy.minInstances, desired));
}

function immediateScale(
  observation: LoadObservation,
  committed: number,
  policy: AutoscalingPolicy,
): { action: 'scale'; to: number; reason: string } | undefined {
  const { minInstances, maxInstances } = policy;
  if (committed < minInstances)
    return { action: 'scale', to: minInstances, reason: `${instances(committed)} below min_instances ${minInstances}` };
  if (committed > maxInstances)
    return { action: 'scale', to: maxInstances, reason: `${instances(committed)} above max_instances ${maxInstances}` };
  if (committed === 0 && observation.ongoing > 0) {
    // As Ray's cold start: one instance (more only with an upscaling factor above 1), then the normal rule.
    const to = Math.min(maxInstances, Math.max(1, Math.ceil(policy.upscalingFactor)));
    return { action: 'scale', to, reason: `${formatCount(observation.ongoing)} ongoing with no instance` };
  }
  return undefined;
}

/** E.g. "avg ongoing 14.2 on 2 instances (7.1 each) > target 4 for 3.0 s". */
function loadReason(averageOngoing: number, current: number, target: number, heldMs: number): string {
  const each = averageOngoing / current;
  const relation = each > target ? '>' : each < target ? '<' : '=';
  return `avg ongoing ${averageOngoing.toFixed(1)} on ${instances(current)} (${each.toFixed(1)} each) ${relation} target ${target} for ${(heldMs / 1000).toFixed(1)} s`;
}

function instances(count: number): string {
  return count === 1 ? '1 instance' : `${count} instances`;
}

function formatCount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function checkObservation(observation: LoadObservation): void {
  const { nowMs, ongoing, instances: ready, pending = 0 } = observation;
  if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be finite, got ${nowMs}`);
  if (!Number.isFinite(ongoing) || ongoing < 0)
    throw new RangeError(`ongoing must be a finite number ≥ 0, got ${ongoing}`);
  if (!Number.isInteger(ready) || ready < 0) throw new RangeError(`instances must be an integer ≥ 0, got ${ready}`);
  if (!Number.isInteger(pending) || pending < 0) throw new RangeError(`pending must be an integer ≥ 0, got ${pending}`);
}
