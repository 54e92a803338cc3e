/**
 * Worker thread of the `PreprocessPool`: turns items into rows with the same
 * `makePreprocessor` the main thread uses, so offloaded rows are bit-identical.
 *
 * It handles one task at a time (the pool never sends a second before the reply)
 * and never throws out of a task: a preprocessing error becomes a `failed` reply
 * naming the item, so only a real crash (out of memory, a native abort) kills it.
 */
import { parentPort } from 'node:worker_threads';
import type { ModelSpec } from '../models/model-spec.ts';
import type { Row } from '../../../core/tensors.ts';
import { makePreprocessor, type Item, type Preprocessor } from './index.ts';

/** The parts of a spec that `makePreprocessor` reads; plain JSON, cheap to clone per task. */
export type PreprocessSpec = Pick<ModelSpec, 'preprocessing' | 'inputs' | 'tensors'>;

export interface PreprocessTask {
  readonly id: number;
  readonly spec: PreprocessSpec;
  readonly items: readonly Item[];
}

/** An error as it crosses the thread boundary; structured clone would drop `code` and `field`. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
  readonly field: string | undefined;
  /** The item being preprocessed when it was thrown; undefined when building the preprocessor failed. */
  readonly itemIndex: number | undefined;
}

export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number; readonly rows: Row[] }
  | { readonly type: 'failed'; readonly id: number; readonly error: SerializedError };

export function runTask(task: PreprocessTask): WorkerReply {
  let preprocess: Preprocessor;
  try {
    // makePreprocessor reads only the sections in PreprocessSpec (the pool's tests compare every kind).
    preprocess = makePreprocessor(task.spec as ModelSpec);
  } catch (error) {
    return { type: 'failed', id: task.id, error: serializeError(error, undefined) };
  }
  const rows: Row[] = [];
  for (const [index, item] of task.items.entries()) {
    try {
      rows.push(preprocess(item));
    } catch (error) {
      return { type: 'failed', id: task.id, error: serializeError(error, index) };
    }
  }
  return { type: 'done', id: task.id, rows };
}

export function serializeError(error: unknown, itemIndex: number | undefined): SerializedError {
  if (!(error instanceof Error))
    return { name: 'Error', message: String(error), code: undefined, field: undefined, itemIndex };
  const { code, field } = error as Error & { code?: unknown; field?: unknown };
  return {
    name: error.name,
    message: error.message,
    code: typeof code === 'string' ? code : undefined,
    field: typeof field === 'string' ? field : undefined,
    itemIndex,
  };
}

/**
 * The buffers to move rather than copy back to the main thread. A buffer is moved only
 * when the tensor owns all of it: moving a view's shared backing store would take
 * memory other tensors (or Node's Buffer pool) still use.
 */
export function transferablesOf(rows: readonly Row[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const row of rows) {
    for (const tensor of Object.values(row)) {
      const { buffer, byteLength } = tensor.data;
      if (buffer instanceof ArrayBuffer && buffer.byteLength === byteLength) buffers.add(buffer);
    }
  }
  return [...buffers];
}

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (task: PreprocessTask) => {
    const reply = runTask(task);
    port.postMessage(reply, reply.type === 'done' ? transferablesOf(reply.rows) : []);
  });
  port.postMessage({ type: 'ready' } satisfies WorkerReply);
}
