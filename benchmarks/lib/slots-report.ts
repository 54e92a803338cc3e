/**
 * The `pipeline-slots` benchmark's figures: ns per request of each side round by round,
 * and the paired difference (no-op slots − empty slots) within each round, summarised as
 * a median with its range. Pure, tested without a pipeline (test/bench-pipeline-slots.test.ts).
 */
import { median, type Measured } from './ratios.ts';
import { markdownTable, type Column } from './report.ts';

export const EMPTY = 'empty';
export const NO_OP = 'no-op';

export interface SlotsRecord extends Measured {
  readonly nsPerRequest: number;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface SlotsSummary {
  readonly empty: Spread | undefined;
  readonly noOp: Spread | undefined;
  /** No-op minus empty, within each round: an upper bound of what three empty slots cost a request. */
  readonly difference: Spread | undefined;
  /** The same as a share of the empty side, within each round. */
  readonly relative: Spread | undefined;
}

export function spreadOf(values: readonly number[]): Spread | undefined {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = median(sorted);
  const [min, max] = [sorted[0], sorted.at(-1)];
  return middle === undefined || min === undefined || max === undefined ? undefined : { median: middle, min, max };
}

export function slotsSummary(records: readonly SlotsRecord[]): SlotsSummary {
  const of = (side: string) => records.filter((record) => record.side === side);
  const pairs = of(EMPTY).flatMap((empty) => {
    const noOp = of(NO_OP).find((record) => record.round === empty.round);
    return noOp === undefined ? [] : [{ empty: empty.nsPerRequest, noOp: noOp.nsPerRequest }];
  });
  return {
    empty: spreadOf(of(EMPTY).map((record) => record.nsPerRequest)),
    noOp: spreadOf(of(NO_OP).map((record) => record.nsPerRequest)),
    difference: spreadOf(pairs.map((pair) => pair.noOp - pair.empty)),
    relative: spreadOf(pairs.map((pair) => (pair.noOp - pair.empty) / pair.empty)),
  };
}

/** "412 ns (398 ns to 431 ns)". */
export function formatSpread(spread: Spread | undefined, unit: (value: number) => string): string {
  if (spread === undefined) return 'n/a';
  return `${unit(spread.median)} (${unit(spread.min)} to ${unit(spread.max)})`;
}

const ns = (value: number) => `${value.toFixed(0)} ns`;
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

export function slotsTable(summary: SlotsSummary): string {
  const rows: ReadonlyArray<readonly [string, string]> = [
    ['empty slots (EMPTY_SLOTS, what servers run)', formatSpread(summary.empty, ns)],
    ['a no-op stage in each of the three slots', formatSpread(summary.noOp, ns)],
    ['no-op − empty, paired within each round', formatSpread(summary.difference, ns)],
    ['the same, as a share of empty', formatSpread(summary.relative, percent)],
  ];
  const columns: Column<readonly [string, string]>[] = [
    { header: 'pipeline', cell: (row) => row[0] },
    { header: 'per request: median (min to max over rounds)', cell: (row) => row[1], align: 'right' },
  ];
  return markdownTable(columns, rows);
}
