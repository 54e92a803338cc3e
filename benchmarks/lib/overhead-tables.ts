/** gateway-overhead's Markdown: rows round by round, ratios per rate, maximum sustained rates, targets. */
import { failuresText, type RunRecord } from './gateway-rows.ts';
import {
  DIRECT,
  HOLD,
  TARGETS,
  addedOverDirect,
  formatAddedMs,
  formatMaxSustained,
  maxSustained,
  rateRatios,
  rateVerdict,
  rowHolds,
  type RateRatios,
  type TargetResult,
} from './overhead-report.ts';
import { formatRatio, type RatioSummary } from './ratios.ts';
import { formatMs, formatPercent, formatRate, markdownTable, type Column } from './report.ts';

/** The simulator's process label; a gateway side's key is its own process's label. */
const SIM_LABEL = 'sim';

export function rowsTable(records: readonly RunRecord[]): string {
  const added = addedOverDirect(records);
  const addedOf = (record: RunRecord) =>
    added.find((each) => each.side === record.side && each.rate === record.rate && each.round === record.round);
  const ok = (record: RunRecord) => record.summary.outcomes.ok;
  const cores = (record: RunRecord, label: string) => record.cpu[label]?.toFixed(2) ?? 'n/a';
  const columns: Column<RunRecord>[] = [
    { header: 'offered/s', cell: (record) => String(record.rate), align: 'right' },
    { header: 'round', cell: (record) => String(record.round), align: 'right' },
    { header: 'side', cell: (record) => record.side },
    { header: 'p50', cell: (record) => formatMs(ok(record).p50Ms), align: 'right' },
    { header: 'p99', cell: (record) => formatMs(ok(record).p99Ms), align: 'right' },
    { header: 'added p50', cell: (record) => formatAddedMs(addedOf(record)?.addedP50Ms), align: 'right' },
    { header: 'added p99', cell: (record) => formatAddedMs(addedOf(record)?.addedP99Ms), align: 'right' },
    {
      header: '2xx',
      cell: (record) =>
        record.summary.scheduled === 0 ? 'n/a' : formatPercent(ok(record).count / record.summary.scheduled),
      align: 'right',
    },
    { header: '2xx/s', cell: (record) => formatRate(record.summary.okThroughput), align: 'right' },
    { header: 'holds', cell: (record) => (rowHolds(record) ? 'yes' : 'no') },
    { header: 'failed', cell: (record) => failuresText(record.summary, record.admissionRefusals) },
    {
      header: 'CPU sim / gateway',
      cell: (record) =>
        record.side === DIRECT
          ? cores(record, SIM_LABEL)
          : `${cores(record, SIM_LABEL)} / ${cores(record, record.side)}`,
      align: 'right',
    },
    { header: 'send lag p99', cell: (record) => formatMs(record.summary.sendLag.p99Ms), align: 'right' },
  ];
  return [
    markdownTable(columns, records),
    '',
    "Latencies in ms, 2xx only, from each request's intended send time. Added = the side's percentile minus the direct side's in the same round;",
    `a negative added p99 is the noise of two tails. 2xx = share of the scheduled arrivals; holds = 2xx ≥ ${formatPercent(HOLD.okShare)} and 2xx/s ≥ ${formatPercent(HOLD.throughputShare)} of the offered rate. CPU in cores.`,
  ].join('\n');
}

const ratioText = (summary: RatioSummary | undefined) => (summary === undefined ? 'n/a' : formatRatio(summary));

/** Columns `<name>, added p50` and `<name>, added p99` (e.g. `Portkey / sluice`). */
function addedColumns(
  name: string,
  p50: (row: RateRatios) => RatioSummary | undefined,
  p99: (row: RateRatios) => RatioSummary | undefined,
): Column<RateRatios>[] {
  return [
    { header: `${name}, added p50`, cell: (row) => ratioText(p50(row)), align: 'right' },
    { header: `${name}, added p99`, cell: (row) => ratioText(p99(row)), align: 'right' },
  ];
}

/** The sides measured besides direct, floor and sluice. */
export interface OtherSides {
  readonly portkey: boolean;
  /** Another checkout's sluice (`--baseline-root`). */
  readonly baseline: boolean;
}

export function ratiosTable(records: readonly RunRecord[], rates: readonly number[], others: OtherSides): string {
  const rows = rateRatios(addedOverDirect(records), rates);
  const columns: Column<RateRatios>[] = [
    { header: 'offered/s', cell: (row) => String(row.rate), align: 'right' },
    ...addedColumns(
      'sluice / floor',
      (row) => row.sluiceOverFloorP50,
      (row) => row.sluiceOverFloorP99,
    ),
    { header: 'sluice / floor, p99', cell: (row) => ratioText(row.sluiceOverFloorAbsoluteP99), align: 'right' },
    ...(others.portkey
      ? addedColumns(
          'Portkey / sluice',
          (row) => row.portkeyOverSluiceP50,
          (row) => row.portkeyOverSluiceP99,
        )
      : []),
    ...(others.baseline
      ? addedColumns(
          'sluice / baseline',
          (row) => row.sluiceOverBaselineP50,
          (row) => row.sluiceOverBaselineP99,
        )
      : []),
  ];
  return [
    markdownTable(columns, rows),
    '',
    'Each ratio is taken within a round (the sides ran in turns, same arrival schedule) and shown as the median of the rounds (range).',
    'An added latency below 0 counts as 0: 0 over something is 0x, something over 0 is n/a. "p99" compares whole p99s, with no subtraction.',
  ].join('\n');
}

export function maxSustainedTable(
  records: readonly RunRecord[],
  rates: readonly number[],
  sides: readonly string[],
): string {
  const ordered = [...rates].sort((x, y) => x - y);
  const verdicts = (side: string) => ordered.map((rate) => `${rate}: ${rateVerdict(records, side, rate)}`).join(', ');
  const columns: Column<string>[] = [
    { header: 'side', cell: (side) => side },
    { header: 'per rate', cell: verdicts },
    {
      header: 'maximum sustained rate',
      cell: (side) => (side === DIRECT ? '(the baseline)' : formatMaxSustained(maxSustained(records, side, rates))),
      align: 'right',
    },
  ];
  return [
    markdownTable(columns, sides),
    '',
    `Maximum sustained rate: the highest offered rate that the side held in every round, every lower rate held too (held: ≥ ${formatPercent(HOLD.okShare)} of the`,
    `scheduled arrivals answered 2xx and 2xx/s ≥ ${formatPercent(HOLD.throughputShare)} of the offered rate). Rates from the first at which the simulator called directly failed`,
    'every round are not judged: there the simulator is the bottleneck. "≥" = held every judged rate (a lower bound); "not run" = skipped after failing every round at a lower rate.',
  ].join('\n');
}

export function targetsTable(targets: readonly TargetResult[]): string {
  const columns: Column<TargetResult>[] = [
    { header: 'target', cell: (row) => row.target },
    { header: 'figure', cell: (row) => row.figure },
    {
      header: 'verdict',
      cell: (row) => (row.verdict === 'met' ? 'met' : row.verdict === 'MISSED' ? '**MISSED**' : 'not shown'),
    },
  ];
  return [
    markdownTable(columns, targets),
    '',
    `Ratios per rate are medians of the rounds' ratios (range). Added latencies below 0 count as 0. "At ${TARGETS.thousandsFrom}/s and above": every such rate the`,
    'simulator and the floor held; a rate the floor held but sluice did not is a miss. "not shown": this run cannot decide (see the figure).',
  ].join('\n');
}
