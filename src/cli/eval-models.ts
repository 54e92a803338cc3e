/** The models `sluice eval` measures: the default ones are built into the default repository when missing. */
import type { Config } from '../config/schema.ts';
import { buildMissingDefaultModels } from '../offline/training/build-models.ts';
import { planRepository } from './repository-plan.ts';

export async function ensureModels(config: Readonly<Config>): Promise<void> {
  const plan = planRepository(config.models);
  if (plan.kind === 'refuse') throw new Error(plan.message);
  if (plan.kind === 'build')
    await buildMissingDefaultModels(config.models.repository, { seed: config.models.build_seed, models: plan.models });
}
