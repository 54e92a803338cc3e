/**
 * gateway-overhead's judgement, apart from running it: the latency each gateway adds over
 * the simulator called directly, ratios between gateways pair by pair within a round, the
 * highest rate each gateway sustains, and issue 5's targets. Pure functions of the rows,
 * unit-tested in test/bench-gateway.test.ts.
 */
import { formatRatio, median, pairRatios, type RatioSummary } from './ratios.ts';

export const DIRECT = 'direct';
export const FLOOR = 'floor';
export const SLUICE = 'sluice';
export const PORTKEY = 'portkey';
/** Another checkout's sluice (`--baseline-root`), set up like `sluice`. */
export const BASELINE = 'baseline';

/** What the judgement reads of a row: a structural subset of gateway-rows' RunRecord. */
export interface OverheadRecord {
  readonly side: string;
  readonly rate: number;
  readonly round: number;
  readonly summary: {
    readonly scheduled: number;
    readonly offeredRate: number;
    readonly okThroughput: number;
    readonly outcomes: { readonly ok: { readonly count: number; readonly p50Ms: number; readonly p99Ms: number } };
    /** How late the generator sent, against the intended times. */
    readonly sendLag: { readonly p99Ms: number };
  };
}

/**
 * A row holds its rate when at least 99 % of the scheduled arrivals got a 2xx (client drops
 * count against it) and 2xx answers per second, from the start to the last answer, kept
 * up with 95 % of the offered rate: a backlog that outlasts the row lowers the latter.
 */
export const HOLD = { okShare: 0.99, throughputShare: 0.95 } as const;

export const TARGETS = {
  /** Sluice's added p50 and p99 at most this many times the floor's... */
  addedOverFloor: 1.5,
  /** ...at every rate from this one up that the floor holds. */
  thousandsFrom: 1000,
  /** Sluice's maximum sustained rate at least this many times Portkey's. */
  rateOverPortkey: 5,
  /** Sluice's added p99 at most this share of Portkey's, at the highest rate Portkey holds. */
  p99ShareOfPortkey: 0.1,
} as const;

/**
 * A generator whose sends were this late (p99) shared its CPU with something: the row's
 * latencies, counted from the intended times, then include that lateness.
 */
export const LAGGED_SEND_MS = 10;

export function laggedRows(records: readonly OverheadRecord[]): OverheadRecord[] {
  return records.filter((record) => record.summary.sendLag.p99Ms > LAGGED_SEND_MS);
}

export function rowHolds(record: OverheadRecord): boolean {
  const { scheduled, offeredRate, okThroughput, outcomes } = record.summary;
  return (
    scheduled > 0 && outcomes.ok.count >= HOLD.okShare * scheduled && okThroughput >= HOLD.throughputShare * offeredRate
  );
}

/** `held` in every round, `failed` in none, `partly` in some; `not run` without rows (skipped, or the side is absent). */
export type RateVerdict = 'held' | 'partly' | 'failed' | 'not run';

export function rateVerdict(records: readonly OverheadRecord[], side: string, rate: number): RateVerdict {
  const rows = records.filter((record) => record.side === side && record.rate === rate);
  if (rows.length === 0) return 'not run';
  const held = rows.filter(rowHolds).length;
  return held === rows.length ? 'held' : held === 0 ? 'failed' : 'partly';
}

/**
 * The rates at which a gateway can be judged: ascending, up to the first one at which the
 * simulator called directly failed every round. There and past it the simulator, not the
 * gateway, is the bottleneck. A rate it held in some rounds only is judged (a noisy round
 * of the baseline says little about the simulator's capacity); the table shows it.
 */
export function judgedRates(records: readonly OverheadRecord[], rates: readonly number[]): number[] {
  const judged: number[] = [];
  for (const rate of [...rates].sort((x, y) => x - y)) {
    const verdict = rateVerdict(records, DIRECT, rate);
    if (verdict === 'failed' || verdict === 'not run') break;
    judged.push(rate);
  }
  return judged;
}

export interface MaxSustained {
  readonly side: string;
  /** The highest judged rate held in every round, every lower judged rate held too; undefined when the lowest was not. */
  readonly rate: number | undefined;
  /** The first judged rate not held; undefined when every judged rate was held (then `rate` is only a lower bound). */
  readonly failedAt: number | undefined;
}

export function maxSustained(records: readonly OverheadRecord[], side: string, rates: readonly number[]): MaxSustained {
  let rate: number | undefined;
  for (const judged of judgedRates(records, rates)) {
    if (rateVerdict(records, side, judged) !== 'held') return { side, rate, failedAt: judged };
    rate = judged;
  }
  return { side, rate, failedAt: undefined };
}

/** "≥ 8000/s", "2000/s (not 4000/s)", "< 500/s". */
export function formatMaxSustained(max: MaxSustained): string {
  if (max.rate === undefined) return max.failedAt === undefined ? 'n/a' : `< ${max.failedAt}/s`;
  return max.failedAt === undefined ? `≥ ${max.rate}/s` : `${max.rate}/s (not ${max.failedAt}/s)`;
}

/**
 * Why a side should not run at `rate`, from the rows of earlier rates: it, or the simulator
 * called directly, already failed every round at a lower rate. Its maximum is then known,
 * and offering it more only leaves a backlog on the core the next rows share.
 */
export function skipReason(earlier: readonly OverheadRecord[], side: string, rate: number): string | undefined {
  if (side === DIRECT) return undefined;
  const lower = [...new Set(earlier.map((record) => record.rate))]
    .filter((earlierRate) => earlierRate < rate)
    .sort((x, y) => x - y);
  for (const earlierRate of lower) {
    if (rateVerdict(earlier, DIRECT, earlierRate) === 'failed')
      return `the simulator alone failed every round at ${earlierRate}/s`;
    if (rateVerdict(earlier, side, earlierRate) === 'failed') return `it failed every round at ${earlierRate}/s`;
  }
  return undefined;
}

export interface AddedRecord {
  readonly side: string;
  readonly rate: number;
  readonly round: number;
  /** The side's 2xx p50 minus the direct side's in the same round and rate; may be negative (noise). */
  readonly addedP50Ms: number;
  readonly addedP99Ms: number;
  readonly p99Ms: number;
}

/** Each gateway row against the direct row of its round and rate. */
export function addedOverDirect(records: readonly OverheadRecord[]): AddedRecord[] {
  return records.flatMap((record) => {
    if (record.side === DIRECT) return [];
    const direct = records.find(
      (other) => other.side === DIRECT && other.rate === record.rate && other.round === record.round,
    );
    if (direct === undefined) return [];
    const [side, base] = [record.summary.outcomes.ok, direct.summary.outcomes.ok];
    return [
      {
        side: record.side,
        rate: record.rate,
        round: record.round,
        addedP50Ms: side.p50Ms - base.p50Ms,
        addedP99Ms: side.p99Ms - base.p99Ms,
        p99Ms: side.p99Ms,
      },
    ];
  });
}

/**
 * Added latency as it enters a ratio: a negative difference of two percentiles is noise,
 * so it counts as 0 (a numerator of 0 gives 0x; a denominator of 0 gives no ratio).
 */
export function clampAdded(ms: number): number {
  return Math.max(0, ms);
}

export interface RateRatios {
  readonly rate: number;
  readonly sluiceOverFloorP50: RatioSummary | undefined;
  readonly sluiceOverFloorP99: RatioSummary | undefined;
  /** Whole p99s, not added ones: no subtraction of tails, so no noise of that kind. */
  readonly sluiceOverFloorAbsoluteP99: RatioSummary | undefined;
  readonly portkeyOverSluiceP50: RatioSummary | undefined;
  readonly portkeyOverSluiceP99: RatioSummary | undefined;
  /** This checkout's sluice over a baseline checkout's; undefined without one. */
  readonly sluiceOverBaselineP50: RatioSummary | undefined;
  readonly sluiceOverBaselineP99: RatioSummary | undefined;
}

function ratioAt(
  added: readonly AddedRecord[],
  a: string,
  b: string,
  value: (record: AddedRecord) => number,
  rate: number,
): RatioSummary | undefined {
  return pairRatios(
    added.filter((record) => record.rate === rate),
    { a, b, group: (record) => record.rate, value },
  )[0];
}

export function rateRatios(added: readonly AddedRecord[], rates: readonly number[]): RateRatios[] {
  const p50 = (record: AddedRecord) => clampAdded(record.addedP50Ms);
  const p99 = (record: AddedRecord) => clampAdded(record.addedP99Ms);
  return rates.map((rate) => ({
    rate,
    sluiceOverFloorP50: ratioAt(added, FLOOR, SLUICE, p50, rate),
    sluiceOverFloorP99: ratioAt(added, FLOOR, SLUICE, p99, rate),
    sluiceOverFloorAbsoluteP99: ratioAt(added, FLOOR, SLUICE, (record) => record.p99Ms, rate),
    portkeyOverSluiceP50: ratioAt(added, SLUICE, PORTKEY, p50, rate),
    portkeyOverSluiceP99: ratioAt(added, SLUICE, PORTKEY, p99, rate),
    sluiceOverBaselineP50: ratioAt(added, BASELINE, SLUICE, p50, rate),
    sluiceOverBaselineP99: ratioAt(added, BASELINE, SLUICE, p99, rate),
  }));
}

export type Verdict = 'met' | 'MISSED' | 'not shown';

export interface TargetResult {
  readonly target: string;
  readonly verdict: Verdict;
  readonly figure: string;
}

/** Issue 5's targets for scenarios 3 and 4; `portkeyMeasured` is false when Portkey is not installed. */
export function overheadTargets(
  records: readonly OverheadRecord[],
  rates: readonly number[],
  portkeyMeasured: boolean,
): TargetResult[] {
  const added = addedOverDirect(records);
  return [
    floorTarget(records, added, rates, 'p50'),
    floorTarget(records, added, rates, 'p99'),
    portkeyRateTarget(records, rates, portkeyMeasured),
    portkeyP99Target(records, added, rates, portkeyMeasured),
  ];
}

function floorTarget(
  records: readonly OverheadRecord[],
  added: readonly AddedRecord[],
  rates: readonly number[],
  percentile: 'p50' | 'p99',
): TargetResult {
  const target = `sluice's added ${percentile} within ${TARGETS.addedOverFloor}x of the floor's at ${TARGETS.thousandsFrom}/s and above`;
  const candidates = judgedRates(records, rates).filter(
    (rate) => rate >= TARGETS.thousandsFrom && rateVerdict(records, FLOOR, rate) === 'held',
  );
  if (candidates.length === 0)
    return {
      target,
      verdict: 'not shown',
      figure: `no rate from ${TARGETS.thousandsFrom}/s up that the simulator and the floor both held`,
    };
  const value = (record: AddedRecord) => clampAdded(percentile === 'p50' ? record.addedP50Ms : record.addedP99Ms);
  const items = candidates.map((rate) => {
    if (rateVerdict(records, SLUICE, rate) !== 'held')
      return { miss: true, decided: true, text: `${rate}/s: sluice did not hold it` };
    const ratio = ratioAt(added, FLOOR, SLUICE, value, rate);
    if (ratio?.median === undefined)
      return { miss: false, decided: false, text: `${rate}/s: n/a (floor's added ${percentile} ≤ 0)` };
    return { miss: ratio.median > TARGETS.addedOverFloor, decided: true, text: `${rate}/s ${formatRatio(ratio)}` };
  });
  const verdict: Verdict = items.some((item) => item.miss)
    ? 'MISSED'
    : items.some((item) => item.decided)
      ? 'met'
      : 'not shown';
  return { target, verdict, figure: items.map((item) => item.text).join('; ') };
}

function portkeyRateTarget(
  records: readonly OverheadRecord[],
  rates: readonly number[],
  portkeyMeasured: boolean,
): TargetResult {
  const target = `sluice's maximum sustained rate ≥ ${TARGETS.rateOverPortkey}x Portkey's`;
  if (!portkeyMeasured) return { target, verdict: 'not shown', figure: 'Portkey not measured (not installed)' };
  const [sluice, portkey] = [maxSustained(records, SLUICE, rates), maxSustained(records, PORTKEY, rates)];
  const figure = `sluice ${formatMaxSustained(sluice)}, Portkey ${formatMaxSustained(portkey)}`;
  if (sluice.rate === undefined) return { target, verdict: 'MISSED', figure };
  // Portkey's true maximum lies below the first rate it failed, or below the lowest judged rate.
  const portkeyBound = portkey.rate ?? portkey.failedAt;
  if (portkeyBound === undefined) return { target, verdict: 'not shown', figure: `${figure}: no judged rate` };
  const ratio = sluice.rate / portkeyBound;
  // A lower bound of the ratio when sluice held every judged rate or Portkey held none.
  const lowerBound = sluice.failedAt === undefined || portkey.rate === undefined;
  if (portkey.failedAt === undefined)
    return {
      target,
      verdict: 'not shown',
      figure: `${figure}: Portkey held every judged rate, so its maximum is unknown`,
    };
  if (ratio >= TARGETS.rateOverPortkey)
    return { target, verdict: 'met', figure: `${figure}: ${lowerBound ? '> ' : ''}${ratio.toFixed(1)}x` };
  return {
    target,
    verdict: lowerBound ? 'not shown' : 'MISSED',
    figure: `${figure}: ${lowerBound ? '≥ ' : ''}${ratio.toFixed(1)}x${lowerBound ? ' (raise --overhead-rates to see more)' : ''}`,
  };
}

function portkeyP99Target(
  records: readonly OverheadRecord[],
  added: readonly AddedRecord[],
  rates: readonly number[],
  portkeyMeasured: boolean,
): TargetResult {
  const target = `sluice's added p99 ≤ ${TARGETS.p99ShareOfPortkey}x Portkey's at the highest rate Portkey holds`;
  if (!portkeyMeasured) return { target, verdict: 'not shown', figure: 'Portkey not measured (not installed)' };
  const rate = maxSustained(records, PORTKEY, rates).rate;
  if (rate === undefined)
    return { target, verdict: 'not shown', figure: 'Portkey held no judged rate (lower --overhead-rates to find one)' };
  if (rateVerdict(records, SLUICE, rate) !== 'held')
    return { target, verdict: 'MISSED', figure: `sluice did not hold ${rate}/s, which Portkey held` };
  const ratio = ratioAt(added, PORTKEY, SLUICE, (record) => clampAdded(record.addedP99Ms), rate);
  const ms = (side: string) =>
    median(
      added
        .filter((record) => record.side === side && record.rate === rate)
        .map((record) => record.addedP99Ms)
        .sort((x, y) => x - y),
    );
  const figure = `added p99 at ${rate}/s (median of rounds): sluice ${formatAddedMs(ms(SLUICE))} ms, Portkey ${formatAddedMs(ms(PORTKEY))} ms`;
  if (ratio?.median === undefined)
    return { target, verdict: 'not shown', figure: `${figure}: Portkey's added p99 ≤ 0` };
  return {
    target,
    verdict: ratio.median <= TARGETS.p99ShareOfPortkey ? 'met' : 'MISSED',
    figure: `${figure}; sluice / Portkey ${formatShare(ratio)}`,
  };
}

/** Like formatRatio, with two significant digits below 0.1x, where this target's figures lie ("0.0028x"). */
function formatShare(summary: RatioSummary): string {
  const text = (value: number | undefined) =>
    value === undefined ? 'n/a' : value < 0.1 ? `${value.toPrecision(2)}x` : `${value.toFixed(2)}x`;
  return summary.min === summary.max
    ? text(summary.median)
    : `${text(summary.median)} (${text(summary.min)}–${text(summary.max)})`;
}

/** Added milliseconds with their sign: "−36", "0.42"; "—" for none. */
export function formatAddedMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  const size = Math.abs(ms);
  const text = size < 1 ? size.toFixed(2) : size < 10 ? size.toFixed(1) : size.toFixed(0);
  return ms < 0 ? `−${text}` : text;
}
