/**
 * Builds sluice's default model repository from nothing but a seed: generates the
 * data, trains four models, exports them to ONNX, evaluates them through
 * onnxruntime and writes `<outDir>/<name>/1/{model.onnx, model.yaml, README.md, golden.jsonl}`.
 *
 * Every random choice draws from a stream derived from the seed (see `rng.ts`), so
 * the same seed writes the same bytes. Nothing time-dependent goes into the files;
 * build durations are only logged.
 */
import { generateIntentExamples } from './data/intent-generator.ts';
import { generateNoshowExamples } from './data/noshow-generator.ts';
import { modelsPresent, writeArtifacts, type BuiltModelSummary, type ModelArtifacts } from './models/artifacts.ts';
import { buildEmbedModel, EMBED_NAME } from './models/embed.ts';
import { buildNoshowModel, NOSHOW_NAME } from './models/noshow.ts';
import { buildTriageModel, TRIAGE_LARGE, TRIAGE_SMALL, type IntentCorpus } from './models/triage.ts';
import { deriveSeed } from '../../core/seeded-rng.ts';
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
    const metrics = Object.entries(summary.metrics).map(([key, value]) => `${key} ${value.toFixed(4)}`);
    log(
      `${name}: ${metrics.join(', ')}; ${(summary.onnxBytes / 1e6).toFixed(2)} MB; ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    summaries.push(summary);
  }
  return summaries;
}

/** True when all four default models are in `dir` (each with model.yaml and model.onnx). */
export function defaultModelsPresent(dir: string): boolean {
  return modelsPresent(dir, DEFAULT_MODEL_NAMES);
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
