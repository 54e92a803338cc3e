/**
 * What `sluice serve` does with its model repository before it loads it: build the
 * embedded demo models, serve what is there, or refuse to start.
 *
 * The demo models are built only into the default repository (`models` in the working
 * directory), and only the ones whose version directory is missing: a repository the
 * user names (`--models`, the config file, `SLUICE_MODELS__REPOSITORY`) is never written
 * to, so a model someone edited is never replaced by a demo. A named repository without
 * a single model is a mistake worth stopping for, not an empty server, unless remote
 * backends are configured: then it is a gateway with no local model yet.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_MODEL_REPOSITORY, type Config } from '../config/schema.ts';
import { missingDefaultModels, type DefaultModelName } from '../offline/training/build-models.ts';

export type RepositoryPlan =
  | { readonly kind: 'build'; readonly models: readonly DefaultModelName[] }
  | { readonly kind: 'serve' }
  | { readonly kind: 'refuse'; readonly message: string };

export function planRepository(
  models: Readonly<Config['models']>,
  cwd = process.cwd(),
  remoteBackends = false,
): RepositoryPlan {
  const repository = resolve(cwd, models.repository);
  if (repository === resolve(cwd, DEFAULT_MODEL_REPOSITORY)) {
    const missing = models.build_defaults ? missingDefaultModels(repository) : [];
    return missing.length > 0 ? { kind: 'build', models: missing } : { kind: 'serve' };
  }
  if (holdsModels(repository) || (remoteBackends && existsSync(repository))) return { kind: 'serve' };
  const problem = existsSync(repository) ? 'holds no models (<name>/<version>/model.yaml)' : 'does not exist';
  return {
    kind: 'refuse',
    message:
      `model repository ${models.repository} ${problem}. The embedded default models are built only into ` +
      `the default repository (${DEFAULT_MODEL_REPOSITORY}), never into a directory you name; to write them ` +
      `into this one, run: sluice build-models --out ${models.repository}`,
  };
}

/** True when some `<name>/<version>/model.yaml` exists (hidden directories skipped, as the reader does). */
function holdsModels(repository: string): boolean {
  return subdirectories(repository).some((name) =>
    subdirectories(join(repository, name)).some((version) => existsSync(join(repository, name, version, 'model.yaml'))),
  );
}

function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}
