/**
 * The `reuse` benchmark's figures (issue 16): the same server with the response/per-item
 * cache and coalescing off and on, under a Zipf-distributed mix of repeated requests, and
 * on a hot set that is all hits. Each figure of `on` is divided by `off`'s of the same
 * round (ratios.ts). Pure: tested without servers (test/bench-reuse.test.ts).
 */
import { formatRatio, pairRatios, type Measured } from './ratios.ts';
import { formatMs, formatRate, markdownTable } from './report.ts';
import { formatSpread, spreadOf } from './slots-report.ts';

export const REUSE_SIDES = ['off', 'on'] as const;
export type ReuseSide = (typeof REUSE_SIDES)[number];
/** `zipf`: the repeated-request mix; `hot`: a few requests the cache holds, so every answer on `on` is a hit. */
export type ReuseMix = 'zipf' | 'hot';

export interface ReuseRecord extends Measured {
  readonly side: ReuseSide;
  readonly mix: ReuseMix;
  readonly ok: number;
  readonly okPerS: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  /** Items the model ran during the row (its stats API); undefined when unreadable. */
  readonly itemsRun: number | undefined;
  /** Cache lookups answered from the cache, and not, during the row (/metrics). */
  readonly hits: number;
  readonly misses: number;
  /** Requests that waited for an identical one in flight instead of running. */
  readonly coalesced: number;
  readonly failures: number;
  /** CPU-seconds of the server process (all its threads) from the row's start until it was quiet after it. */
  readonly serverCpuSeconds: number;
}

/** Items the model ran per 2xx answer: what a request costs at a declared cost per item. */
export function itemsPerAnswer(record: Pick<ReuseRecord, 'itemsRun' | 'ok'>): number | undefined {
  return record.itemsRun === undefined || record.ok === 0 ? undefined : record.itemsRun / record.ok;
}

export function hitRatio(record: Pick<ReuseRecord, 'hits' | 'misses'>): number | undefined {
  const lookups = record.hits + record.misses;
  return lookups === 0 ? undefined : record.hits / lookups;
}

interface Figure {
  readonly label: string;
  readonly value: (record: ReuseRecord) => number | undefined;
  readonly unit: (value: number) => string;
}

const FIGURES: readonly Figure[] = [
  { label: 'req/s', value: (record) => record.okPerS, unit: formatRate },
  { label: 'p50', value: (record) => record.p50Ms, unit: formatMs },
  { label: 'p99', value: (record) => record.p99Ms, unit: formatMs },
  {
    label: 'server CPU per answer',
    value: (record) => (record.ok === 0 ? undefined : (record.serverCpuSeconds / record.ok) * 1e6),
    unit: (value) => `${value.toFixed(0)} µs`,
  },
  { label: 'model items per answer', value: itemsPerAnswer, unit: (value) => value.toFixed(3) },
  { label: 'cache hit ratio', value: hitRatio, unit: (value) => `${(value * 100).toFixed(1)}%` },
];

/** Per mix and figure: each side's median (min to max) over rounds, and on ÷ off within rounds. */
export function reuseTable(records: readonly ReuseRecord[], mix: ReuseMix): string {
  const rows = records.filter((record) => record.mix === mix);
  const sideOf = (side: ReuseSide, figure: Figure) =>
    formatSpread(
      spreadOf(rows.filter((record) => record.side === side).flatMap((record) => figure.value(record) ?? [])),
      figure.unit,
    );
  const ratioOf = (figure: Figure) => {
    const [summary] = pairRatios(rows, { a: 'off', b: 'on', group: () => mix, value: (r) => figure.value(r) ?? NaN });
    return summary === undefined ? 'n/a' : formatRatio(summary);
  };
  return markdownTable(
    [
      { header: 'figure', cell: (figure: Figure) => figure.label },
      { header: 'cache off', cell: (figure: Figure) => sideOf('off', figure), align: 'right' },
      { header: 'cache on', cell: (figure: Figure) => sideOf('on', figure), align: 'right' },
      { header: 'on ÷ off', cell: ratioOf, align: 'right' },
    ],
    FIGURES,
  );
}
