/**
 * A short hash of the sources that decide the default models' bytes (training code,
 * preprocessing, the model.yaml schema), so caches of built models are keyed by what
 * built them and never serve models from older code.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SOURCES = [
  'src/offline/training',
  'src/engines/local/preprocess',
  'src/engines/local/models/model-spec.ts',
  'src/core/seeded-rng.ts',
];

export function modelSourceHash(root = ROOT): string {
  const hash = createHash('sha256');
  const files = SOURCES.flatMap((path) => listSources(join(root, path))).sort();
  for (const file of files) hash.update(relative(root, file)).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

function listSources(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .flatMap((entry) => listSources(join(path, entry)))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
}
