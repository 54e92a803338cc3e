/** Dynamic batching: the decision (`nextBatch`), the loop (`DynamicBatcher`) and batch tensors. */
export { shapeKey, splitOutputs, stackRows } from './assemble.ts';
export { normalisePolicy, policyFromSpec, type BatchPolicy, type RaggedMode } from './batch-policy.ts';
export {
  BatcherClosedError,
  DynamicBatcher,
  type BatchEvent,
  type BatcherStats,
  type DynamicBatcherOptions,
  type ExecuteBatch,
  type RowResult,
} from './batcher.ts';
export { FakeClock, RealClock, type Clock, type TimerHandle } from './clock.ts';
export { nextBatch, type BatchDecision, type QueueView } from './next-batch.ts';
export { checkBatchDimensions, checkRow } from './tensor-check.ts';
