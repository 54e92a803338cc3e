/**
 * The default models, built once per version of the training code and shared by the
 * test files: the cache key hashes the sources that decide the models' bytes, and a
 * build lands by atomic rename so test files running in parallel never see half of one.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDefaultModels, DEFAULT_SEED } from '../../src/training/build-models.ts';

const SOURCE_DIRS = ['src/training', 'src/preprocess', 'src/models/model-spec.ts'];

export async function defaultModelsDir(seed = DEFAULT_SEED): Promise<string> {
  const dir = join(tmpdir(), `sluice-test-models-${seed}-${sourceHash()}`);
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

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of SOURCE_DIRS.flatMap(listFiles).sort()) hash.update(file).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((entry) => listFiles(join(path, entry))).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
}
