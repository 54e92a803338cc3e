import { defaultModelsDir } from '../../../../test/support/models.ts';
import { runModelSessionContract } from './model-session.contract.ts';
import { openModelSession } from './open-model-session.ts';

const OPTIONS = { intraOpThreads: 1 };

runModelSessionContract(
  'a worker-thread session',
  (onnxPath, declared) => openModelSession(onnxPath, declared, { ...OPTIONS, execution: 'worker' }),
  defaultModelsDir,
);
runModelSessionContract(
  'a main-thread session',
  (onnxPath, declared) => openModelSession(onnxPath, declared, { ...OPTIONS, execution: 'main' }),
  defaultModelsDir,
);
