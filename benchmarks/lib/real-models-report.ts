/**
 * The `real-models` benchmark's figures (issue 13's targets table), each a ratio of sides
 * measured in the same round, then their median and range over rounds. Pure: no I/O, so
 * it is tested without servers (test/bench-real-models.test.ts).
 *
 *   figure = Π numerator sides' items/s ÷ Π denominator sides' items/s, within a round
 *   e.g. (sluice batched ÷ sluice unbatched) ÷ (raw ORT best ÷ raw ORT batch 1)
 */
import type { RowRecord } from './batching-report.ts';
import { median } from './ratios.ts';
import { formatPercent, formatRate, markdownTable, type Column } from './report.ts';

export const SIDES = {
  rawBest: 'raw ORT, best batch',
  rawOne: 'raw ORT, batch 1',
  json: 'sluice JSON',
  unbatched: 'sluice JSON, max_batch_size 1',
  grpc: 'sluice gRPC',
  binary: 'sluice binary HTTP',
  floor: 'JSON floor',
  binaryFloor: 'binary floor',
} as const;

export interface SideRef {
  readonly model: string;
  readonly side: string;
}

export interface FigureSpec {
  readonly key: string;
  readonly figure: string;
  readonly target: string;
  /** Undefined for a diagnostic: a figure that reads a miss, with no target of its own. */
  readonly threshold: number | undefined;
  /** Shown as a share (85%) or as a multiple (0.85x). */
  readonly asPercent: boolean;
  readonly numerator: readonly SideRef[];
  readonly denominator: readonly SideRef[];
}

export interface FigureResult {
  readonly spec: FigureSpec;
  readonly rounds: ReadonlyArray<{ readonly round: number; readonly value: number }>;
  readonly median: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
  /** Why the figure was not measured (a side the server under test cannot serve yet). */
  readonly notRun: string | undefined;
}

export type FigureVerdict = 'met' | 'MISSED' | 'not run' | 'diagnostic';

/** The targets, with the sides each reads. */
export function figureSpecs(compute: string, image: string, tiny: string): FigureSpec[] {
  const at = (model: string, side: string): SideRef => ({ model, side });
  return [
    {
      key: 'compute-vs-raw',
      figure: `${compute}, one item per request over HTTP (KServe v2 JSON): sluice ÷ raw ORT at its best batch, same threads`,
      target: '≥ 85%',
      threshold: 0.85,
      asPercent: true,
      numerator: [at(compute, SIDES.json)],
      denominator: [at(compute, SIDES.rawBest)],
    },
    {
      key: 'compute-batching-gain',
      figure: `${compute}: (sluice batched ÷ sluice max_batch_size 1) ÷ raw ORT's own batching gain (best batch ÷ batch 1)`,
      target: '≥ 0.85',
      threshold: 0.85,
      asPercent: false,
      numerator: [at(compute, SIDES.json), at(compute, SIDES.rawOne)],
      denominator: [at(compute, SIDES.unbatched), at(compute, SIDES.rawBest)],
    },
    {
      key: 'image-grpc-vs-raw',
      figure: `${image} over gRPC (raw_input_contents): sluice ÷ raw ORT at its best batch`,
      target: '≥ 80%',
      threshold: 0.8,
      asPercent: true,
      numerator: [at(image, SIDES.grpc)],
      denominator: [at(image, SIDES.rawBest)],
    },
    {
      key: 'image-binary-vs-raw',
      figure: `${image} over binary HTTP (KServe v2 binary tensor extension): sluice ÷ raw ORT at its best batch`,
      target: '≥ 80%',
      threshold: 0.8,
      asPercent: true,
      numerator: [at(image, SIDES.binary)],
      denominator: [at(image, SIDES.rawBest)],
    },
    {
      key: 'image-json-vs-floor',
      figure: `${image} over KServe v2 JSON: sluice ÷ a bare server that parses the same JSON, runs the model and writes the same answer`,
      target: '≥ 80%',
      threshold: 0.8,
      asPercent: true,
      numerator: [at(image, SIDES.json)],
      denominator: [at(image, SIDES.floor)],
    },
    {
      key: 'tiny-vs-floor',
      figure: `${tiny} (a default tiny model), KServe v2 JSON: sluice ÷ a floor server that parses the same request, runs sluice's preprocessing and the model on ideal batches and writes the same answer`,
      target: '≥ 70%',
      threshold: 0.7,
      asPercent: true,
      numerator: [at(tiny, SIDES.json)],
      denominator: [at(tiny, SIDES.floor)],
    },
    ...diagnostics(compute, image),
  ];
}

/** No targets: what the misses of the compute-heavy and binary image figures are made of. */
function diagnostics(compute: string, image: string): FigureSpec[] {
  const at = (side: string, model = compute): SideRef => ({ model, side });
  const diagnostic = { target: '(reading)', threshold: undefined, asPercent: true } as const;
  return [
    {
      ...diagnostic,
      key: 'compute-floor-vs-raw',
      figure: `${compute}: the JSON floor server ÷ raw ORT at its best batch (what serving one item per JSON request reaches at all on this CPU)`,
      numerator: [at(SIDES.floor)],
      denominator: [at(SIDES.rawBest)],
    },
    {
      ...diagnostic,
      key: 'compute-vs-floor',
      figure: `${compute}: sluice JSON ÷ the JSON floor server`,
      numerator: [at(SIDES.json)],
      denominator: [at(SIDES.floor)],
    },
    {
      ...diagnostic,
      key: 'compute-unbatched-vs-raw-1',
      figure: `${compute}: sluice max_batch_size 1 ÷ raw ORT at batch 1`,
      numerator: [at(SIDES.unbatched)],
      denominator: [at(SIDES.rawOne)],
    },
    {
      ...diagnostic,
      key: 'image-binary-floor-vs-raw',
      figure: `${image}: the binary floor server ÷ raw ORT at its best batch (what one item per binary request reaches at all on this CPU)`,
      numerator: [at(SIDES.binaryFloor, image)],
      denominator: [at(SIDES.rawBest, image)],
    },
    {
      ...diagnostic,
      key: 'image-binary-vs-floor',
      figure: `${image}: sluice binary HTTP ÷ the binary floor server`,
      numerator: [at(SIDES.binary, image)],
      denominator: [at(SIDES.binaryFloor, image)],
    },
  ];
}

/** The figure round by round (rounds where every side it reads ran with a positive rate), with median and range. */
export function figureOf(spec: FigureSpec, records: readonly RowRecord[], notRun?: string): FigureResult {
  const roundsSeen = [...new Set(records.map((record) => record.round))].sort((a, b) => a - b);
  const rate = (ref: SideRef, round: number) =>
    records.find((record) => record.round === round && record.model === ref.model && record.side === ref.side)
      ?.itemsPerS;
  const product = (refs: readonly SideRef[], round: number) =>
    refs.reduce<number | undefined>((total, ref) => {
      const value = rate(ref, round);
      return total === undefined || value === undefined || !(value > 0) ? undefined : total * value;
    }, 1);
  const rounds = roundsSeen.flatMap((round) => {
    const [top, bottom] = [product(spec.numerator, round), product(spec.denominator, round)];
    return top === undefined || bottom === undefined ? [] : [{ round, value: top / bottom }];
  });
  const sorted = rounds.map((entry) => entry.value).sort((a, b) => a - b);
  return {
    spec,
    rounds,
    median: median(sorted),
    min: sorted[0],
    max: sorted.at(-1),
    notRun: rounds.length === 0 ? (notRun ?? 'no round measured every side') : undefined,
  };
}

export function verdictOf(result: FigureResult): FigureVerdict {
  if (result.median === undefined) return 'not run';
  if (result.spec.threshold === undefined) return 'diagnostic';
  return result.median >= result.spec.threshold ? 'met' : 'MISSED';
}

export function formatFigure(value: number | undefined, asPercent: boolean): string {
  if (value === undefined) return 'n/a';
  return asPercent ? formatPercent(value) : value.toFixed(2);
}

/** "62% (58%–66%)": the median with its range over rounds. */
export function figureRange(result: FigureResult): string {
  const { median: middle, min, max, spec } = result;
  if (middle === undefined) return `not run: ${result.notRun ?? 'no data'}`;
  const text = (value: number) => formatFigure(value, spec.asPercent);
  return min === max || min === undefined || max === undefined
    ? text(middle)
    : `${text(middle)} (${text(min)}–${text(max)})`;
}

/** The median over rounds of one side's items/s. */
export function sideMedian(records: readonly RowRecord[], ref: SideRef): number | undefined {
  const values = records
    .filter((record) => record.model === ref.model && record.side === ref.side)
    .map((record) => record.itemsPerS)
    .sort((a, b) => a - b);
  return median(values);
}

/** What the figure is made of, in items/s (medians over rounds). */
function detail(result: FigureResult, records: readonly RowRecord[]): string {
  const { numerator, denominator } = result.spec;
  const text = (ref: SideRef) => {
    const value = sideMedian(records, ref);
    return `${ref.side} ${value === undefined ? 'n/a' : formatRate(value)}`;
  };
  return `${numerator.map(text).join(' × ')} ÷ ${denominator.map(text).join(' × ')}`;
}

export function targetsTable(results: readonly FigureResult[], records: readonly RowRecord[]): string {
  const columns: Column<FigureResult>[] = [
    { header: 'figure', cell: (result) => result.spec.figure },
    { header: 'target', cell: (result) => result.spec.target },
    { header: 'measured (median of rounds, range)', cell: figureRange, align: 'right' },
    { header: 'verdict', cell: verdictOf },
    { header: 'items/s (medians)', cell: (result) => detail(result, records) },
  ];
  return markdownTable(columns, results);
}

export function figureRoundsTable(results: readonly FigureResult[], rounds: number): string {
  const columns: Column<FigureResult>[] = [
    { header: 'figure', cell: (result) => result.spec.key },
    ...Array.from({ length: rounds }, (_, index): Column<FigureResult> => ({
      header: `round ${index + 1}`,
      cell: (result) =>
        formatFigure(result.rounds.find((entry) => entry.round === index + 1)?.value, result.spec.asPercent),
      align: 'right',
    })),
    { header: 'median (range)', cell: figureRange, align: 'right' },
  ];
  return markdownTable(columns, results);
}
