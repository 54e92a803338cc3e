/**
 * The default models, built once per version of the training code and shared by the
 * test files: the cache key hashes the sources that decide the models' bytes, and a
 * build lands by atomic rename so test files running in parallel never see half of one.
 */
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDefaultModels } from '../../src/offline/training/build-models.ts';
import { DEFAULT_SEED } from '../../src/offline/training/default-seed.ts';
import { modelSourceHash } from '../../src/offline/training/source-hash.ts';

export async function defaultModelsDir(seed = DEFAULT_SEED): Promise<string> {
  const dir = join(tmpdir(), `sluice-test-models-${seed}-${modelSourceHash()}`);
  if (existsSync(dir)) return dir;
  const staging = mkdtempSync(join(tmpdir(), 'sluice-models-staging-'));
  await buildDefaultModels(staging, { seed });
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another test file won the race; its build is identical (the build is deterministic).
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(dir)) throw error;
  }
  return dir;
}
