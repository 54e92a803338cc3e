/**
 * What a semantic cache threshold would do, measured on labelled prompt pairs: for each
 * threshold of a sweep, the share of paraphrase pairs whose similarity reaches it (hits:
 * the second asker would get the first one's answer, rightly) and the share of
 * non-paraphrase pairs that reach it too (false hits: an answer to another question).
 * `embed` is the serving path's embedder; this module only counts.
 */

/** Two prompts, and whether one may be answered with the other's answer. */
export interface LabelledPair {
  readonly a: string;
  readonly b: string;
  readonly paraphrase: boolean;
}

export interface ThresholdRow {
  readonly threshold: number;
  /** Paraphrase pairs at or above the threshold, as a share of them. */
  readonly hitRate: number;
  /** Non-paraphrase pairs at or above the threshold, as a share of them. */
  readonly falseHitRate: number;
}

export interface ScoredPair {
  readonly similarity: number;
  readonly paraphrase: boolean;
}

export const DEFAULT_SIMILARITY_THRESHOLDS = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99];

/** One pair a line: `{"a": "...", "b": "...", "paraphrase": true}`; a bad line throws naming it. */
export function parsePairs(text: string, file: string): LabelledPair[] {
  return text
    .split('\n')
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, number }) => {
      const parsed = JSON.parse(line) as Partial<Record<keyof LabelledPair, unknown>>;
      const { a, b, paraphrase } = parsed;
      if (typeof a !== 'string' || typeof b !== 'string' || typeof paraphrase !== 'boolean')
        throw new Error(`${file}:${number}: needs "a" and "b" (strings) and "paraphrase" (true or false)`);
      return { a, b, paraphrase };
    });
}

export async function scorePairs(
  pairs: readonly LabelledPair[],
  similarity: (a: string, b: string) => Promise<number>,
): Promise<ScoredPair[]> {
  const scored: ScoredPair[] = [];
  for (const pair of pairs) scored.push({ similarity: await similarity(pair.a, pair.b), paraphrase: pair.paraphrase });
  return scored;
}

export function sweepThresholds(scored: readonly ScoredPair[], thresholds: readonly number[]): ThresholdRow[] {
  const share = (paraphrase: boolean, threshold: number) => {
    const group = scored.filter((pair) => pair.paraphrase === paraphrase);
    return group.filter((pair) => pair.similarity >= threshold).length / Math.max(1, group.length);
  };
  return thresholds.map((threshold) => ({
    threshold,
    hitRate: share(true, threshold),
    falseHitRate: share(false, threshold),
  }));
}

/** The sweep as a markdown table, with how many pairs of each kind it was measured on. */
export function thresholdTable(rows: readonly ThresholdRow[], scored: readonly ScoredPair[], model: string): string {
  const paraphrases = scored.filter((pair) => pair.paraphrase).length;
  const others = scored.length - paraphrases;
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  return [
    `| min_similarity | hit rate (${paraphrases} paraphrase pairs) | false-hit rate (${others} non-paraphrase pairs) |`,
    '| --- | --- | --- |',
    ...rows.map((row) => `| ${row.threshold} | ${percent(row.hitRate)} | ${percent(row.falseHitRate)} |`),
    '',
    `Embedding model: ${model}. Similarity: cosine of the two prompts' embeddings, as the semantic cache computes it.`,
  ].join('\n');
}
