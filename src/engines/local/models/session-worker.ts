/**
 * The worker thread behind one `WorkerSession`: it opens the model's ONNX Runtime session
 * itself, with the options and graph checks the main thread would use (`openOnnxSession`,
 * so a contradicting model.yaml fails with the same message), and then runs batches.
 *
 *   main thread                       this worker
 *   ───────────                       ───────────
 *   new Worker(workerData) ─────────► openOnnxSession ──► { opened } | { open-failed, error }
 *   { run, id, inputs } ────────────► session.run (blocks this thread only)
 *                       ◄──────────── { done, id, outputs } (buffers moved) | { failed, id, error }
 *   { release } ────────────────────► session.release ──► { released }, port closed, thread ends
 *
 * A failed run is a reply, never a throw, so only a real crash ends the thread early.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { BatchTensors } from '../../../core/tensors.ts';
import type { DeclaredTensors, SessionOptions } from './model-session.ts';
import { openOnnxSession, type OnnxSession } from './onnx-session.ts';
import { portableTensors } from './tensor-transfer.ts';

export interface SessionWorkerData {
  readonly kind: 'sluice-model-session';
  readonly onnxPath: string;
  readonly declared: DeclaredTensors;
  readonly options: SessionOptions;
}

export type SessionRequest = { readonly type: 'run'; readonly id: number; readonly inputs: BatchTensors } | { readonly type: 'release' };

/** An error as it crosses the thread boundary: its message is what callers see. */
export interface WireError {
  readonly name: string;
  readonly message: string;
}

export type SessionReply =
  | { readonly type: 'opened' }
  | { readonly type: 'open-failed'; readonly error: WireError }
  | { readonly type: 'done'; readonly id: number; readonly outputs: BatchTensors }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError }
  | { readonly type: 'released' };

export function wireError(error: unknown): WireError {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}

async function serve(port: MessagePort, data: SessionWorkerData): Promise<void> {
  let session: OnnxSession;
  try {
    session = await openOnnxSession(data.onnxPath, data.declared, data.options);
  } catch (error) {
    port.postMessage({ type: 'open-failed', error: wireError(error) } satisfies SessionReply);
    return;
  }
  port.on('message', (request: SessionRequest) => {
    if (request.type === 'run') void run(port, session, request.id, request.inputs);
    else void release(port, session);
  });
  port.postMessage({ type: 'opened' } satisfies SessionReply);
}

async function run(port: MessagePort, session: OnnxSession, id: number, inputs: BatchTensors): Promise<void> {
  try {
    const { tensors, transfer } = portableTensors(await session.run(inputs));
    port.postMessage({ type: 'done', id, outputs: tensors } satisfies SessionReply, transfer);
  } catch (error) {
    port.postMessage({ type: 'failed', id, error: wireError(error) } satisfies SessionReply);
  }
}

/** Answers `released` even if freeing the session failed: the thread ends next, taking what it held. */
async function release(port: MessagePort, session: OnnxSession): Promise<void> {
  try {
    await session.release();
  } finally {
    port.postMessage({ type: 'released' } satisfies SessionReply);
    port.close();
  }
}

function isSessionWorkerData(value: unknown): value is SessionWorkerData {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'sluice-model-session';
}

if (parentPort !== null && isSessionWorkerData(workerData)) void serve(parentPort, workerData);
