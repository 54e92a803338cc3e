/**
 * The other end of `buildMissingDefaultModelsInWorker`: trains the default models in a worker
 * thread, because training keeps a thread busy for seconds at a time and the server's
 * event loop must keep answering liveness probes meanwhile.
 *
 *   workerData { repository, seed, models } ──► buildMissingDefaultModels
 *        ◄── { log, line } … { built, summaries } | { failed, message }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildMissingDefaultModels, type BuildWorkerData, type BuildWorkerReply } from './build-models.ts';
import { asError } from '../../core/errors.ts';

const data = workerData as BuildWorkerData | undefined;
if (parentPort !== null && data?.kind === 'sluice-build-models') {
  const port = parentPort;
  const send = (reply: BuildWorkerReply) => port.postMessage(reply);
  try {
    const summaries = await buildMissingDefaultModels(data.repository, {
      seed: data.seed,
      models: data.models,
      log: (line) => send({ kind: 'log', line }),
    });
    send({ kind: 'built', summaries });
  } catch (error) {
    const failure = asError(error);
    send({ kind: 'failed', message: failure.message, stack: failure.stack });
  }
}
