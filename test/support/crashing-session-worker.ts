/**
 * The real session worker, plus a fault: a run whose batch has a sequence dimension of
 * exactly `CRASH_SEQUENCE_LENGTH` throws out of the message handler, an uncaught
 * exception that kills the thread mid-batch, as a bug in the worker would. For
 * triage-small (max_tokens 64) that is any message of 64 words or more; its warm-up
 * samples are far shorter, so an instance warms up and serves until a long message comes.
 */
import { parentPort } from 'node:worker_threads';
import type { SessionRequest } from '../../src/engines/local/models/session-worker.ts';
import '../../src/engines/local/models/session-worker.ts';

export const CRASH_SEQUENCE_LENGTH = 64;

export const CRASHING_SESSION_WORKER = new URL(import.meta.url);

parentPort?.on('message', (request: SessionRequest) => {
  if (request.type !== 'run') return;
  if (Object.values(request.inputs).some((tensor) => tensor.dims[1] === CRASH_SEQUENCE_LENGTH)) {
    throw new Error('injected crash: a 64-token row');
  }
});
