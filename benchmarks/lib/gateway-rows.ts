/**
 * What the gateway benchmarks share (gateway-overhead.ts, slow-replica.ts): their common
 * options, starting simulators and sluice pinned to the server CPUs, and running the
 * rows of two sides alternately (A B A B) with the same arrival schedule.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBenchModels } from './bench-models.ts';
import { defaultPinning, pinThisProcess, type CpuPinning } from './cpu-pinning.ts';
import { LoadClient, type RequestSource } from './http-target.ts';
import type { RunSummary } from './latency-recorder.ts';
import { runClosedLoop, runOpenLoop } from './open-loop.ts';
import { counterDelta, scrapeMetrics, type Sample } from './prometheus-scrape.ts';
import { startCpuMeter } from './process-usage.ts';
import { ProgressBar } from './progress.ts';
import { formatMs, formatRate } from './report.ts';
import { numberOption, stringOption, type OptionValues, type ScenarioContext } from './scenario.ts';
import { startSimProcess, startSluice, type SluiceProcess } from './server-process.ts';
import { waitUntilSimIdle, type IdleResult } from './server-idle.ts';
import { waitUntilQuiet } from './process-quiet.ts';

export const MODEL = 'sim-small';
export const PROMPTS = [
  'hello',
  'what is the capital of France?',
  'summarise this ticket in one line',
  'translate "good morning" to Spanish',
] as const;
export const IDLE_TIMEOUT_MS = 30_000;
export const REQUEST_TIMEOUT_MS = 10_000;
/** Generous, so the client's cap on outstanding requests never shapes a row; drops are reported. */
export const CONNECTIONS = 2048;
/** Goodput is not what these scenarios judge; the recorder needs an SLO all the same. */
export const SLO_MS = 1_000;
export const UPSTREAM_COUNTER = 'sluice_upstream_requests_total';
/** Which admission guard refused how many (loop_lag, concurrency): what an ERR_ADMISSION_OVERLOADED answer does not say. */
const ADMISSION_REFUSED_COUNTER = 'sluice_admission_refused_total';

export const PIN_OPTIONS = {
  'server-cpus': { type: 'string' },
  'client-cpus': { type: 'string' },
  'no-pin': { type: 'boolean' },
} as const;

export interface Common {
  readonly quick: boolean;
  readonly rowMs: number;
  readonly rounds: number;
  readonly seed: number;
  readonly pinning: CpuPinning | undefined;
}

export function commonOf({ quick, values }: ScenarioContext): Common {
  return {
    quick,
    rowMs: numberOption(values, 'gw-duration-s', quick ? 2 : 10) * 1000,
    rounds: numberOption(values, 'gw-rounds', 2),
    seed: numberOption(values, 'gw-seed', 1),
    pinning: values['no-pin'] === true ? undefined : pinningOf(values),
  };
}

export function pinningOf(values: OptionValues): CpuPinning | undefined {
  return defaultPinning(stringOption(values, 'server-cpus'), stringOption(values, 'client-cpus'));
}

export function ratesOf(values: OptionValues, name: string, fallback: readonly number[]): number[] {
  const text = stringOption(values, name);
  if (text === undefined) return [...fallback];
  const rates = text.split(',').map(Number);
  if (rates.some((rate) => !(rate > 0)))
    throw new Error(`--${name} must be a comma-separated list of positive rates, got "${text}"`);
  return rates;
}

/** A side of a comparison: where its requests go, and the processes whose CPU it uses. */
export interface Side {
  readonly key: string;
  readonly label: string;
  readonly client: LoadClient;
  /** The sluice process, when the side goes through one (its /metrics is scraped around each row). */
  readonly gateway: SluiceProcess | undefined;
  /** Its own requests (e.g. with a peer gateway's routing headers), on the plan's arrival schedule; the plan's by default. */
  readonly request?: RequestSource;
}

export interface RunRecord {
  readonly side: string;
  readonly rate: number;
  readonly round: number;
  readonly summary: RunSummary;
  /** CPU cores used during the row, by process label. */
  readonly cpu: Readonly<Record<string, number>>;
  readonly idleBeforeMs: number;
  readonly idleReached: boolean;
  /** Requests the gateway's admission gate refused during the row, by guard; empty for a side without sluice. */
  readonly admissionRefusals: Readonly<Record<string, number>>;
  /** Upstream attempts during the row by replica host, from sluice's /metrics; empty without a gateway. */
  readonly upstreamByReplica: Readonly<Record<string, number>>;
  /** The sum of every `*hedge*_total` counter during the row; undefined when sluice exports none. */
  readonly hedges: number | undefined;
}

// ---------------------------------------------------------------------------------------
// Servers

/** The smallest benchmark model (a tabular MLP): what a gateway's model repository holds. */
const SEED_MODEL = 'noshow-risk';

/**
 * A temporary directory holding the sluice config files and a model repository with one
 * tiny local model that no row sends to: since af02f16 `sluice serve` refuses a named
 * repository that holds no model, even when the config has backends.
 */
async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-gateway-'));
  await cp(join(await ensureBenchModels(), SEED_MODEL), join(dir, SEED_MODEL), { recursive: true });
  return dir;
}

/**
 * A config with the simulators as one backend's replicas and no local models. JSON is
 * YAML, so it is written as JSON: nothing to escape by hand.
 */
export async function writeGatewayConfig(
  dir: string,
  name: string,
  replicas: readonly SluiceProcess[],
  loadBalancing: 'p2c_peak_ewma' | 'round_robin',
): Promise<string> {
  const config = {
    models: { repository: dir, build_defaults: false },
    backends: [
      {
        name: 'sim',
        dialect: 'openai',
        replicas: replicas.map((replica) => ({ url: replica.origin })),
        load_balancing: loadBalancing,
        models: [{ name: MODEL }],
      },
    ],
  };
  const path = join(dir, `${name}.yaml`);
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/** Sluice with `config` on the server CPUs; from another checkout when `root` is given. */
export async function startGateway(
  common: Common,
  dir: string,
  label: string,
  config: string,
  root?: string,
  env?: Readonly<Record<string, string>>,
): Promise<SluiceProcess> {
  const cpus = common.pinning?.server;
  return startSluice({
    label,
    modelsDir: dir,
    config,
    ...(root === undefined ? {} : { root }),
    ...(env === undefined ? {} : { env }),
    ...(cpus === undefined ? {} : { cpus }),
  });
}

export async function startSim(common: Common, label: string, args: readonly string[]): Promise<SluiceProcess> {
  const cpus = common.pinning?.server;
  return startSimProcess({ label, args, ...(cpus === undefined ? {} : { cpus }) });
}

function clientFor(origin: string): LoadClient {
  return new LoadClient(origin, { connections: CONNECTIONS, requestTimeoutMs: REQUEST_TIMEOUT_MS });
}

/** What a scenario starts during a run, all of it stopped and removed when the run ends. */
export interface GatewayRun {
  /** A scratch directory for config files. */
  readonly dir: string;
  /** Keeps a started server to stop at the end; returns it. */
  track<T extends SluiceProcess>(server: T): T;
  /** A load client to `origin`, closed at the end. */
  client(origin: string): LoadClient;
}

/** Pins the generator, runs `body`, then closes every client, stops every server and removes the scratch directory. */
export async function withGatewayRun(common: Common, body: (run: GatewayRun) => Promise<void>): Promise<void> {
  const servers: SluiceProcess[] = [];
  const clients: LoadClient[] = [];
  if (common.pinning !== undefined) pinThisProcess(common.pinning.client);
  const dir = await scratchDir();
  try {
    await body({
      dir,
      track: (server) => {
        servers.push(server);
        return server;
      },
      client: (origin) => {
        const client = clientFor(origin);
        clients.push(client);
        return client;
      },
    });
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Rows

export interface RowPlan {
  readonly rate: number;
  readonly rateIndex: number;
  readonly round: number;
}

/**
 * One open-loop row on one side, every `quiet` process quiet and every simulator idle first
 * (`idleBeforeMs`: the longest wait). The arrival seed depends only on the rate, so every
 * side and every round see the same schedule.
 */
export async function runRow(
  common: Common,
  side: Side,
  plan: RowPlan,
  request: RequestSource,
  sims: readonly SluiceProcess[],
  watched: readonly SluiceProcess[],
  quiet: readonly SluiceProcess[] = [],
): Promise<RunRecord> {
  // Connections first (see runOpenLoop), so accepting them is over before the row starts.
  await side.client.warm();
  const quieted: IdleResult[] =
    quiet.length === 0
      ? []
      : [
          await waitUntilQuiet(
            quiet.map((server) => server.pid),
            IDLE_TIMEOUT_MS,
          ),
        ];
  const idle = [...quieted, ...(await Promise.all(sims.map((sim) => waitUntilSimIdle(sim.origin, IDLE_TIMEOUT_MS))))];
  const before = side.gateway === undefined ? [] : await scrapeMetrics(side.gateway.origin);
  const meters = watched.map((server) => ({ label: server.label, meter: startCpuMeter(server.pid) }));
  const arrivals = { kind: 'poisson', ratePerS: plan.rate, seed: common.seed * 1000 + plan.rateIndex } as const;
  const summary = await runOpenLoop({
    client: side.client,
    request: side.request ?? request,
    arrivals,
    durationMs: common.rowMs,
    sloMs: SLO_MS,
  });
  const cpu = Object.fromEntries(meters.map(({ label, meter }) => [label, meter.read().server]));
  const after = side.gateway === undefined ? [] : await scrapeMetrics(side.gateway.origin);
  return {
    side: side.key,
    rate: plan.rate,
    round: plan.round,
    summary,
    cpu,
    idleBeforeMs: Math.max(...idle.map((each) => each.waitedMs)),
    idleReached: idle.every((each) => each.idle),
    upstreamByReplica: Object.fromEntries(counterDelta(before, after, UPSTREAM_COUNTER, 'replica')),
    hedges: hedgeDelta(before, after),
    admissionRefusals: Object.fromEntries(
      [...counterDelta(before, after, ADMISSION_REFUSED_COUNTER, 'guard')].filter(([, count]) => count > 0),
    ),
  };
}

/** Whatever hedge counter sluice exports (the feature is being wired in); undefined when none. */
export function hedgeDelta(before: readonly Sample[], after: readonly Sample[]): number | undefined {
  const isHedgeCounter = (sample: Sample) => sample.name.includes('hedge') && sample.name.endsWith('_total');
  const total = (samples: readonly Sample[]) =>
    samples.filter(isHedgeCounter).reduce((sum, sample) => sum + sample.value, 0);
  return after.some(isHedgeCounter) ? total(after) - total(before) : undefined;
}

export interface RowsPlan {
  /** The scenario's name, on the progress bar. */
  readonly scenario: string;
  readonly sides: readonly Side[];
  readonly rates: readonly number[];
  readonly request: RequestSource;
  /** Simulators that must be idle before each row. */
  readonly sims: readonly SluiceProcess[];
  /** Processes whose CPU use is measured during each row. */
  readonly watched: readonly SluiceProcess[];
  /** Processes that must have stopped using CPU before each row (a gateway still working off an earlier overload). */
  readonly quiet?: readonly SluiceProcess[];
  /** A reason not to run a side at a rate, given the rows so far (e.g. it already failed at a lower rate); runs every row by default. */
  readonly skip?: (side: Side, rate: number, earlier: readonly RunRecord[]) => string | undefined;
}

/** Rates in order; at each, the sides alternate A B A B ... for `rounds` rounds. */
export async function runRows(common: Common, plan: RowsPlan): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  const progress = new ProgressBar(plan.scenario, plan.rates.length * common.rounds * plan.sides.length, common.rowMs);
  try {
    for (const [rateIndex, rate] of plan.rates.entries()) {
      // Decided once per rate, from the earlier rates' rows only, so every round runs the same sides.
      const skipped = new Map(plan.sides.map((side) => [side, plan.skip?.(side, rate, [...records])]));
      for (let round = 1; round <= common.rounds; round += 1) {
        for (const side of plan.sides) {
          progress.start(`${rate}/s round ${round} ${side.key}`);
          const reason = skipped.get(side);
          if (reason !== undefined) {
            progress.finish(`${rate}/s round ${round} ${side.key}: skipped, ${reason}`);
            continue;
          }
          const record = await runRow(
            common,
            side,
            { rate, rateIndex, round },
            plan.request,
            plan.sims,
            plan.watched,
            plan.quiet,
          );
          records.push(record);
          progress.finish(progressLine(record));
        }
      }
    }
  } finally {
    progress.close();
  }
  return records;
}

export function progressLine(record: RunRecord): string {
  const { summary } = record;
  return `${record.rate}/s round ${record.round} ${record.side}: sent ${formatRate(summary.sent / summary.durationS)}/s, 2xx p50 ${formatMs(summary.outcomes.ok.p50Ms)} ms, p99 ${formatMs(summary.outcomes.ok.p99Ms)} ms, failed ${failedCount(summary)}, dropped ${summary.droppedByClient}`;
}

export function failedCount(summary: RunSummary): number {
  return summary.outcomes.shed.count + summary.outcomes.timeout.count + summary.outcomes.error.count;
}

export function failuresText(summary: RunSummary, admissionRefusals: Readonly<Record<string, number>> = {}): string {
  const guards = Object.entries(admissionRefusals).map(([guard, count]) => `${guard} ${count}`);
  const kinds = Object.entries(summary.failureKinds).map(([kind, count]) =>
    kind === 'ERR_ADMISSION_OVERLOADED' && guards.length > 0
      ? `${kind} ${count} (${guards.join(', ')})`
      : `${kind} ${count}`,
  );
  if (summary.droppedByClient > 0) kinds.push(`dropped ${summary.droppedByClient}`);
  return kinds.length === 0 ? '0' : kinds.join(', ');
}

export async function warmUp(sides: readonly Side[], request: RequestSource): Promise<void> {
  // Not measured: JIT on both sides of the wire, first connections, the balancer's first estimates.
  for (const side of sides)
    await runClosedLoop({
      client: side.client,
      request: side.request ?? request,
      users: 16,
      durationMs: 1000,
      sloMs: SLO_MS,
    });
}

export function pinningText(pinning: CpuPinning | undefined): string {
  return pinning === undefined
    ? '- CPUs: not pinned (servers and generator share every core)'
    : `- CPUs: every server (simulators and gateways) on ${pinning.server}, load generator on ${pinning.client} (taskset)`;
}

// ---------------------------------------------------------------------------------------
// gateway-overhead
