/**
 * The model repository benchmarks serve: the embedded default models, built once per
 * version of the training code into `.bench-results/models-<source hash>` (gitignored).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelSourceHash } from '../../src/offline/training/source-hash.ts';
import { REPOSITORY_ROOT } from './server-process.ts';

export const BENCH_MODELS_DIR = join(REPOSITORY_ROOT, '.bench-results', `models-${modelSourceHash(REPOSITORY_ROOT)}`);

const BUILD_TIMEOUT_MS = 10 * 60_000;

/**
 * Builds the default models into `dir` unless they are all there. It runs in a child
 * process against `root`'s sources, so the load generator never loads the training code.
 */
export async function ensureBenchModels(dir = BENCH_MODELS_DIR, root = REPOSITORY_ROOT): Promise<string> {
  await runBuildScript(
    [
      `import { buildDefaultModels, defaultModelsPresent } from './src/offline/training/build-models.ts';`,
      `const dir = ${JSON.stringify(dir)};`,
      `if (!defaultModelsPresent(dir)) { console.log('building the default models into ' + dir); await buildDefaultModels(dir, { log: console.log }); }`,
    ],
    dir,
    root,
  );
  return dir;
}

/**
 * The models users bring, stood in for by `dense-heavy` and `image-small` (random weights,
 * seeded: the same bytes every time), written into `dir` in a child process like the defaults.
 */
export async function buildRealModels(dir: string, root = REPOSITORY_ROOT): Promise<string> {
  await runBuildScript(
    [
      `import { buildBenchModels } from './src/offline/bench-models/build-bench-models.ts';`,
      `await buildBenchModels(${JSON.stringify(dir)});`,
    ],
    dir,
    root,
  );
  return dir;
}

async function runBuildScript(lines: readonly string[], dir: string, root: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', lines.join('\n')], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`building the benchmark models into ${dir} failed (exit ${code})`);
}

/** The texts of a model's held-out golden set: realistic patient messages of varied length. */
export async function goldenTexts(modelsDir: string, model: string): Promise<string[]> {
  const lines = (await readFile(join(modelsDir, model, '1', 'golden.jsonl'), 'utf8')).split('\n');
  const texts: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const row: unknown = JSON.parse(line);
    if (typeof row === 'object' && row !== null && 'text' in row && typeof row.text === 'string') texts.push(row.text);
  }
  if (texts.length === 0) throw new Error(`no texts in ${model}'s golden set`);
  return texts;
}
