/** `sluice build-models`: writes the embedded default models into a repository. */
import { buildDefaultModels } from '../offline/training/build-models.ts';

export async function buildModelsCommand(options: { out: string; seed: number }): Promise<void> {
  const started = Date.now();
  const built = await buildDefaultModels(options.out, { seed: options.seed, log: (line) => console.log(line) });
  console.log(`built ${built.length} models into ${options.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
