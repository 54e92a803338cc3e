/** Load control: the adaptive concurrency limit (`AdaptiveLimit`) and the instance autoscaler (`decideScale`, `Autoscaler`). */
export {
  AdaptiveLimit,
  type AdaptiveLimitOptions,
  type AdaptiveLimitStats,
  type LimitChangeReason,
  type Permit,
  type PermitOutcome,
} from './adaptive-limit.ts';
export {
  Autoscaler,
  type AutoscalerOptions,
  type AutoscalerStats,
  type LoadReading,
  type ScaleRecord,
} from './autoscaler.ts';
export {
  DEFAULT_AUTOSCALING_POLICY,
  normaliseAutoscalingPolicy,
  type AutoscalingPolicy,
} from './autoscaling-policy.ts';
export {
  decideScale,
  desiredInstances,
  INITIAL_AUTOSCALER_STATE,
  recordLoad,
  type AutoscalerState,
  type LoadObservation,
  type LoadSample,
  type ScaleDecision,
  type ScaleOutcome,
  type ScaleTrend,
} from './decide-scale.ts';
export { nextGradientLimit, squareRootQueueSize, type GradientParams, type WindowMeasure } from './gradient2.ts';
