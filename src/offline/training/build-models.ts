/**
 * Builds sluice's default model repository from nothing but a seed: generates the
 * data, trains four models, exports them to ONNX, evaluates them through
 * onnxruntime and writes `<outDir>/<name>/1/{model.onnx, model.yaml, README.md, golden.jsonl}`.
 *
 * Every random choice draws from a stream derived from the seed (see `rng.ts`), so
 * the same seed writes the same bytes. Nothing time-dependent goes into the files;
 * build durations are only logged.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerExecArgv, workerModuleBootstrap } from '../../engines/local/preprocess/worker-bootstrap.ts';
import { generateIntentExamples } from './data/intent-generator.ts';
import { generateNoshowExamples } from './data/noshow-generator.ts';
import {
  MODEL_VERSION,
  modelsPresent,
  writeArtifacts,
  type BuiltModelSummary,
  type ModelArtifacts,
} from './models/artifacts.ts';
import { buildEmbedModel, EMBED_NAME } from './models/embed.ts';
import { buildNoshowModel, NOSHOW_NAME } from './models/noshow.ts';
import { buildTriageModel, TRIAGE_LARGE, TRIAGE_SMALL, type IntentCorpus } from './models/triage.ts';
import { deriveSeed } from '../../core/seeded-rng.ts';
import { profileModelVersion } from '../profile/profile-model.ts';
import { MAX_REFERENCE_ROWS, writeProfile } from '../../quality/reference-profile.ts';
import { DEFAULT_SEED } from './default-seed.ts';

export type { BuiltModelSummary } from './models/artifacts.ts';

export const DEFAULT_MODEL_NAMES = [TRIAGE_SMALL.name, TRIAGE_LARGE.name, EMBED_NAME, NOSHOW_NAME] as const;
export type DefaultModelName = (typeof DEFAULT_MODEL_NAMES)[number];

export const DATA_SIZES = { intentTrain: 6000, intentGolden: 800, noshowTrain: 8000, noshowGolden: 2000 } as const;

export interface BuildOptions {
  readonly seed?: number;
  readonly log?: (line: string) => void;
  /** Build only these models (all four by default); the others' directories are left alone. */
  readonly models?: readonly DefaultModelName[];
}

export async function buildDefaultModels(outDir: string, options: BuildOptions = {}): Promise<BuiltModelSummary[]> {
  const seed = options.seed ?? DEFAULT_SEED;
  const log = options.log ?? (() => {});
  const wanted = new Set<DefaultModelName>(options.models ?? DEFAULT_MODEL_NAMES);
  const builders: Array<[DefaultModelName, () => Promise<ModelArtifacts>]> = [];
  let intents: IntentCorpus | undefined;
  const intentCorpus = (): IntentCorpus => (intents ??= generateIntentCorpus(seed));
  builders.push([TRIAGE_SMALL.name, () => buildTriageModel(TRIAGE_SMALL, intentCorpus(), seed, log)]);
  builders.push([TRIAGE_LARGE.name, () => buildTriageModel(TRIAGE_LARGE, intentCorpus(), seed, log)]);
  builders.push([EMBED_NAME, () => buildEmbedModel(intentCorpus(), seed, log)]);
  builders.push([NOSHOW_NAME, () => buildNoshowModel(generateNoshowCorpus(seed), seed, log)]);

  const summaries: BuiltModelSummary[] = [];
  for (const [name, build] of builders) {
    if (!wanted.has(name)) continue;
    const started = performance.now();
    const summary = await writeArtifacts(outDir, await build());
    await writeReferenceProfile(summary.dir, name, seed);
    const metrics = Object.entries(summary.metrics).map(([key, value]) => `${key} ${value.toFixed(4)}`);
    log(
      `${name}: ${metrics.join(', ')}; ${(summary.onnxBytes / 1e6).toFixed(2)} MB; ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    summaries.push(summary);
  }
  return summaries;
}

/**
 * The reference profile data quality tests live traffic against: a fresh draw of the data
 * generator the model was trained on, as the golden set is. Not the training rows themselves:
 * a model is more confident on the rows it was fitted to than on any new ones, and that gap
 * would read as confidence drift on healthy traffic.
 */
async function writeReferenceProfile(dir: string, name: DefaultModelName, seed: number): Promise<void> {
  const stream = deriveSeed(seed, `${name}/reference`);
  const items: Array<Record<string, unknown>> =
    name === NOSHOW_NAME
      ? generateNoshowExamples({ seed: stream, count: MAX_REFERENCE_ROWS }).map((example) => ({ ...example.item }))
      : generateIntentExamples({ seed: stream, count: MAX_REFERENCE_ROWS, split: 'golden' }).map((example) => ({
          text: example.text,
        }));
  const source = `a held-out draw of the default models' data generator (seed ${seed}), ${items.length} items`;
  writeProfile(dir, await profileModelVersion(dir, items, { source, seed }));
}

/** True when all four default models are in `dir` (each with model.yaml and model.onnx). */
export function defaultModelsPresent(dir: string): boolean {
  return modelsPresent(dir, DEFAULT_MODEL_NAMES);
}

/** The default models whose version directory is absent from `dir` (whatever an existing one holds). */
export function missingDefaultModels(dir: string): DefaultModelName[] {
  return DEFAULT_MODEL_NAMES.filter((name) => !existsSync(join(dir, name, MODEL_VERSION)));
}

/**
 * Builds the default models whose version directory is missing (`options.models` narrows
 * them further) and never writes over one that exists. Each model is built in a hidden
 * staging directory (the repository reader skips dot-directories) and moved into place
 * whole, so an interrupted build leaves no half-written version to be taken for a model
 * the user made.
 */
export async function buildMissingDefaultModels(
  repository: string,
  options: BuildOptions = {},
): Promise<BuiltModelSummary[]> {
  const missing = missingDefaultModels(repository).filter((name) => options.models?.includes(name) ?? true);
  if (missing.length === 0) return [];
  await mkdir(repository, { recursive: true });
  const staging = await mkdtemp(join(repository, '.building-'));
  try {
    const built = await buildDefaultModels(staging, { ...options, models: missing });
    const placed: BuiltModelSummary[] = [];
    for (const summary of built) {
      const target = join(repository, summary.name, summary.version);
      if (existsSync(target)) {
        options.log?.(`${summary.name}: ${target} appeared during the build; left as it is`);
        continue;
      }
      await mkdir(join(repository, summary.name), { recursive: true });
      await rename(summary.dir, target);
      placed.push({ ...summary, dir: target });
    }
    return placed;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** What `build-models-worker.ts` is started with. */
export interface BuildWorkerData {
  readonly kind: 'sluice-build-models';
  readonly repository: string;
  readonly seed: number;
  readonly models: readonly DefaultModelName[];
}

/** What it posts back: log lines as the build goes, then one outcome. */
export type BuildWorkerReply =
  | { readonly kind: 'log'; readonly line: string }
  | { readonly kind: 'built'; readonly summaries: BuiltModelSummary[] }
  | { readonly kind: 'failed'; readonly message: string; readonly stack: string | undefined };

const BUILD_WORKER = new URL(
  import.meta.url.endsWith('.ts') ? './build-models-worker.ts' : './build-models-worker.js',
  import.meta.url,
);

/**
 * `buildMissingDefaultModels` in a worker thread: training keeps its thread busy for
 * seconds on end, and the caller's event loop (a server answering liveness probes) must
 * stay free. Log lines arrive through `options.log` as the build goes.
 */
export function buildMissingDefaultModelsInWorker(
  repository: string,
  options: BuildOptions = {},
): Promise<BuiltModelSummary[]> {
  const workerData: BuildWorkerData = {
    kind: 'sluice-build-models',
    repository,
    seed: options.seed ?? DEFAULT_SEED,
    models: options.models ?? DEFAULT_MODEL_NAMES,
  };
  const worker = new Worker(workerModuleBootstrap(BUILD_WORKER.href), {
    eval: true,
    execArgv: workerExecArgv(process.execArgv),
    workerData,
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
      void worker.terminate();
    };
    worker.on('message', (reply: BuildWorkerReply) => {
      if (reply.kind === 'log') options.log?.(reply.line);
      else if (reply.kind === 'built') settle(() => resolve(reply.summaries));
      else settle(() => reject(workerFailure(reply.message, reply.stack)));
    });
    worker.on('error', (error: Error) => settle(() => reject(error)));
    worker.on('exit', (code) =>
      settle(() => reject(new Error(`the model build's worker thread exited (code ${code}) before it finished`))),
    );
  });
}

/** The worker's error, with the worker's stack (where the build failed) rather than this thread's. */
function workerFailure(message: string, stack: string | undefined): Error {
  const error = new Error(message);
  if (stack !== undefined) error.stack = stack;
  return error;
}

export function generateIntentCorpus(seed: number): IntentCorpus {
  return {
    train: generateIntentExamples({
      seed: deriveSeed(seed, 'intents/train'),
      count: DATA_SIZES.intentTrain,
      split: 'train',
    }),
    golden: generateIntentExamples({
      seed: deriveSeed(seed, 'intents/golden'),
      count: DATA_SIZES.intentGolden,
      split: 'golden',
    }),
  };
}

function generateNoshowCorpus(seed: number) {
  return {
    train: generateNoshowExamples({ seed: deriveSeed(seed, 'noshow/train'), count: DATA_SIZES.noshowTrain }),
    golden: generateNoshowExamples({ seed: deriveSeed(seed, 'noshow/golden'), count: DATA_SIZES.noshowGolden }),
  };
}
