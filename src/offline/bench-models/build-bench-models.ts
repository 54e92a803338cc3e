/**
 * The benchmark model repository: `dense-heavy` (compute-bound MLP) and `image-small`
 * (convolutional classifier on a large FP32 input), version 1 each, with random weights.
 * Nothing is trained, so a build takes a second or two, and the same seed gives the same bytes.
 */
import { writeArtifacts, type BuiltModelSummary } from '../training/models/artifacts.ts';
import { DEFAULT_SEED } from '../training/default-seed.ts';
import { DENSE_HEAVY_NAME, denseHeavyModel } from './dense-heavy.ts';
import { IMAGE_SMALL_NAME, imageSmallModel } from './image-small.ts';

export const BENCH_MODEL_NAMES = [DENSE_HEAVY_NAME, IMAGE_SMALL_NAME] as const;

export interface BenchModelOptions {
  readonly seed?: number;
}

/** Writes both models into `dir` as `<name>/1/{model.onnx, model.yaml, README.md, golden.jsonl}`. */
export async function buildBenchModels(dir: string, options: BenchModelOptions = {}): Promise<BuiltModelSummary[]> {
  const seed = options.seed ?? DEFAULT_SEED;
  const summaries: BuiltModelSummary[] = [];
  // One at a time, so only one model's weights are in memory at once.
  for (const build of [denseHeavyModel, imageSmallModel]) summaries.push(await writeArtifacts(dir, build(seed)));
  return summaries;
}
