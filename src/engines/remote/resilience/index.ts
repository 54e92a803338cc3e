/** Replica selection that learns from outcomes: P2C over Peak-EWMA, outlier ejection, circuit breakers, retry and hedge budgets, active health and Retry-After cooldowns. */
export {
  ActiveHealth,
  type ActiveHealthOptions,
  type HealthChange,
  type ProbeResult,
  type ReplicaHealthStats,
} from './active-health.ts';
export {
  BREAKER_DEFAULTS,
  CircuitBreaker,
  type BreakerOptions,
  type BreakerState,
  type BreakerStats,
  type BreakerTicket,
} from './circuit-breaker.ts';
export { HEDGE_DEFAULTS, HedgePolicy, type HedgeOptions, type HedgeStats } from './hedge-policy.ts';
export {
  EJECTION_DEFAULTS,
  OutlierEjection,
  type EjectionOptions,
  type EjectionReplicaStats,
  type EjectionStats,
} from './outlier-ejection.ts';
export { P2cPeakEwmaBalancer, type P2cOptions, type P2cReplicaStats, type ReplicaGuard } from './p2c-balancer.ts';
export { PEAK_EWMA_DEFAULTS, PeakEwma, type PeakEwmaOptions } from './peak-ewma.ts';
export {
  ResilientBalancer,
  type ResilientBalancerOptions,
  type ResilientBalancerStats,
  type ResilientReplicaStats,
} from './resilient-balancer.ts';
export { Cooldowns, parseRetryAfterMs, type CooldownStats } from './retry-after.ts';
export {
  RETRY_BUDGET_DEFAULTS,
  RetryBudget,
  jitteredBackoffMs,
  type RetryBudgetOptions,
  type RetryBudgetStats,
} from './retry-budget.ts';
export { SlidingCounts } from './sliding-counts.ts';
export { systemNow, type NowSource } from '../../../core/clock.ts';
export { type RandomSource } from '../../../core/seeded-rng.ts';
