/**
 * What an instance runs its batches on, whichever thread executes them. Nothing above
 * this layer (instance pool, warm-up, batcher) knows which one it has:
 *
 *   openModelSession ─┬─ execution: worker ─► WorkerSession ══ messages ══► worker thread: OnnxSession
 *                     └─ execution: main   ─► OnnxSession (ONNX Runtime on the event loop's thread)
 *
 * ONNX Runtime's Node binding runs a batch synchronously (it only defers the call with
 * `setImmediate`), so on the main thread every batch stalls the event loop for its whole
 * duration; in a worker it stalls only that worker.
 */
import type { BatchTensors } from '../../../core/tensors.ts';
import type { TensorSpec } from './model-spec.ts';

export type ExecutionMode = 'worker' | 'main';

export interface SessionOptions {
  readonly intraOpThreads: number;
}

/** The session's worker thread ended on its own (a crash); every run in flight fails with this. */
export class SessionLostError extends Error {
  override readonly name = 'SessionLostError';
}

export interface ModelSession {
  /**
   * Runs one batch. The session may take the inputs' buffers (a worker session moves
   * them to its thread, leaving them detached here): pass tensors nothing reads after.
   * Rejects with an error naming the input when an input has the wrong dtype or a size its
   * data does not fill, with ONNX Runtime's error when the run fails otherwise, with a
   * closed-session error after `release`, or with a `SessionLostError`.
   */
  run(inputs: BatchTensors): Promise<BatchTensors>;
  /** Frees the session; call it when no run is in flight. Releasing again is the same release. */
  release(): Promise<void>;
  /**
   * `listener` is called once if the session dies on its own (its worker thread crashed),
   * at once if it already has. Sessions that cannot die alone need not implement it.
   */
  onLost?(listener: (error: SessionLostError) => void): void;
}

export interface OpenSessionOptions extends SessionOptions {
  /** Where batches execute; a worker thread per session unless `main` is asked for. */
  readonly execution?: ExecutionMode;
}

export type DeclaredTensors = { readonly inputs: readonly TensorSpec[]; readonly outputs: readonly TensorSpec[] };

export type OpenSession = (onnxPath: string, declared: DeclaredTensors, options: OpenSessionOptions) => Promise<ModelSession>;
