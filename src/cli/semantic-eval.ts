/**
 * `sluice eval --semantic-cache`: the semantic cache's hit rate on paraphrase pairs and
 * false-hit rate on non-paraphrase pairs at a sweep of thresholds, each prompt embedded by
 * an in-process server's embedding model exactly as the cache embeds a chat's user turn
 * (docs/cost.md#the-semantic-cache).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig } from '../config/load.ts';
import { Embedder } from '../cost/cache/semantic/embedder.ts';
import { cosine } from '../cost/cache/semantic/semantic-index.ts';
import {
  DEFAULT_SIMILARITY_THRESHOLDS,
  parsePairs,
  scorePairs,
  sweepThresholds,
  thresholdTable,
} from '../cost/cache/semantic/semantic-eval.ts';
import { createSluice } from '../http/server.ts';
import { ANONYMOUS } from '../tenancy/tenant-directory.ts';
import { ensureModels } from './eval-models.ts';

/** The project's labelled pairs, in a checkout (src/ and dist/ are both two levels below the root). */
export const DEFAULT_PAIRS = fileURLToPath(
  new URL('../../src/cost/cache/semantic/semantic-pairs.jsonl', import.meta.url),
);

export interface SemanticEvalOptions {
  readonly config?: string;
  readonly repository?: string;
  readonly embeddingModel?: string;
  readonly pairs?: string;
  readonly thresholds?: readonly number[];
}

export async function runSemanticEval(options: SemanticEvalOptions): Promise<string> {
  const file = options.pairs ?? DEFAULT_PAIRS;
  const pairs = parsePairs(readFileSync(file, 'utf8'), file);
  const model = options.embeddingModel ?? 'embed';
  const config = loadConfig({
    ...(options.config === undefined ? {} : { file: options.config }),
    overrides: {
      ...(options.repository === undefined ? {} : { models: { repository: options.repository } }),
      admission: { enabled: false },
    },
  });
  await ensureModels(config);
  const sluice = createSluice(config, pino({ level: 'silent' }));
  try {
    await sluice.openState();
    await sluice.models.loadRepository(config.models.repository);
    const embedder = new Embedder((name) => sluice.targets.resolve(name), config.load_control.enabled);
    const caller = {
      tenant: ANONYMOUS.tenant,
      limits: { priority: undefined, timeoutMs: undefined },
      signal: new AbortController().signal,
      requestId: 'sluice-eval',
      log: { info: () => {}, warn: () => {} },
    };
    const embed = (text: string) => embedder.embed(model, text, caller);
    const scored = await scorePairs(pairs, async (a, b) => cosine(await embed(a), await embed(b)));
    const rows = sweepThresholds(scored, options.thresholds ?? DEFAULT_SIMILARITY_THRESHOLDS);
    return thresholdTable(rows, scored, model);
  } finally {
    await sluice.close();
  }
}
