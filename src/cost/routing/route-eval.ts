/**
 * What a cascade saves, measured on a golden set: each model alone, then the cascade at
 * each threshold of a sweep. `predict` is the serving path (a route or a model asked as a
 * client asks it); this module only counts. An item's cost is the declared `cost.per_item`
 * of every model it reached: a cascade's first model for all, the next for those sent on.
 */

/** One golden item: its request fields, and the label it should get. */
export interface GoldenItem {
  readonly item: Readonly<Record<string, unknown>>;
  readonly label: string;
}

/** What the serving path said of each item: its label, and for a cascade the stage that answered (1 = first). */
export interface Predictions {
  readonly labels: readonly string[];
  readonly stages: readonly number[] | undefined;
}

export interface EvalModel {
  readonly name: string;
  readonly costPerItem: number;
}

export interface EvalRow {
  readonly run: string;
  /** The sweep's threshold (every model but the last), undefined for a model alone. */
  readonly minConfidence: number | undefined;
  readonly accuracy: number;
  /** Share of items answered by a model after the first (cascades only). */
  readonly escalated: number | undefined;
  readonly costPerItem: number;
}

export interface EvalPlan {
  readonly models: readonly EvalModel[];
  readonly thresholds: readonly number[];
  readonly golden: readonly GoldenItem[];
  /** A model alone (`cascade` undefined), or the cascade over `models` at `cascade` as every threshold. */
  readonly predict: (
    target: { model: string } | { cascade: number },
    items: readonly GoldenItem[],
  ) => Promise<Predictions>;
}

export async function evaluateCascade(plan: EvalPlan): Promise<EvalRow[]> {
  const rows: EvalRow[] = [];
  for (const model of plan.models) {
    const { labels } = await plan.predict({ model: model.name }, plan.golden);
    rows.push({
      run: `${model.name} only`,
      minConfidence: undefined,
      accuracy: accuracy(labels, plan.golden),
      escalated: undefined,
      costPerItem: model.costPerItem,
    });
  }
  for (const threshold of plan.thresholds) {
    const { labels, stages } = await plan.predict({ cascade: threshold }, plan.golden);
    if (stages === undefined) throw new Error('a cascade answered without saying which model answered each item');
    rows.push({
      run: 'cascade',
      minConfidence: threshold,
      accuracy: accuracy(labels, plan.golden),
      escalated: stages.filter((stage) => stage > 1).length / Math.max(1, stages.length),
      costPerItem: cascadeCost(stages, plan.models),
    });
  }
  return rows;
}

export function accuracy(labels: readonly string[], golden: readonly GoldenItem[]): number {
  if (labels.length !== golden.length) throw new Error(`${labels.length} answers for ${golden.length} golden items`);
  return golden.filter((item, index) => labels[index] === item.label).length / Math.max(1, golden.length);
}

/** The mean cost of items that reached the given stages: stage k costs models 1..k. */
export function cascadeCost(stages: readonly number[], models: readonly EvalModel[]): number {
  const upTo = models.map((_model, index) => models.slice(0, index + 1).reduce((sum, m) => sum + m.costPerItem, 0));
  const total = stages.reduce((sum, stage) => {
    const cost = upTo[stage - 1];
    if (cost === undefined) throw new Error(`stage ${stage} is not one of the ${models.length} models`);
    return sum + cost;
  }, 0);
  return total / Math.max(1, stages.length);
}

/** The table `sluice eval` prints: costs also as a share of the last (largest) model's alone. */
export function evalTable(rows: readonly EvalRow[], models: readonly EvalModel[], goldenSize: number): string {
  const largest = models[models.length - 1]?.costPerItem ?? 1;
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
  const lines = [
    `| run | min_confidence | accuracy (${goldenSize} items) | sent on | cost per item | cost vs. ${models[models.length - 1]?.name ?? 'largest'} only |`,
    '| --- | --- | --- | --- | --- | --- |',
    ...rows
      .map((row) =>
        [
          row.run,
          row.minConfidence === undefined ? '–' : String(row.minConfidence),
          row.accuracy.toFixed(4),
          row.escalated === undefined ? '–' : percent(row.escalated),
          row.costPerItem.toFixed(2),
          percent(row.costPerItem / largest),
        ].join(' | '),
      )
      .map((cells) => `| ${cells} |`),
  ];
  return lines.join('\n');
}
