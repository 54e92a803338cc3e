/**
 * The compliance benchmark's rounds (benchmarks/compliance.ts): every variant's row once a
 * round, one after the other in an order rotated each round, or all at once sharing the CPU
 * (`--compliance-together`); each row a closed loop (or open-loop arrivals) against one
 * server, every server quiet first, its CPU read until it is quiet again after the row.
 */
import { batchDelta, readBatchCounts } from './batch-stats.ts';
import { BASELINE, roundOrder, type ComplianceRecord, type VariantKey } from './compliance-report.ts';
import type { CpuPinning } from './cpu-pinning.ts';
import type { LoadClient, RequestSource } from './http-target.ts';
import { runClosedLoop, runOpenLoop } from './open-loop.ts';
import { waitUntilQuiet } from './process-quiet.ts';
import { readCpuSeconds, startCpuMeter } from './process-usage.ts';
import { ProgressBar } from './progress.ts';
import type { IdleResult } from './server-idle.ts';
import type { SluiceProcess } from './server-process.ts';

export const LOG_LEVELS = ['debug', 'info', 'warn'] as const;
export const IDLE_TIMEOUT_MS = 30_000;
/** Only 2xx answers count; the recorder needs an SLO all the same. */
const SLO_MS = 1_000;

export interface Settings {
  readonly quick: boolean;
  readonly rowMs: number;
  readonly warmupMs: number;
  readonly rounds: number;
  readonly users: number;
  readonly model: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly pinning: CpuPinning | undefined;
  /** Each server runs under `node --cpu-prof` and writes its profile here, in a folder per variant, when it exits. */
  readonly profileDir: string | undefined;
  /** `SLUICE_*` overrides for every server (`--compliance-env KEY=VALUE`); none by default. */
  readonly env: Readonly<Record<string, string>>;
  /** The variants run (`--compliance-variants audit,all`): the baseline and those named; all but `quality-off` and `ledger-off` by default. */
  readonly variants: readonly VariantKey[];
  /**
   * Rows offer open-loop Poisson arrivals at this share of the baseline's closed-loop rate,
   * measured once after the warm-ups (`--compliance-open-load 0.8`); undefined: closed loop.
   */
  readonly openLoad: number | undefined;
  /** A round's rows run at the same time, the servers sharing their CPU (`--compliance-together`). */
  readonly together: boolean;
}

/** A variant's server, its client and requests, and every 2xx it answered (warm-up included), for the audit check. */
export interface VariantServer {
  readonly key: VariantKey;
  readonly server: SluiceProcess;
  readonly client: LoadClient;
  readonly request: RequestSource;
  /** A key with scope read when auth is on, for the model's batch counts. */
  readonly statsHeaders: Readonly<Record<string, string>>;
  readonly stateDir: string;
  answered2xx: number;
}

export async function runRounds(settings: Settings, servers: readonly VariantServer[]): Promise<ComplianceRecord[]> {
  const rowsPerRound = settings.together ? 1 : servers.length;
  const progress = new ProgressBar('compliance', servers.length + rowsPerRound * settings.rounds, settings.rowMs);
  const records: ComplianceRecord[] = [];
  try {
    for (const side of servers) {
      progress.start(`${side.key}: warm-up`);
      await runRow(settings, servers, side, settings.warmupMs, 0, CLOSED);
      progress.finish(`${side.key}: warm-up done`);
    }
    const load = await loadOf(settings, servers);
    for (let round = 1; round <= settings.rounds; round += 1) {
      if (settings.together) {
        progress.start(`round ${round}, every variant at once`);
        // One wait for every server, then every row at once: a row that waited alone could start late and run alone.
        const idle = await everyServerQuiet(servers);
        const rows = await Promise.all(
          servers.map((side) => runQuietRow(settings, side, settings.rowMs, round, load, idle)),
        );
        records.push(...rows);
        progress.finish(
          `round ${round}: ${rows.map((row) => `${row.side} ${row.okPerS.toFixed(0)} req/s`).join(', ')}`,
        );
        continue;
      }
      for (const side of roundOrder(servers, round)) {
        progress.start(`round ${round} ${side.key}`);
        const record = await runRow(settings, servers, side, settings.rowMs, round, load);
        records.push(record);
        progress.finish(
          `round ${round} ${side.key}: ${record.okPerS.toFixed(0)} req/s, p99 ${record.p99Ms?.toFixed(1) ?? '-'} ms`,
        );
      }
    }
  } finally {
    progress.close();
  }
  return records;
}

/** A row's load: a closed loop of `settings.users`, or Poisson arrivals at a fixed rate (the same schedule for every variant of a round). */
type Load = { readonly kind: 'closed' } | { readonly kind: 'open'; readonly ratePerS: number };
const CLOSED: Load = { kind: 'closed' };

/** With --compliance-open-load: that share of the baseline's closed-loop rate, measured over one row now. */
async function loadOf(settings: Settings, servers: readonly VariantServer[]): Promise<Load> {
  const baseline = servers.find((side) => side.key === BASELINE);
  if (settings.openLoad === undefined || baseline === undefined) return CLOSED;
  const capacity = await runRow(settings, servers, baseline, settings.rowMs, 0, CLOSED);
  const ratePerS = settings.openLoad * capacity.okPerS;
  console.log(
    `capacity (the baseline, closed loop): ${capacity.okPerS.toFixed(0)} req/s; rows offer ${ratePerS.toFixed(0)} req/s`,
  );
  return { kind: 'open', ratePerS };
}

/**
 * A closed loop (or open-loop arrivals) against one server, every server quiet first. The server's CPU is read from
 * the start of the row until it is quiet again after it, so work the row left behind (the
 * last audit batch, a collection) is charged to the row.
 */
async function runRow(
  settings: Settings,
  servers: readonly VariantServer[],
  side: VariantServer,
  durationMs: number,
  round: number,
  load: Load,
): Promise<ComplianceRecord> {
  return runQuietRow(settings, side, durationMs, round, load, await everyServerQuiet(servers));
}

function everyServerQuiet(servers: readonly VariantServer[]): Promise<IdleResult> {
  return waitUntilQuiet(
    servers.map((each) => each.server.pid),
    IDLE_TIMEOUT_MS,
  );
}

/** A row once every server is quiet (or the wait gave up: `idle`). */
async function runQuietRow(
  settings: Settings,
  side: VariantServer,
  durationMs: number,
  round: number,
  load: Load,
  idle: IdleResult,
): Promise<ComplianceRecord> {
  const { pid } = side.server;
  const batchesBefore = await readBatchCounts(side.server.origin, settings.model, side.statsHeaders);
  const cpuBefore = readCpuSeconds(pid) ?? 0;
  const meter = startCpuMeter(pid);
  const { client, request } = side;
  const summary =
    load.kind === 'open'
      ? await runOpenLoop({
          client,
          request,
          durationMs,
          sloMs: SLO_MS,
          arrivals: { kind: 'poisson', ratePerS: load.ratePerS, seed: round },
        })
      : await runClosedLoop({ client, request, users: settings.users, durationMs, sloMs: SLO_MS });
  const cpu = meter.read();
  await waitUntilQuiet([pid], IDLE_TIMEOUT_MS);
  const cpuAfter = readCpuSeconds(pid) ?? cpuBefore;
  const batchesAfter = await readBatchCounts(side.server.origin, settings.model, side.statsHeaders);
  const ok = summary.outcomes.ok;
  side.answered2xx += ok.count;
  return {
    round,
    side: side.key,
    users: settings.users,
    ok: ok.count,
    okPerS: summary.okThroughput,
    p50Ms: ok.count === 0 ? undefined : ok.p50Ms,
    p99Ms: ok.count === 0 ? undefined : ok.p99Ms,
    failureKinds: summary.failureKinds,
    serverCpuSeconds: cpuAfter - cpuBefore,
    cpu,
    idleReached: idle.idle,
    meanBatch: batchDelta(batchesBefore, batchesAfter, 1)?.meanSize,
  };
}
