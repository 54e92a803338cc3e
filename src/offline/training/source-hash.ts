/**
 * A short hash of the sources that decide the default models' bytes (training code,
 * preprocessing, the model.yaml schema, their reference profiles), so caches of built models are keyed by what
 * built them and never serve models from older code.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCES = [
  'offline/training',
  'offline/profile',
  'quality/features.ts',
  'quality/reference-profile.ts',
  'quality/embedding-reference.ts',
  'quality/embedding-window.ts',
  'quality/text-reference.ts',
  'quality/sketches/moments.ts',
  'quality/sketches/oov-counts.ts',
  'quality/sketches/text-summary.ts',
  'engines/local/preprocess',
  'engines/local/models/model-spec.ts',
  'core/seeded-rng.ts',
  'core/text.ts',
  'core/fnv.ts',
];

interface SourceTree {
  /** The package root. */
  readonly root: string;
  /** `src` (TypeScript) or `dist` (the compiled JavaScript, all an installed package has). */
  readonly dir: string;
  readonly extension: '.ts' | '.js';
}

/** The tree this module runs from: src/ through tsx, dist/ once compiled. */
const OWN_TREE: SourceTree = (() => {
  const tree = fileURLToPath(new URL('../..', import.meta.url));
  const extension = extname(fileURLToPath(import.meta.url)) === '.ts' ? '.ts' : '.js';
  return { root: dirname(tree), dir: basename(tree), extension };
})();

/** Hashes `root`'s src/ when given (a checkout, e.g. another commit's), else the tree this module runs from. */
export function modelSourceHash(root?: string): string {
  const tree: SourceTree = root === undefined ? OWN_TREE : { root, dir: 'src', extension: '.ts' };
  const hash = createHash('sha256');
  const files = SOURCES.flatMap((path) =>
    listSources(join(tree.root, tree.dir, path.replace(/\.ts$/, tree.extension)), tree.extension),
  ).sort();
  for (const file of files) hash.update(relative(tree.root, file)).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

function listSources(path: string, extension: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .flatMap((entry) => listSources(join(path, entry), extension))
    .filter((file) => file.endsWith(extension) && !file.endsWith(`.test${extension}`) && !file.endsWith('.d.ts'));
}
