/**
 * The `batching` benchmark's records, its choice of load, its ratios and targets, and its
 * tables. Pure: no I/O, so the logic is tested without servers (test/bench-batching.test.ts).
 *
 *   round 1: ceiling  ceiling+pre  batched  unbatched
 *   round 2: ceiling  ceiling+pre  batched  unbatched      ratios within each round,
 *                                                          then their median and range
 */
import type { BatchDelta } from './batch-stats.ts';
import type { CpuCores } from './process-usage.ts';
import { formatRatio, pairRatios, type Measured, type RatioSummary } from './ratios.ts';
import { formatMs, formatPercent, formatRate, markdownTable, type Column } from './report.ts';

/**
 * `ceiling`: ONNX Runtime alone on prebuilt full batches; `ceiling+pre`: the same with each
 * batch preprocessed and stacked from its items inside the measured time; `batched` and
 * `unbatched`: sluice over HTTP, one item per request, dynamic batching on and off;
 * `baseline`: another checkout's sluice batched like `batched` (`--baseline-root`), in
 * unbatched's place.
 */
export type SideKey = 'ceiling' | 'ceiling+pre' | 'batched' | 'unbatched' | 'baseline';
export const SIDES: readonly SideKey[] = ['ceiling', 'ceiling+pre', 'batched', 'unbatched', 'baseline'];

export interface BatchingRecord extends Measured {
  readonly model: string;
  readonly side: SideKey;
  readonly itemsPerS: number;
  /** Closed-loop users (HTTP sides); undefined for the ceiling. */
  readonly users: number | undefined;
  /** 2xx latency at that concurrency (closed loop: queueing included); undefined for the ceiling. */
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  /** Non-2xx answers and client failures, and why (`x-sluice-error-code`, status or client error). */
  readonly failed: number;
  readonly failureKinds: Readonly<Record<string, number>>;
  /** CPU cores: `server` is the side's own process (sluice or the ceiling process). */
  readonly cpu: CpuCores;
  /** Batches run during the row: from sluice's stats, or the ceiling's own count. */
  readonly batches: BatchDelta | undefined;
  /** False when a server was still busy when the row started. */
  readonly idleReached: boolean;
}

/** A row of any side, named freely (the `real-models` scenario's sides are not the batching sides). */
export type RowRecord = Omit<BatchingRecord, 'side'> & { readonly side: string };

export interface ConcurrencyPoint {
  readonly users: number;
  readonly itemsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
  readonly meanBatch: number | undefined;
}

/** Throughputs this close to the best are taken as equal: noise, not a difference. */
export const CONCURRENCY_TOLERANCE = 0.03;

/**
 * The point with the highest throughput, or, among those within `tolerance` of it, the one
 * with the fewest users: the same throughput with less queueing.
 */
export function bestConcurrency(
  points: readonly ConcurrencyPoint[],
  tolerance = CONCURRENCY_TOLERANCE,
): ConcurrencyPoint {
  if (points.length === 0) throw new RangeError('no concurrency points to choose from');
  const best = Math.max(...points.map((point) => point.itemsPerS));
  const nearBest = points.filter((point) => point.itemsPerS >= best * (1 - tolerance));
  return nearBest.reduce((chosen, point) => (point.users < chosen.users ? point : chosen));
}

export const TARGETS = { minCeilingShare: 0.85, minUnbatchedMultiple: 10 } as const;

export type Verdict = 'met' | 'MISSED' | 'n/a';

export interface TargetRow {
  readonly model: string;
  readonly target: string;
  /** The median over rounds, with the range. */
  readonly measured: string;
  readonly verdict: Verdict;
}

export interface ModelRatios {
  readonly vsCeiling: RatioSummary | undefined;
  readonly vsCeilingWithPreprocessing: RatioSummary | undefined;
  readonly vsUnbatched: RatioSummary | undefined;
  /**
   * The same comparisons in items per CPU-second of each side's own process: what an item
   * costs, whatever share of the core the neighbours left. A diagnostic; no target reads it.
   */
  readonly vsCeilingPerCpu: RatioSummary | undefined;
  readonly vsUnbatchedPerCpu: RatioSummary | undefined;
  /** This checkout's batched sluice over a baseline checkout's (`--baseline-root`); undefined without one. */
  readonly vsBaseline: RatioSummary | undefined;
  readonly vsBaselinePerCpu: RatioSummary | undefined;
}

/** Batched sluice over each other side, round by round, for one model's records. */
export function modelRatios(records: readonly BatchingRecord[]): ModelRatios {
  const throughput = (record: BatchingRecord) => record.itemsPerS;
  const perCpu = (record: BatchingRecord) =>
    record.cpu.server > 0 ? record.itemsPerS / record.cpu.server : Number.NaN;
  const ratio = (a: SideKey, value = throughput) =>
    pairRatios(records, { a, b: 'batched', group: (record) => record.model, value })[0];
  return {
    vsCeiling: ratio('ceiling'),
    vsCeilingWithPreprocessing: ratio('ceiling+pre'),
    vsUnbatched: ratio('unbatched'),
    vsCeilingPerCpu: ratio('ceiling', perCpu),
    vsUnbatchedPerCpu: ratio('unbatched', perCpu),
    vsBaseline: ratio('baseline'),
    vsBaselinePerCpu: ratio('baseline', perCpu),
  };
}

/** Judged on the median ratio over rounds; a miss is printed as a miss, with the figure. */
export function targetRows(model: string, ratios: ModelRatios): TargetRow[] {
  const verdict = (summary: RatioSummary | undefined, threshold: number): Verdict =>
    summary?.median === undefined ? 'n/a' : summary.median >= threshold ? 'met' : 'MISSED';
  return [
    {
      model,
      target: `batched ≥ ${formatPercent(TARGETS.minCeilingShare)} of the ceiling (model execution alone)`,
      measured: percentRange(ratios.vsCeiling),
      verdict: verdict(ratios.vsCeiling, TARGETS.minCeilingShare),
    },
    {
      model,
      target: `batched ≥ ${TARGETS.minUnbatchedMultiple}x unbatched`,
      measured: ratios.vsUnbatched === undefined ? 'n/a' : formatRatio(ratios.vsUnbatched),
      verdict: verdict(ratios.vsUnbatched, TARGETS.minUnbatchedMultiple),
    },
  ];
}

/** "4.1% (3.9–4.3%)": a ratio as a share, with its range over rounds. */
export function percentRange(summary: RatioSummary | undefined): string {
  if (summary?.median === undefined) return 'n/a';
  const { median, min = median, max = median } = summary;
  const text = (value: number) => formatPercent(value);
  return min === max ? text(median) : `${text(median)} (${text(min)}–${text(max)})`;
}

// ---------------------------------------------------------------------------------------
// Tables

/** "ERR_ADMISSION_OVERLOADED 12, status 503 1", or "0". */
export function failuresText(kinds: Readonly<Record<string, number>>): string {
  const parts = Object.entries(kinds).map(([kind, count]) => `${kind} ${count}`);
  return parts.length === 0 ? '0' : parts.join(', ');
}

const cores = (value: number) => value.toFixed(2);

export function roundsTable(records: readonly RowRecord[]): string {
  const optionalMs = (value: number | undefined) => (value === undefined ? '-' : formatMs(value));
  const columns: Column<RowRecord>[] = [
    { header: 'round', cell: (record) => String(record.round), align: 'right' },
    { header: 'side', cell: (record) => record.side },
    { header: 'items/s', cell: (record) => formatRate(record.itemsPerS), align: 'right' },
    { header: 'users', cell: (record) => (record.users === undefined ? '-' : String(record.users)), align: 'right' },
    {
      header: 'mean batch',
      cell: (record) => (record.batches?.meanSize === undefined ? 'n/a' : record.batches.meanSize.toFixed(1)),
      align: 'right',
    },
    {
      header: 'in full batches',
      cell: (record) => (record.batches?.fullShare === undefined ? 'n/a' : formatPercent(record.batches.fullShare)),
      align: 'right',
    },
    { header: 'p50 ms', cell: (record) => optionalMs(record.p50Ms), align: 'right' },
    { header: 'p99 ms', cell: (record) => optionalMs(record.p99Ms), align: 'right' },
    { header: 'failed', cell: (record) => failuresText(record.failureKinds) },
    {
      header: 'CPU side/client/other',
      cell: (record) => `${cores(record.cpu.server)}/${cores(record.cpu.client)}/${cores(record.cpu.other)}`,
      align: 'right',
    },
    {
      header: 'CPU µs/item',
      cell: (record) => (record.itemsPerS > 0 ? ((record.cpu.server / record.itemsPerS) * 1e6).toFixed(1) : 'n/a'),
      align: 'right',
    },
  ];
  return markdownTable(columns, records);
}

interface RatioRow {
  readonly name: string;
  readonly summary: RatioSummary | undefined;
  readonly asPercent: boolean;
}

export function ratiosTable(ratios: ModelRatios, rounds: number): string {
  // The other sluice side: the unbatched server, or a baseline checkout's batched one in its place.
  const [other, vsOther, vsOtherPerCpu] =
    ratios.vsBaseline === undefined
      ? ['unbatched', ratios.vsUnbatched, ratios.vsUnbatchedPerCpu]
      : ['baseline', ratios.vsBaseline, ratios.vsBaselinePerCpu];
  const rows: RatioRow[] = [
    { name: 'batched / ceiling', summary: ratios.vsCeiling, asPercent: true },
    { name: 'batched / ceiling+pre', summary: ratios.vsCeilingWithPreprocessing, asPercent: true },
    { name: `batched / ${other}`, summary: vsOther, asPercent: false },
    { name: 'batched / ceiling, per CPU-second', summary: ratios.vsCeilingPerCpu, asPercent: true },
    { name: `batched / ${other}, per CPU-second`, summary: vsOtherPerCpu, asPercent: false },
  ];
  const value = (row: RatioRow, ratio: number | undefined) =>
    ratio === undefined ? 'n/a' : row.asPercent ? formatPercent(ratio) : `${ratio.toFixed(2)}x`;
  const roundColumns: Column<RatioRow>[] = Array.from({ length: rounds }, (_, index) => ({
    header: `round ${index + 1}`,
    cell: (row) => value(row, row.summary?.pairs.find((pair) => pair.round === index + 1)?.ratio),
    align: 'right',
  }));
  const columns: Column<RatioRow>[] = [
    { header: 'ratio', cell: (row) => row.name },
    ...roundColumns,
    {
      header: 'median (range)',
      cell: (row) =>
        row.asPercent ? percentRange(row.summary) : row.summary === undefined ? 'n/a' : formatRatio(row.summary),
      align: 'right',
    },
  ];
  return markdownTable(columns, rows);
}

export function targetsTable(rows: readonly TargetRow[]): string {
  const columns: Column<TargetRow>[] = [
    { header: 'model', cell: (row) => row.model },
    { header: 'target', cell: (row) => row.target },
    { header: 'measured (median of rounds, range)', cell: (row) => row.measured, align: 'right' },
    { header: 'verdict', cell: (row) => row.verdict },
  ];
  return markdownTable(columns, rows);
}

export function searchTable(points: readonly (ConcurrencyPoint & { readonly side: string })[]): string {
  const columns: Column<ConcurrencyPoint & { readonly side: string }>[] = [
    { header: 'side', cell: (point) => point.side },
    { header: 'users', cell: (point) => String(point.users), align: 'right' },
    { header: 'items/s', cell: (point) => formatRate(point.itemsPerS), align: 'right' },
    {
      header: 'mean batch',
      cell: (point) => (point.meanBatch === undefined ? 'n/a' : point.meanBatch.toFixed(1)),
      align: 'right',
    },
    { header: 'p50 ms', cell: (point) => formatMs(point.p50Ms), align: 'right' },
    { header: 'p99 ms', cell: (point) => formatMs(point.p99Ms), align: 'right' },
    { header: 'failed', cell: (point) => String(point.failed), align: 'right' },
  ];
  return markdownTable(columns, points);
}
