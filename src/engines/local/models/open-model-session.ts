/** Picks where an instance's batches execute: `model-session.ts` draws the two kinds of session. */
import type { OpenSession } from './model-session.ts';
import { openOnnxSession } from './onnx-session.ts';
import { openWorkerSession } from './worker-session.ts';

/** Opens one instance's session where `options.execution` says; both check the graph against `declared` alike. */
export const openModelSession: OpenSession = (onnxPath, declared, options) => {
  const { execution = 'worker', ...sessionOptions } = options;
  return execution === 'main' ? openOnnxSession(onnxPath, declared, sessionOptions) : openWorkerSession(onnxPath, declared, sessionOptions);
};
