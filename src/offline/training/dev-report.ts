/**
 * Accuracy of the triage variants and the embedding on a development set, for tuning
 * the data generator and hyper-parameters without ever looking at the golden set.
 * The dev set is generated exactly like the golden set, from its own stream.
 *
 *   npx tsx src/offline/training/dev-report.ts [seed]
 */
import { pathToFileURL } from 'node:url';
import { DATA_SIZES, generateIntentCorpus } from './build-models.ts';
import { DEFAULT_SEED } from './default-seed.ts';
import { generateIntentExamples } from './data/intent-generator.ts';
import { buildEmbedModel } from './models/embed.ts';
import { buildTriageModel, TRIAGE_LARGE, TRIAGE_SMALL } from './models/triage.ts';
import { deriveSeed } from '../../core/seeded-rng.ts';

export async function devReport(seed: number, log: (line: string) => void): Promise<Record<string, number>> {
  const { train } = generateIntentCorpus(seed);
  const dev = generateIntentExamples({
    seed: deriveSeed(seed, 'intents/dev'),
    count: 2 * DATA_SIZES.intentGolden,
    split: 'golden',
  });
  const corpus = { train, golden: dev };
  const quiet = () => {};
  const report: Record<string, number> = {};
  for (const variant of [TRIAGE_SMALL, TRIAGE_LARGE]) {
    report[variant.name] = (await buildTriageModel(variant, corpus, seed, quiet)).metrics.golden_accuracy ?? 0;
    log(`${variant.name}: dev accuracy ${report[variant.name]?.toFixed(4)}`);
  }
  report.embed = (await buildEmbedModel(corpus, seed, quiet)).metrics.golden_knn_accuracy ?? 0;
  log(`embed: dev nearest-neighbour accuracy ${report.embed.toFixed(4)}`);
  return report;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await devReport(Number(process.argv[2] ?? DEFAULT_SEED), console.log);
}
