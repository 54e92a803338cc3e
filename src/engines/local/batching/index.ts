/** Dynamic batching with load control: the decision (`nextBatch`), the loop (`DynamicBatcher`), admission and batch tensors. */
export { planRoom, retryAfterMs, type Arrival, type RoomPlan } from './room-plan.ts';
export { shapeKey, splitOutputs, stackRows } from './assemble.ts';
export { normalisePolicy, policyFromSpec, type BatchPolicy, type RaggedMode } from './batch-policy.ts';
export { DynamicBatcher, type BatchEvent, type DynamicBatcherOptions, type ExecuteBatch } from './batcher.ts';
export type { BatcherStats, QueueWaitStats, ShedCounts, ShedEvent } from './batcher-stats.ts';
export { FakeClock, RealClock, type Clock, type TimerHandle } from '../../../core/clock.ts';
export {
  FixedGate,
  type ConcurrencyGate,
  type GateOutcome,
  type GatePermit,
} from '../../../control/concurrency-gate.ts';
export { BatcherClosedError, LoadShedError, type ShedReason } from './load-errors.ts';
export { nextBatch, type BatchDecision, type QueueView } from './next-batch.ts';
export type { RowResult } from './pending-request.ts';
export {
  backlogBatches,
  estimateBatchMs,
  predictCompletionMs,
  type PredictionInput,
  type ServiceModelSnapshot,
} from './service-model.ts';
export { checkBatchDimensions, checkRow } from './tensor-check.ts';
export {
  DEFAULT_TICKET,
  normaliseScheduling,
  type Scheduling,
  type SchedulingOptions,
  type Ticket,
} from '../../../core/ticket.ts';
