/**
 * A model session whose ONNX Runtime session lives in a worker thread of its own, so a
 * batch blocks that thread, never the event loop (`session-worker.ts` is the other end).
 *
 *   run(inputs) ──► portableTensors: buffers moved (views copied first) ──► worker
 *        ▲                                                                  │ session.run
 *        └──── outputs (buffers moved back) ◄─────── { done } | { failed } ◄─┘
 *
 *   opening ──opened──► open ──release()──► releasing ──released──► closed
 *      │                  └──thread exits on its own──► lost: runs in flight reject with
 *      └──open-failed / thread exits──► ModelLoadError    SessionLostError, onLost listeners fire
 *
 * The worker is unref'd while idle: an idle session never keeps the process alive, one
 * with work in flight does.
 */
import { Worker } from 'node:worker_threads';
import { workerExecArgv, workerModuleBootstrap } from '../preprocess/worker-bootstrap.ts';
import type { BatchTensors } from '../../../core/tensors.ts';
import { SessionLostError, type DeclaredTensors, type ModelSession, type SessionOptions } from './model-session.ts';
import { ModelLoadError } from './onnx-session.ts';
import type { SessionReply, SessionRequest, SessionWorkerData, WireError } from './session-worker.ts';
import { portableTensors } from './tensor-transfer.ts';

const SESSION_WORKER = new URL(import.meta.url.endsWith('.ts') ? './session-worker.ts' : './session-worker.js', import.meta.url);

/** Starts the worker and resolves once it has opened and checked the session; `workerModule` is for tests. */
export async function openWorkerSession(onnxPath: string, declared: DeclaredTensors, options: SessionOptions, workerModule: URL = SESSION_WORKER): Promise<ModelSession> {
  const workerData: SessionWorkerData = { kind: 'sluice-model-session', onnxPath, declared, options: { intraOpThreads: options.intraOpThreads } };
  const worker = new Worker(workerModuleBootstrap(workerModule.href), { eval: true, execArgv: workerExecArgv(process.execArgv), workerData });
  const session = new WorkerSession(worker, onnxPath);
  await session.opened;
  return session;
}

type State = 'opening' | 'open' | 'releasing' | 'closed' | 'lost';

interface PendingRun {
  readonly resolve: (outputs: BatchTensors) => void;
  readonly reject: (error: Error) => void;
}

class WorkerSession implements ModelSession {
  readonly opened: Promise<void>;
  #state: State = 'opening';
  #settleOpen: { resolve: () => void; reject: (error: Error) => void } | undefined;
  readonly #runs = new Map<number, PendingRun>();
  #nextId = 1;
  /** The uncaught error the thread reported before it exited, if any. */
  #crash: Error | undefined;
  #lost: SessionLostError | undefined;
  readonly #lostListeners: Array<(error: SessionLostError) => void> = [];
  readonly #idleWaiters: Array<() => void> = [];
  #released: Promise<void> | undefined;
  #onReleased: (() => void) | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly onnxPath: string,
  ) {
    this.opened = new Promise<void>((resolve, reject) => {
      this.#settleOpen = { resolve, reject };
    });
    worker.on('message', (reply: SessionReply) => this.#onReply(reply));
    worker.on('error', (error: Error) => {
      this.#crash = error;
    });
    worker.on('exit', (code: number) => this.#onExit(code));
  }

  run(inputs: BatchTensors): Promise<BatchTensors> {
    if (this.#state !== 'open') return Promise.reject(this.#lost ?? new Error(`the session of ${this.onnxPath} is ${this.#state}`));
    const { tensors, transfer } = portableTensors(inputs);
    const id = this.#nextId++;
    return new Promise<BatchTensors>((resolve, reject) => {
      this.#runs.set(id, { resolve, reject });
      this.worker.ref();
      try {
        this.worker.postMessage({ type: 'run', id, inputs: tensors } satisfies SessionRequest, transfer);
      } catch (error) {
        this.#settle(id)?.reject(error as Error);
      }
    });
  }

  release(): Promise<void> {
    this.#released ??= this.#release();
    return this.#released;
  }

  onLost(listener: (error: SessionLostError) => void): void {
    const lost = this.#lost;
    if (lost === undefined) this.#lostListeners.push(listener);
    else queueMicrotask(() => listener(lost));
  }

  async #release(): Promise<void> {
    // Runs in flight finish first: releasing under them would fail their requests.
    if (this.#runs.size > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    if (this.#state === 'open') {
      this.#state = 'releasing';
      const ended = new Promise<void>((resolve) => {
        this.#onReleased = resolve;
      });
      this.worker.ref();
      this.worker.postMessage({ type: 'release' } satisfies SessionRequest);
      await ended;
    }
    if (this.#state !== 'lost') this.#state = 'closed';
    await this.worker.terminate();
  }

  #onReply(reply: SessionReply): void {
    switch (reply.type) {
      case 'opened':
        this.#state = 'open';
        this.worker.unref();
        return this.#settleOpen?.resolve();
      case 'open-failed':
        this.#state = 'closed';
        void this.worker.terminate();
        return this.#settleOpen?.reject(new ModelLoadError(reply.error.message));
      case 'done':
        return this.#settle(reply.id)?.resolve(reply.outputs);
      case 'failed':
        return this.#settle(reply.id)?.reject(remoteError(reply.error));
      case 'released':
        return this.#onReleased?.();
    }
  }

  #onExit(code: number): void {
    const reason = this.#crash?.message ?? `exit code ${code}`;
    const state = this.#state;
    if (state === 'opening') {
      this.#state = 'closed';
      this.#settleOpen?.reject(new ModelLoadError(`${this.onnxPath}: the ONNX Runtime worker thread stopped before the session opened (${reason})`, { cause: this.#crash }));
    } else if (state === 'open') {
      this.#lose(new SessionLostError(`the ONNX Runtime worker thread stopped unexpectedly (${reason})`, { cause: this.#crash }));
    } else {
      this.#onReleased?.();
    }
  }

  #lose(error: SessionLostError): void {
    this.#state = 'lost';
    this.#lost = error;
    for (const id of [...this.#runs.keys()]) this.#settle(id)?.reject(error);
    for (const listener of this.#lostListeners.splice(0)) listener(error);
  }

  /** Takes a run off the books; the thread is unref'd, and `release` may go on, once nothing is in flight. */
  #settle(id: number): PendingRun | undefined {
    const run = this.#runs.get(id);
    this.#runs.delete(id);
    if (this.#runs.size === 0) {
      if (this.#state === 'open') this.worker.unref();
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
    return run;
  }
}

/** ONNX Runtime's own message, as the in-process session would have thrown it. */
function remoteError(wire: WireError): Error {
  const error = new Error(wire.message);
  error.name = wire.name;
  return error;
}
