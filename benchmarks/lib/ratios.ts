/**
 * Side-by-side figures as ratios. Two sides measured in turns (A B A B …) share each
 * round's machine state, so a figure is compared within its round (B₁/A₁, B₂/A₂, …) and
 * the rounds' ratios are summarised; a ratio of two averages over rounds would mix a quiet
 * round of one side with a noisy round of the other.
 */

export interface Measured {
  readonly round: number;
  readonly side: string;
}

export interface PairSpec<Item extends Measured> {
  /** The side compared against (the denominator) and the side compared (the numerator). */
  readonly a: string;
  readonly b: string;
  /** Which comparison a record belongs to (e.g. its offered rate). */
  readonly group: (record: Item) => number | string;
  readonly value: (record: Item) => number;
}

export interface PairRatio {
  readonly group: number | string;
  readonly round: number;
  readonly a: number;
  readonly b: number;
  /** b / a; undefined when a is not a positive finite number. */
  readonly ratio: number | undefined;
}

export interface RatioSummary {
  readonly group: number | string;
  readonly pairs: readonly PairRatio[];
  /** Median of the rounds' ratios (of those defined). */
  readonly median: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
}

/** `value(b) / value(a)` for each round in which both sides were measured, by group in order of first appearance. */
export function pairRatios<Item extends Measured>(records: readonly Item[], spec: PairSpec<Item>): RatioSummary[] {
  const groups = new Map<number | string, PairRatio[]>();
  for (const a of records) {
    if (a.side !== spec.a) continue;
    const group = spec.group(a);
    const b = records.find((other) => other.side === spec.b && other.round === a.round && spec.group(other) === group);
    if (b === undefined) continue;
    const [valueA, valueB] = [spec.value(a), spec.value(b)];
    const pair = {
      group,
      round: a.round,
      a: valueA,
      b: valueB,
      ratio: valueA > 0 && Number.isFinite(valueA) && Number.isFinite(valueB) ? valueB / valueA : undefined,
    };
    groups.set(group, [...(groups.get(group) ?? []), pair]);
  }
  return [...groups].map(([group, pairs]) => summarise(group, pairs));
}

function summarise(group: number | string, pairs: readonly PairRatio[]): RatioSummary {
  const ratios = pairs.flatMap((pair) => (pair.ratio === undefined ? [] : [pair.ratio])).sort((x, y) => x - y);
  return { group, pairs, median: median(ratios), min: ratios[0], max: ratios.at(-1) };
}

/** The median of numbers sorted ascending; undefined for none. */
export function median(sorted: readonly number[]): number | undefined {
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

/** "1.42x (1.31–1.55)": the median ratio with its range over rounds. */
export function formatRatio(summary: Pick<RatioSummary, 'median' | 'min' | 'max'>): string {
  if (summary.median === undefined) return 'n/a';
  const text = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)}x`;
  return summary.min === summary.max
    ? text(summary.median)
    : `${text(summary.median)} (${text(summary.min ?? summary.median)}–${text(summary.max ?? summary.median)})`;
}
