/**
 * Preprocessing off the main thread: a few `worker_threads` workers that turn items
 * into rows, so hashing a large batch of long texts does not stall every other request.
 *
 *   run() ──▶ idle worker? ──yes──▶ postMessage(task) ──▶ worker: makePreprocessor(spec)(item)…
 *                │ no                                        │ rows (buffers transferred back)
 *                ▼                                           ▼
 *          FIFO queue (bounded) ◀──── next task ──── reply settles run()'s promise
 *
 * A worker runs one task at a time. A worker that dies mid-task fails that task and
 * is replaced; one that dies before it is ready (a broken install) is not, so a
 * startup failure surfaces as an error instead of a respawn loop. Idle workers are
 * unref'd: an idle pool never keeps the process alive, a busy one does.
 */
import { availableParallelism } from 'node:os';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { ERROR_CODES, SluiceError, type ErrorCode } from '../../../core/errors.ts';
import type { ModelSpec } from '../models/model-spec.ts';
import type { Row } from '../../../core/tensors.ts';
import type { Item } from './index.ts';
import type { PreprocessTask, SerializedError, WorkerReply } from './preprocess-worker.ts';
import { workerExecArgv, workerModuleBootstrap } from './worker-bootstrap.ts';

export { workerExecArgv } from './worker-bootstrap.ts';

export interface PreprocessPoolOptions {
  /** Worker threads; default: one per core but one, at least 1. */
  readonly threads?: number;
  /** Tasks that may wait for a worker; beyond it `run` rejects with ERR_ADMISSION_QUEUE_FULL. */
  readonly maxQueued?: number;
  /** Per-worker V8 limits; a task that exceeds them crashes its worker, which is replaced. */
  readonly resourceLimits?: ResourceLimits;
}

export interface PreprocessPoolStats {
  readonly threads: number;
  readonly busy: number;
  readonly queued: number;
  /** Tasks that returned rows. */
  readonly completed: number;
  /** Tasks that ran and failed: a preprocessing error or a worker crash (not queue-full rejections). */
  readonly failed: number;
}

/** A plain (non-Sluice) error thrown while preprocessing, with the item it was thrown for. */
export class PreprocessError extends Error {
  readonly code: string | undefined;
  /** Index into the task's items; undefined when the preprocessor itself could not be built. */
  readonly itemIndex: number | undefined;

  constructor(serialized: SerializedError) {
    super(serialized.message);
    this.name = 'PreprocessError';
    this.code = serialized.code;
    this.itemIndex = serialized.itemIndex;
  }
}

export const DEFAULT_MAX_QUEUED = 256;

interface Task {
  readonly message: PreprocessTask;
  readonly resolve: (rows: Row[]) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  task: Task | undefined;
  ready: boolean;
  retiring: boolean;
  /** The uncaught error the worker reported before exiting, if any. */
  crash: Error | undefined;
}

export class PreprocessPool {
  readonly #maxQueued: number;
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #slots = new Set<Slot>();
  readonly #queue: Task[] = [];
  #nextId = 1;
  #completed = 0;
  #failed = 0;
  #startupError: Error | undefined;
  #closed: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;

  constructor(options: PreprocessPoolOptions = {}) {
    const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism() - 1) || 1);
    this.#maxQueued = Math.max(0, options.maxQueued ?? DEFAULT_MAX_QUEUED);
    this.#resourceLimits = options.resourceLimits;
    for (let index = 0; index < threads; index++) this.#spawn();
  }

  /** The rows of `items`, in order; rejects with the first item's preprocessing error. */
  run(spec: ModelSpec, items: readonly Item[]): Promise<Row[]> {
    if (this.#closed !== undefined)
      return Promise.reject(new SluiceError('ERR_SERVER_SHUTTING_DOWN', 'the preprocessing pool is closed'));
    if (this.#slots.size === 0 && this.#startupError !== undefined) return Promise.reject(this.#startupError);
    if (items.length === 0) return Promise.resolve([]);
    const idle = this.#idleSlot();
    if (idle === undefined && this.#queue.length >= this.#maxQueued) {
      return Promise.reject(
        new SluiceError(
          'ERR_ADMISSION_QUEUE_FULL',
          `the preprocessing queue is full (${this.#maxQueued} tasks waiting)`,
        ),
      );
    }
    return new Promise<Row[]>((resolve, reject) => {
      const { preprocessing, inputs, tensors } = spec;
      const task: Task = {
        message: { id: this.#nextId++, spec: { preprocessing, inputs, tensors }, items },
        resolve,
        reject,
      };
      if (idle === undefined) this.#queue.push(task);
      else this.#dispatch(idle, task);
    });
  }

  stats(): PreprocessPoolStats {
    let busy = 0;
    for (const slot of this.#slots) if (slot.task !== undefined) busy++;
    return {
      threads: this.#slots.size,
      busy,
      queued: this.#queue.length,
      completed: this.#completed,
      failed: this.#failed,
    };
  }

  /** Stops taking tasks, lets running and queued ones finish, then terminates the workers. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
    for (const slot of this.#slots) if (slot.task === undefined && !slot.retiring) this.#retire(slot);
    this.#settleClose();
    return this.#closed;
  }

  #spawn(): Slot {
    const worker = new Worker(workerBootstrap(import.meta.url), {
      eval: true,
      execArgv: workerExecArgv(process.execArgv),
      resourceLimits: this.#resourceLimits,
    });
    const slot: Slot = { worker, task: undefined, ready: false, retiring: false, crash: undefined };
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.#onReply(slot, reply));
    worker.on('error', (error: Error) => {
      slot.crash = error;
    });
    worker.on('exit', (code) => this.#onExit(slot, code));
    this.#slots.add(slot);
    return slot;
  }

  #idleSlot(): Slot | undefined {
    for (const slot of this.#slots) if (slot.task === undefined && !slot.retiring) return slot;
    return undefined;
  }

  #dispatch(slot: Slot, task: Task): void {
    slot.task = task;
    slot.worker.ref();
    try {
      slot.worker.postMessage(task.message);
    } catch (error) {
      // An item structured clone cannot copy (a function, a symbol): that task's fault, not the worker's.
      slot.task = undefined;
      this.#failed++;
      task.reject(error as Error);
      this.#next(slot);
    }
  }

  #onReply(slot: Slot, reply: WorkerReply): void {
    if (reply.type === 'ready') {
      slot.ready = true;
      return;
    }
    const task = slot.task;
    slot.task = undefined;
    if (task !== undefined && task.message.id === reply.id) {
      if (reply.type === 'done') {
        this.#completed++;
        task.resolve(reply.rows);
      } else {
        this.#failed++;
        task.reject(deserializeError(reply.error));
      }
    }
    this.#next(slot);
  }

  /** A worker just became free: give it the oldest waiting task, or let it rest. */
  #next(slot: Slot): void {
    const task = this.#queue.shift();
    if (task !== undefined) return this.#dispatch(slot, task);
    slot.worker.unref();
    if (this.#closed !== undefined) this.#retire(slot);
  }

  #retire(slot: Slot): void {
    slot.retiring = true;
    void slot.worker.terminate();
  }

  #onExit(slot: Slot, code: number): void {
    this.#slots.delete(slot);
    if (!slot.retiring) this.#onCrash(slot, code);
    this.#settleClose();
  }

  #onCrash(slot: Slot, code: number): void {
    const reason = slot.crash?.message ?? `exit code ${code}`;
    if (slot.task !== undefined) {
      this.#failed++;
      slot.task.reject(
        new SluiceError('ERR_INTERNAL', `preprocessing worker crashed: ${reason}`, { cause: slot.crash }),
      );
    }
    if (!slot.ready) {
      this.#startupError = new SluiceError('ERR_INTERNAL', `preprocessing worker failed to start: ${reason}`, {
        cause: slot.crash,
      });
      if (this.#slots.size === 0) this.#rejectQueued(this.#startupError);
      return;
    }
    if (this.#closed !== undefined && this.#queue.length === 0) return;
    this.#next(this.#spawn());
  }

  #rejectQueued(error: Error): void {
    for (const task of this.#queue.splice(0)) {
      this.#failed++;
      task.reject(error);
    }
  }

  #settleClose(): void {
    if (this.#closed !== undefined && this.#slots.size === 0) this.#resolveClosed?.();
  }
}

function deserializeError(serialized: SerializedError): Error {
  if (serialized.code !== undefined && serialized.code in ERROR_CODES) {
    const options = serialized.field === undefined ? {} : { field: serialized.field };
    return new SluiceError(serialized.code as ErrorCode, serialized.message, options);
  }
  return new PreprocessError(serialized);
}

/** The script a preprocessing worker starts with (see `workerModuleBootstrap`). */
export function workerBootstrap(selfUrl: string): string {
  const fromSource = selfUrl.endsWith('.ts');
  return workerModuleBootstrap(new URL(fromSource ? './preprocess-worker.ts' : './preprocess-worker.js', selfUrl).href);
}
