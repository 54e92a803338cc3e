/** The overload benchmark's tables and its checks against the load-control targets. */
import type { RunSummary } from './lib/latency-recorder.ts';
import type { CpuCores } from './lib/process-usage.ts';
import type { CapacityPoint } from './lib/capacity.ts';
import { formatRatio, pairRatios, type RatioSummary } from './lib/ratios.ts';
import { formatBytes, formatMs, formatPercent, formatRate, markdownTable, type Column } from './lib/report.ts';

export type SideKey = 'on' | 'off';

/** What the tables call the two sides: load control on and off, or this checkout and a baseline (`--baseline-root`). */
export interface SideNames {
  readonly column: string;
  readonly on: string;
  readonly off: string;
  /** Who a goodput ratio above 1x favours. */
  readonly favoured: string;
}

export const LOAD_CONTROL_NAMES: SideNames = { column: 'load control', on: 'on', off: 'off', favoured: 'load control' };
export const BASELINE_NAMES: SideNames = { column: 'checkout', on: 'current', off: 'baseline', favoured: 'current' };

export interface OverloadRow {
  readonly side: SideKey;
  readonly label: string;
  readonly multiplier: number;
  /** Rounds alternate on and off at every rate: on₁ off₁ on₂ off₂ … */
  readonly round: number;
  readonly summary: RunSummary;
  readonly peakRssBytes: number | undefined;
  /** The generator's share is taken from the server on a shared machine; so is the neighbours'. */
  readonly cpu: CpuCores;
  readonly idleBeforeMs: number;
  /** False when a server was still busy with an earlier backlog when the row started. */
  readonly idleReached: boolean;
  /** The row's 429s and 504s by who gave them (the gate's guards, the model queue's reasons), from `/metrics`. */
  readonly refusedBy: Readonly<Record<string, number>>;
}

export type Verdict = 'pass' | 'MISS' | 'inconclusive';

export interface CheckResult {
  readonly name: string;
  readonly target: string;
  readonly measured: Readonly<Record<SideKey, string>>;
  /** Judged on the load-control-on side; `inconclusive` when what it compares against was itself unhealthy. */
  readonly verdict: Verdict;
  readonly note: string;
}

/** The targets; "a few ms" for a shed answer is read as 5 ms at p99. */
export const TARGETS = {
  overloadMultiplier: 3,
  baselineMultiplier: 0.8,
  maxP99Inflation: 2,
  minGoodputFraction: 0.9,
  maxShedP99Ms: 5,
} as const;
/** A generator that sent 1 % of its requests later than this was itself a bottleneck. */
const CLIENT_LAG_WARNING_MS = 10;

export function capacityTable(points: readonly CapacityPoint[]): string {
  const columns: Column<CapacityPoint>[] = [
    { header: 'users', cell: (point) => String(point.users), align: 'right' },
    { header: '2xx/s', cell: (point) => formatRate(point.okPerS), align: 'right' },
    { header: 'p50 ms', cell: (point) => formatMs(point.summary.outcomes.ok.p50Ms), align: 'right' },
    { header: 'p99 ms', cell: (point) => formatMs(point.summary.outcomes.ok.p99Ms), align: 'right' },
    {
      header: 'non-2xx',
      cell: (point) => String(point.summary.completed - point.summary.outcomes.ok.count),
      align: 'right',
    },
    { header: 'CPU server/client/other', cell: (point) => cpuCell(point.cpu), align: 'right' },
  ];
  return markdownTable(columns, points);
}

function refusedByCell(refusedBy: Readonly<Record<string, number>>): string {
  const counts = Object.entries(refusedBy).filter(([, count]) => count > 0);
  return counts.length === 0 ? '-' : counts.map(([who, count]) => `${who} ${count}`).join(', ');
}

function cpuCell(cpu: CpuCores): string {
  return [cpu.server, cpu.client, cpu.other].map((cores) => cores.toFixed(2)).join('/');
}

export function overloadTable(
  rows: readonly OverloadRow[],
  capacity: number,
  names: SideNames = LOAD_CONTROL_NAMES,
): string {
  const ms = (pick: (summary: RunSummary) => number) => (row: OverloadRow) => formatMs(pick(row.summary));
  const columns: Column<OverloadRow>[] = [
    { header: 'load', cell: (row) => `${row.multiplier}x` },
    { header: 'round', cell: (row) => String(row.round), align: 'right' },
    { header: names.column, cell: (row) => names[row.side] },
    { header: 'offered/s', cell: (row) => formatRate(row.summary.offeredRate), align: 'right' },
    { header: 'sent/s', cell: (row) => formatRate(row.summary.sent / row.summary.durationS), align: 'right' },
    { header: '2xx/s', cell: (row) => formatRate(row.summary.okThroughput), align: 'right' },
    {
      header: 'goodput/s',
      cell: (row) => `${formatRate(row.summary.goodput)} (${formatPercent(row.summary.goodput / capacity)})`,
      align: 'right',
    },
    { header: '2xx p50', cell: ms((summary) => summary.outcomes.ok.p50Ms), align: 'right' },
    { header: '2xx p99', cell: ms((summary) => summary.outcomes.ok.p99Ms), align: 'right' },
    { header: '2xx p99.9', cell: ms((summary) => summary.outcomes.ok.p999Ms), align: 'right' },
    {
      header: 'shed',
      cell: (row) => formatPercent(row.summary.outcomes.shed.count / Math.max(1, row.summary.sent)),
      align: 'right',
    },
    {
      header: '429 p99',
      cell: (row) => (row.summary.outcomes.shed.count === 0 ? '-' : formatMs(row.summary.outcomes.shed.p99Ms)),
      align: 'right',
    },
    { header: '504', cell: (row) => String(row.summary.outcomes.timeout.count), align: 'right' },
    { header: 'errors', cell: (row) => String(row.summary.outcomes.error.count), align: 'right' },
    { header: 'dropped', cell: (row) => String(row.summary.droppedByClient), align: 'right' },
    { header: 'send lag p99', cell: ms((summary) => summary.sendLag.p99Ms), align: 'right' },
    { header: 'refused by', cell: (row) => refusedByCell(row.refusedBy) },
    { header: 'CPU server/client/other', cell: (row) => cpuCell(row.cpu), align: 'right' },
    { header: 'peak RSS', cell: (row) => formatBytes(row.peakRssBytes), align: 'right' },
  ];
  return `${markdownTable(columns, rows)}\n\nlatencies in ms from each request's intended send time; goodput = 2xx within the SLO per second (and as a share of capacity); shed = 429s as a share of requests sent; refused by = the gate's guards (concurrency, loop_lag, tenant_share) and the model queue's reasons (queue_full, predicted_miss, deadline), from the server's /metrics; CPU in cores (server process, this load generator, the rest of the machine)`;
}

const SIDES: readonly SideKey[] = ['on', 'off'];
const verdictOf = (pass: boolean): Verdict => (pass ? 'pass' : 'MISS');
const perSide = (measure: (side: SideKey) => string) =>
  Object.fromEntries(SIDES.map((side) => [side, measure(side)])) as Record<SideKey, string>;

/** The rows the checks compare, per side. */
interface CheckedRows {
  readonly overloaded: (side: SideKey) => OverloadRow | undefined;
  readonly baseline: (side: SideKey) => OverloadRow | undefined;
  /** Said on every check: what makes the overloaded row less trustworthy, if anything. */
  readonly note: string;
}

/** Load control on against off at each rate, each figure as on ÷ off within a round, summarised over rounds. */
export function ratioTable(rows: readonly OverloadRow[], names: SideNames = LOAD_CONTROL_NAMES): string {
  const ratios = (value: (summary: RunSummary) => number) =>
    pairRatios(rows, { a: 'off', b: 'on', group: (row) => row.multiplier, value: (row) => value(row.summary) });
  const goodput = ratios((summary) => summary.goodput);
  const p99 = ratios((summary) => summary.outcomes.ok.p99Ms);
  const p999 = ratios((summary) => summary.outcomes.ok.p999Ms);
  const quotient = `${names.on} ÷ ${names.off}`;
  const columns: Column<RatioSummary>[] = [
    { header: 'load', cell: (summary) => `${summary.group}x` },
    { header: `goodput ${quotient}`, cell: (summary) => formatRatio(summary), align: 'right' },
    {
      header: `2xx p99 ${quotient}`,
      cell: (summary) => formatRatio(p99.find((each) => each.group === summary.group) ?? summary),
      align: 'right',
    },
    {
      header: `2xx p99.9 ${quotient}`,
      cell: (summary) => formatRatio(p999.find((each) => each.group === summary.group) ?? summary),
      align: 'right',
    },
  ];
  return `${markdownTable(columns, goodput)}\n\nmedian of the rounds' ratios (range over rounds); goodput above 1x and latency below 1x favour ${names.favoured}`;
}

export function overloadChecks(rows: readonly OverloadRow[], capacity: number, sloMs: number): CheckResult[] {
  const at = (multiplier: number) => (side: SideKey) =>
    rows.find((row) => row.side === side && row.multiplier === multiplier);
  const overloaded = at(TARGETS.overloadMultiplier);
  const checked: CheckedRows = {
    overloaded,
    baseline: at(TARGETS.baselineMultiplier),
    note: clientLagNote(overloaded('on')),
  };
  return [latencyCheck(checked, sloMs), goodputCheck(checked, capacity), shedCheck(checked)];
}

function latencyCheck({ overloaded, baseline, note }: CheckedRows, sloMs: number): CheckResult {
  const inflation = (side: SideKey) => {
    const high = overloaded(side)?.summary.outcomes.ok;
    const low = baseline(side)?.summary.outcomes.ok;
    if (high === undefined || low === undefined || high.count === 0 || low.count === 0) return undefined;
    return {
      ratio: high.p99Ms / low.p99Ms,
      text: `${formatMs(high.p99Ms)} vs ${formatMs(low.p99Ms)} ms (${(high.p99Ms / low.p99Ms).toFixed(2)}x)`,
    };
  };
  // Below capacity the server should meet the SLO; when it did not, "within 2x of it" means nothing.
  const baselineP99 = baseline('on')?.summary.outcomes.ok.p99Ms ?? Infinity;
  const healthy = baselineP99 <= sloMs;
  const unhealthy = `the ${TARGETS.baselineMultiplier}x row itself missed the ${sloMs} ms SLO (2xx p99 ${formatMs(baselineP99)} ms)`;
  return {
    name: `2xx p99 at ${TARGETS.overloadMultiplier}x vs ${TARGETS.baselineMultiplier}x`,
    target: `≤ ${TARGETS.maxP99Inflation}x`,
    measured: perSide((side) => inflation(side)?.text ?? 'no 2xx answers'),
    verdict: healthy ? verdictOf((inflation('on')?.ratio ?? Infinity) <= TARGETS.maxP99Inflation) : 'inconclusive',
    note: healthy ? note : [unhealthy, note].filter((part) => part !== '').join('; '),
  };
}

function goodputCheck({ overloaded, note }: CheckedRows, capacity: number): CheckResult {
  const goodput = (side: SideKey) => overloaded(side)?.summary.goodput ?? 0;
  return {
    name: `goodput at ${TARGETS.overloadMultiplier}x`,
    target: `≥ ${formatPercent(TARGETS.minGoodputFraction)} of capacity (${formatRate(TARGETS.minGoodputFraction * capacity)}/s)`,
    measured: perSide((side) => `${formatRate(goodput(side))}/s (${formatPercent(goodput(side) / capacity)})`),
    verdict: verdictOf(goodput('on') >= TARGETS.minGoodputFraction * capacity),
    note,
  };
}

function shedCheck({ overloaded, note }: CheckedRows): CheckResult {
  const shed = (side: SideKey) => overloaded(side)?.summary.outcomes.shed;
  const describe = (side: SideKey) => {
    const answers = shed(side);
    return answers === undefined || answers.count === 0
      ? 'nothing was shed'
      : `${formatMs(answers.p99Ms)} ms (${answers.count} shed)`;
  };
  const onSide = shed('on');
  return {
    name: `429 answer p99 at ${TARGETS.overloadMultiplier}x`,
    target: `≤ ${TARGETS.maxShedP99Ms} ms`,
    measured: perSide(describe),
    verdict: verdictOf(onSide !== undefined && onSide.count > 0 && onSide.p99Ms <= TARGETS.maxShedP99Ms),
    note,
  };
}

function clientLagNote(row: OverloadRow | undefined): string {
  if (row === undefined) return 'row missing';
  const lag = row.summary.sendLag.p99Ms;
  if (lag > CLIENT_LAG_WARNING_MS)
    return `the generator sent 1 % of requests > ${formatMs(lag)} ms late: client-bound, latencies include it`;
  return row.idleReached
    ? ''
    : 'a server was still busy with an earlier backlog (or its stats were unreadable) when the row started';
}

export function checksTable(checks: readonly CheckResult[], names: SideNames = LOAD_CONTROL_NAMES): string {
  const columns: Column<CheckResult>[] = [
    { header: 'check', cell: (check) => check.name },
    { header: 'target', cell: (check) => check.target },
    { header: `${names.column} ${names.on}`, cell: (check) => check.measured.on },
    { header: names.off, cell: (check) => check.measured.off },
    { header: 'result', cell: (check) => check.verdict },
    { header: 'note', cell: (check) => check.note },
  ];
  return markdownTable(columns, checks);
}
