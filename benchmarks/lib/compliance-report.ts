/**
 * The `compliance` benchmark's figures: each variant's rows round by round, its figures
 * against the baseline of the same round (ratios.ts), the median and spread of both over
 * rounds, issue 14's audit target, and the check that the audit log holds a record per
 * answer. Pure: tested without servers (test/bench-compliance.test.ts).
 *
 *   round 1: baseline audit redact auth all      each figure ÷ the baseline's of its round,
 *   round 2: audit redact auth all baseline      then the median and range of those ratios
 */
import type { CpuCores } from './process-usage.ts';
import { formatRatio, pairRatios, type Measured, type RatioSummary } from './ratios.ts';
import { formatMs, formatRate, markdownTable, type Column } from './report.ts';
import { formatSpread, spreadOf, type Spread } from './slots-report.ts';

export const BASELINE = 'baseline';
export const VARIANTS = [BASELINE, 'audit', 'redact', 'auth', 'all', 'quality-off', 'ledger-off'] as const;
export type VariantKey = (typeof VARIANTS)[number];
/** The variants run when none are named: issue 14's; `quality-off` (issue 15) and `ledger-off` (issue 16) only when asked for. */
export const DEFAULT_VARIANTS: readonly VariantKey[] = VARIANTS.filter(
  (variant) => variant !== 'quality-off' && variant !== 'ledger-off',
);

/**
 * What each variant turns on over the baseline (auth off, `audit.inferences: none`, `logging.redact: false`,
 * the data-quality stage and the cost ledger on as by default); `quality-off` and `ledger-off` turn one off.
 */
export const VARIANT_SETTINGS: Readonly<Record<VariantKey, string>> = {
  baseline: 'auth off, audit none, redact off',
  audit: 'audit.inferences: all (SQLite)',
  redact: 'logging.redact: true',
  auth: 'auth.enabled, one key (scope infer)',
  all: 'audit all + redact + auth',
  'quality-off': 'as baseline, quality.enabled: false',
  'ledger-off': 'as baseline, ledger.enabled: false',
};

/** Issue 14: "auditing every inference costs at most 5% of throughput". */
export const AUDIT_TARGET = { variant: 'audit', minThroughputRatio: 0.95 } as const;

export interface ComplianceRecord extends Measured {
  readonly side: VariantKey;
  readonly users: number;
  /** 2xx answers in the row. */
  readonly ok: number;
  readonly okPerS: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  /** Non-2xx answers and client failures, by kind. */
  readonly failureKinds: Readonly<Record<string, number>>;
  /** CPU of the server process from the row's start until it was quiet after it (deferred audit writes included). */
  readonly serverCpuSeconds: number;
  /** CPU in cores during the row: the server, the generator, the rest of the machine. */
  readonly cpu: CpuCores;
  /** False when some server was still busy when the row started. */
  readonly idleReached: boolean;
  /** Items per batch the model ran during the row (its stats API); undefined when they could not be read. */
  readonly meanBatch: number | undefined;
}

/** CPU-seconds of the server per 1000 2xx answers; undefined for a row with none. */
export function cpuPerThousand(record: Pick<ComplianceRecord, 'ok' | 'serverCpuSeconds'>): number | undefined {
  return record.ok > 0 ? (record.serverCpuSeconds / record.ok) * 1000 : undefined;
}

/** The variants in the order round `round` (from 1) runs them: rotated one place a round, so none always goes first. */
export function roundOrder<Item>(variants: readonly Item[], round: number): Item[] {
  if (variants.length === 0) return [];
  const shift = (((round - 1) % variants.length) + variants.length) % variants.length;
  return [...variants.slice(shift), ...variants.slice(0, shift)];
}

type Figure = 'okPerS' | 'cpuPer1000' | 'p50Ms' | 'p99Ms';
const FIGURES: readonly Figure[] = ['okPerS', 'cpuPer1000', 'p50Ms', 'p99Ms'];

function figureOf(record: ComplianceRecord, figure: Figure): number | undefined {
  return figure === 'cpuPer1000' ? cpuPerThousand(record) : record[figure];
}

export interface VariantSummary {
  readonly variant: VariantKey;
  readonly rounds: number;
  /** Each figure over rounds: median (min, max). */
  readonly figures: Readonly<Record<Figure, Spread | undefined>>;
  /** Each figure ÷ the baseline's in the same round, over rounds; undefined for the baseline itself. */
  readonly ratios: Readonly<Record<Figure, RatioSummary | undefined>> | undefined;
}

export function summarise(records: readonly ComplianceRecord[]): VariantSummary[] {
  return VARIANTS.flatMap((variant) => {
    const own = records.filter((record) => record.side === variant);
    if (own.length === 0) return [];
    const figures = Object.fromEntries(
      FIGURES.map((figure) => [figure, spreadOf(own.flatMap((record) => definedOf(figureOf(record, figure))))]),
    ) as Record<Figure, Spread | undefined>;
    const ratios =
      variant === BASELINE
        ? undefined
        : (Object.fromEntries(FIGURES.map((figure) => [figure, ratioOf(records, variant, figure)])) as Record<
            Figure,
            RatioSummary | undefined
          >);
    return [{ variant, rounds: own.length, figures, ratios }];
  });
}

function ratioOf(records: readonly ComplianceRecord[], variant: VariantKey, figure: Figure): RatioSummary | undefined {
  const [summary] = pairRatios(records, {
    a: BASELINE,
    b: variant,
    group: () => figure,
    value: (record) => figureOf(record, figure) ?? Number.NaN,
  });
  return summary;
}

function definedOf(value: number | undefined): number[] {
  return value === undefined || !Number.isFinite(value) ? [] : [value];
}

export type Verdict = 'met' | 'MISSED' | 'n/a';

export interface TargetResult {
  readonly verdict: Verdict;
  /** The audit variant's throughput ÷ the baseline's, median over rounds (range). */
  readonly measured: string;
  /** What auditing costs in throughput at the median, e.g. "7.9%". */
  readonly cost: string;
}

/** Met when the median over rounds of the audit variant's throughput ratio is at least 0.95. */
export function auditTarget(summaries: readonly VariantSummary[]): TargetResult {
  const ratio = summaries.find((summary) => summary.variant === AUDIT_TARGET.variant)?.ratios?.okPerS;
  if (ratio?.median === undefined) return { verdict: 'n/a', measured: 'n/a', cost: 'n/a' };
  return {
    verdict: ratio.median >= AUDIT_TARGET.minThroughputRatio ? 'met' : 'MISSED',
    measured: formatRatio(ratio),
    cost: `${((1 - ratio.median) * 100).toFixed(1)}%`,
  };
}

const oneDecimal = (value: number) => value.toFixed(value < 10 ? 2 : 1);

/** One row per variant: each figure as median (min to max) over rounds, and its ratio to the same round's baseline. */
export function summaryTable(summaries: readonly VariantSummary[]): string {
  const figure = (name: Figure, unit: (value: number) => string) => (summary: VariantSummary) =>
    formatSpread(summary.figures[name], unit);
  const ratio = (name: Figure) => (summary: VariantSummary) => {
    if (summary.ratios === undefined) return '1 (itself)';
    const ratios = summary.ratios[name];
    return ratios === undefined ? 'n/a' : formatRatio(ratios);
  };
  const columns: Column<VariantSummary>[] = [
    { header: 'variant', cell: (summary) => `${summary.variant} (${VARIANT_SETTINGS[summary.variant]})` },
    { header: 'req/s', cell: figure('okPerS', formatRate), align: 'right' },
    { header: 'req/s ÷ baseline', cell: ratio('okPerS'), align: 'right' },
    { header: 'CPU-s / 1000 req', cell: figure('cpuPer1000', oneDecimal), align: 'right' },
    { header: 'CPU ÷ baseline', cell: ratio('cpuPer1000'), align: 'right' },
    { header: 'p50 ms', cell: figure('p50Ms', formatMs), align: 'right' },
    { header: 'p50 ÷ baseline', cell: ratio('p50Ms'), align: 'right' },
    { header: 'p99 ms', cell: figure('p99Ms', formatMs), align: 'right' },
    { header: 'p99 ÷ baseline', cell: ratio('p99Ms'), align: 'right' },
  ];
  return markdownTable(columns, summaries);
}

/** Every row as measured, in the order run, with its throughput ÷ the baseline of its round. */
export function roundsTable(records: readonly ComplianceRecord[]): string {
  const baselineOf = (round: number) =>
    records.find((record) => record.round === round && record.side === BASELINE)?.okPerS;
  const optional = (value: number | undefined, format: (value: number) => string) =>
    value === undefined ? '-' : format(value);
  const columns: Column<ComplianceRecord>[] = [
    { header: 'round', cell: (record) => String(record.round), align: 'right' },
    { header: 'variant', cell: (record) => record.side },
    { header: 'req/s', cell: (record) => formatRate(record.okPerS), align: 'right' },
    {
      header: '÷ baseline',
      cell: (record) => {
        const base = baselineOf(record.round);
        return base === undefined || base <= 0 ? '-' : `${(record.okPerS / base).toFixed(3)}x`;
      },
      align: 'right',
    },
    { header: 'CPU-s / 1000 req', cell: (record) => optional(cpuPerThousand(record), oneDecimal), align: 'right' },
    { header: 'p50 ms', cell: (record) => optional(record.p50Ms, formatMs), align: 'right' },
    { header: 'p99 ms', cell: (record) => optional(record.p99Ms, formatMs), align: 'right' },
    { header: 'mean batch', cell: (record) => optional(record.meanBatch, (value) => value.toFixed(1)), align: 'right' },
    { header: 'failed', cell: (record) => failuresText(record.failureKinds) },
    {
      header: 'CPU cores: server / generator / rest',
      cell: ({ cpu }) => `${cpu.server.toFixed(2)} / ${cpu.client.toFixed(2)} / ${cpu.other.toFixed(2)}`,
      align: 'right',
    },
    { header: 'idle first', cell: (record) => (record.idleReached ? 'yes' : 'NO') },
  ];
  return markdownTable(columns, records);
}

function failuresText(kinds: Readonly<Record<string, number>>): string {
  const parts = Object.entries(kinds).map(([kind, count]) => `${kind} ${count}`);
  return parts.length === 0 ? '0' : parts.join(', ');
}

/** What the audit log of a variant's server held once it had exited, against what its clients were answered. */
export interface AuditCheck {
  readonly variant: VariantKey;
  /** 2xx answers the generator received from this server over its whole life (warm-up included). */
  readonly answered2xx: number;
  /** `inference` records with a 2xx status. */
  readonly records2xx: number;
  /** `inference` records with any other status. */
  readonly recordsOther: number;
  /** Records of any other action (e.g. `auth.failure`). */
  readonly otherActions: number;
  /** `verifyAuditChain` over the whole log: "ok (N records)" or the first bad record. */
  readonly chain: string;
  /** The server's exit code after SIGTERM (it flushes the audit buffer on the way out). */
  readonly exitCode: number | null;
}

/** True when every 2xx answer has exactly one record and the chain verifies. */
export function auditCheckPassed(check: AuditCheck): boolean {
  return check.records2xx === check.answered2xx && check.chain.startsWith('ok');
}

export function auditChecksTable(checks: readonly AuditCheck[]): string {
  const columns: Column<AuditCheck>[] = [
    { header: 'variant', cell: (check) => check.variant },
    { header: '2xx answered', cell: (check) => String(check.answered2xx), align: 'right' },
    { header: '`inference` records, 2xx', cell: (check) => String(check.records2xx), align: 'right' },
    { header: 'other statuses', cell: (check) => String(check.recordsOther), align: 'right' },
    { header: 'other actions', cell: (check) => String(check.otherActions), align: 'right' },
    { header: 'chain', cell: (check) => check.chain },
    { header: 'exit', cell: (check) => String(check.exitCode) },
    { header: 'one record per 2xx', cell: (check) => (auditCheckPassed(check) ? 'yes' : 'NO') },
  ];
  return markdownTable(columns, checks);
}

/** A key the auth variants declare, by hash only (the whole key goes in the requests' headers). */
export interface DeclaredKey {
  readonly id: string;
  readonly hash: string;
}

/** The auth variants' tenant: a key to infer with, and one to read the model's batch counts between rows. */
export interface DeclaredKeys {
  readonly tenant: string;
  readonly infer: DeclaredKey;
  readonly read: DeclaredKey;
}

/**
 * The configuration file of a variant's server: its own state directory, and each stage on
 * or off as the variant says. The log level comes from the environment (server-process.ts).
 */
export function variantConfig(variant: VariantKey, stateDir: string, keys: DeclaredKeys): Record<string, unknown> {
  const on = (stage: 'audit' | 'redact' | 'auth') => variant === stage || variant === 'all';
  return {
    models: { build_defaults: false },
    state: { directory: stateDir },
    logging: { redact: on('redact') },
    audit: { inferences: on('audit') ? 'all' : 'none' },
    auth: { enabled: on('auth') },
    quality: { enabled: variant !== 'quality-off' },
    ledger: { enabled: variant !== 'ledger-off' },
    tenants: on('auth')
      ? [
          {
            name: keys.tenant,
            keys: [
              { id: keys.infer.id, hash: keys.infer.hash, scopes: ['infer'] },
              { id: keys.read.id, hash: keys.read.hash, scopes: ['read'] },
            ],
          },
        ]
      : [],
  };
}
