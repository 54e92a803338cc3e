/**
 * Two gateway benchmarks over `sluice sim` replicas, each comparing two sides in one run,
 * alternating A B A B at every row with the same arrival schedule:
 *
 *   gateway-overhead  the simulator called directly vs through sluice (one replica):
 *                     what the gateway adds to p50 and p99 at several open-loop rates.
 *   slow-replica      three replicas, one ten times slower; sluice with round robin vs
 *                     P2C over Peak-EWMA (hedging as configured by default): the tail each
 *                     leaves, and the extra upstream attempts it costs.
 *
 * Every server (simulators and sluice) runs on the server CPUs, the generator on the others.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPinning, pinThisProcess, type CpuPinning } from './lib/cpu-pinning.ts';
import { LoadClient, type RequestSource } from './lib/http-target.ts';
import { chatCompletionRequests } from './lib/infer-requests.ts';
import type { RunSummary } from './lib/latency-recorder.ts';
import { runClosedLoop, runOpenLoop } from './lib/open-loop.ts';
import { counterDelta, scrapeMetrics, sumBy, type Sample } from './lib/prometheus-scrape.ts';
import { startCpuMeter } from './lib/process-usage.ts';
import { environmentFacts, formatMs, formatPercent, formatRate, markdownTable, writeResults, type Column } from './lib/report.ts';
import { numberOption, stringOption, type OptionValues, type Scenario, type ScenarioContext } from './lib/scenario.ts';
import { startSimProcess, startSluice, type SluiceProcess } from './lib/server-process.ts';
import { waitUntilSimIdle } from './lib/server-idle.ts';

const MODEL = 'sim-small';
const PROMPTS = ['hello', 'what is the capital of France?', 'summarise this ticket in one line', 'translate "good morning" to Spanish'] as const;
const IDLE_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Generous, so the client's cap on outstanding requests never shapes a row; drops are reported. */
const CONNECTIONS = 2048;
/** Goodput is not what these scenarios judge; the recorder needs an SLO all the same. */
const SLO_MS = 1_000;
const UPSTREAM_COUNTER = 'sluice_upstream_requests_total';

const OVERHEAD_RATES = [500, 1000, 2000, 4000] as const;
const OVERHEAD_MAX_TOKENS = 4;
/** Small latencies, so the gateway's own share is visible next to the upstream's. */
const OVERHEAD_SIM_ARGS = ['--seed', '1', '--max-num-seqs', '256', '--prefill-ms', '1', '--decode-ms', '0.5'];

const SLOW_RATE = 300;
const SLOW_FACTOR = 10;
const SLOW_MAX_TOKENS = 8;
/** ≈ 5 + 7 × 2 = 19 ms per request on a healthy replica, ≈ 190 ms on the slow one. */
const SLOW_SIM_ARGS = ['--max-num-seqs', '256', '--prefill-ms', '5', '--decode-ms', '2'];

const PIN_OPTIONS = {
  'server-cpus': { type: 'string' },
  'client-cpus': { type: 'string' },
  'no-pin': { type: 'boolean' },
} as const;

interface Common {
  readonly quick: boolean;
  readonly rowMs: number;
  readonly rounds: number;
  readonly seed: number;
  readonly pinning: CpuPinning | undefined;
}

function commonOf({ quick, values }: ScenarioContext): Common {
  return {
    quick,
    rowMs: numberOption(values, 'gw-duration-s', quick ? 2 : 10) * 1000,
    rounds: numberOption(values, 'gw-rounds', 2),
    seed: numberOption(values, 'gw-seed', 1),
    pinning: values['no-pin'] === true ? undefined : pinningOf(values),
  };
}

function pinningOf(values: OptionValues): CpuPinning | undefined {
  return defaultPinning(stringOption(values, 'server-cpus'), stringOption(values, 'client-cpus'));
}

function ratesOf(values: OptionValues, name: string, fallback: readonly number[]): number[] {
  const text = stringOption(values, name);
  if (text === undefined) return [...fallback];
  const rates = text.split(',').map(Number);
  if (rates.some((rate) => !(rate > 0))) throw new Error(`--${name} must be a comma-separated list of positive rates, got "${text}"`);
  return rates;
}

/** A side of a comparison: where its requests go, and the processes whose CPU it uses. */
interface Side {
  readonly key: string;
  readonly label: string;
  readonly client: LoadClient;
  /** The sluice process, when the side goes through one (its /metrics is scraped around each row). */
  readonly gateway: SluiceProcess | undefined;
}

interface RunRecord {
  readonly side: string;
  readonly rate: number;
  readonly round: number;
  readonly summary: RunSummary;
  /** CPU cores used during the row, by process label. */
  readonly cpu: Readonly<Record<string, number>>;
  readonly idleBeforeMs: number;
  readonly idleReached: boolean;
  /** Upstream attempts during the row by replica host, from sluice's /metrics; empty without a gateway. */
  readonly upstreamByReplica: Readonly<Record<string, number>>;
  /** The sum of every `*hedge*_total` counter during the row; undefined when sluice exports none. */
  readonly hedges: number | undefined;
}

// ---------------------------------------------------------------------------------------
// Servers

/** A temporary directory holding an empty model repository and the sluice config files. */
function scratchDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sluice-bench-gateway-'));
}

/**
 * A config with the simulators as one backend's replicas and no local models. JSON is
 * YAML, so it is written as JSON: nothing to escape by hand.
 */
async function writeGatewayConfig(dir: string, name: string, replicas: readonly SluiceProcess[], loadBalancing: 'p2c_peak_ewma' | 'round_robin'): Promise<string> {
  const config = {
    models: { repository: dir, build_defaults: false },
    backends: [{ name: 'sim', dialect: 'openai', replicas: replicas.map((replica) => ({ url: replica.origin })), load_balancing: loadBalancing, models: [{ name: MODEL }] }],
  };
  const path = join(dir, `${name}.yaml`);
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

async function startGateway(common: Common, dir: string, label: string, config: string): Promise<SluiceProcess> {
  const cpus = common.pinning?.server;
  return startSluice({ label, modelsDir: dir, config, ...(cpus === undefined ? {} : { cpus }) });
}

async function startSim(common: Common, label: string, args: readonly string[]): Promise<SluiceProcess> {
  const cpus = common.pinning?.server;
  return startSimProcess({ label, args, ...(cpus === undefined ? {} : { cpus }) });
}

function clientFor(origin: string): LoadClient {
  return new LoadClient(origin, { connections: CONNECTIONS, requestTimeoutMs: REQUEST_TIMEOUT_MS });
}

async function stopAll(clients: readonly LoadClient[], servers: readonly SluiceProcess[], dir: string | undefined): Promise<void> {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all(servers.map((server) => server.stop()));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------
// Rows

interface RowPlan {
  readonly rate: number;
  readonly rateIndex: number;
  readonly round: number;
}

/**
 * One open-loop row on one side, every simulator idle first. The arrival seed depends only
 * on the rate, so both sides and every round see the same schedule.
 */
async function runRow(common: Common, side: Side, plan: RowPlan, request: RequestSource, sims: readonly SluiceProcess[], watched: readonly SluiceProcess[]): Promise<RunRecord> {
  const idle = await Promise.all(sims.map((sim) => waitUntilSimIdle(sim.origin, IDLE_TIMEOUT_MS)));
  const before = side.gateway === undefined ? [] : await scrapeMetrics(side.gateway.origin);
  const meters = watched.map((server) => ({ label: server.label, meter: startCpuMeter(server.pid) }));
  const arrivals = { kind: 'poisson', ratePerS: plan.rate, seed: common.seed * 1000 + plan.rateIndex } as const;
  const summary = await runOpenLoop({ client: side.client, request, arrivals, durationMs: common.rowMs, sloMs: SLO_MS });
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
    upstreamByReplica: Object.fromEntries(counterDelta(sumBy(before, UPSTREAM_COUNTER, 'replica'), sumBy(after, UPSTREAM_COUNTER, 'replica'))),
    hedges: hedgeDelta(before, after),
  };
}

/** Whatever hedge counter sluice exports (the feature is being wired in); undefined when none. */
function hedgeDelta(before: readonly Sample[], after: readonly Sample[]): number | undefined {
  const isHedgeCounter = (sample: Sample) => sample.name.includes('hedge') && sample.name.endsWith('_total');
  const total = (samples: readonly Sample[]) => samples.filter(isHedgeCounter).reduce((sum, sample) => sum + sample.value, 0);
  return after.some(isHedgeCounter) ? total(after) - total(before) : undefined;
}

/** Rates in order; at each, the sides alternate A B A B ... for `rounds` rounds. */
async function runRows(common: Common, sides: readonly Side[], rates: readonly number[], request: RequestSource, sims: readonly SluiceProcess[], watched: readonly SluiceProcess[]): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (const [rateIndex, rate] of rates.entries()) {
    for (let round = 1; round <= common.rounds; round += 1) {
      for (const side of sides) {
        const record = await runRow(common, side, { rate, rateIndex, round }, request, sims, watched);
        records.push(record);
        console.log(progressLine(record));
      }
    }
  }
  return records;
}

function progressLine(record: RunRecord): string {
  const { summary } = record;
  return `  ${record.rate}/s round ${record.round} ${record.side}: sent ${formatRate(summary.sent / summary.durationS)}/s, 2xx p50 ${formatMs(summary.outcomes.ok.p50Ms)} ms, p99 ${formatMs(summary.outcomes.ok.p99Ms)} ms, failed ${failedCount(summary)}, dropped ${summary.droppedByClient}`;
}

function failedCount(summary: RunSummary): number {
  return summary.outcomes.shed.count + summary.outcomes.timeout.count + summary.outcomes.error.count;
}

function failuresText(summary: RunSummary): string {
  const kinds = Object.entries(summary.failureKinds).map(([kind, count]) => `${kind} ${count}`);
  if (summary.droppedByClient > 0) kinds.push(`dropped ${summary.droppedByClient}`);
  return kinds.length === 0 ? '0' : kinds.join(', ');
}

async function warmUp(sides: readonly Side[], request: RequestSource): Promise<void> {
  // Not measured: JIT on both sides of the wire, first connections, the balancer's first estimates.
  for (const side of sides) await runClosedLoop({ client: side.client, request, users: 16, durationMs: 1000, sloMs: SLO_MS });
}

function pinningText(pinning: CpuPinning | undefined): string {
  return pinning === undefined
    ? '- CPUs: not pinned (servers and generator share every core)'
    : `- CPUs: every server (simulators and sluice) on ${pinning.server}, load generator on ${pinning.client} (taskset)`;
}

// ---------------------------------------------------------------------------------------
// gateway-overhead

export const gatewayOverheadScenario: Scenario = {
  name: 'gateway-overhead',
  summary: `non-streaming chat completions at ${OVERHEAD_RATES.join(', ')} req/s (open loop): a simulator called directly vs through sluice`,
  options: {
    'gw-duration-s': { type: 'string' },
    'gw-rounds': { type: 'string' },
    'gw-seed': { type: 'string' },
    'overhead-rates': { type: 'string' },
    ...PIN_OPTIONS,
  },
  run: async (context) => runGatewayOverhead(commonOf(context), ratesOf(context.values, 'overhead-rates', OVERHEAD_RATES)),
};

async function runGatewayOverhead(common: Common, rates: readonly number[]): Promise<void> {
  const started = new Date().toISOString();
  const request = chatCompletionRequests(MODEL, OVERHEAD_MAX_TOKENS, PROMPTS);
  const servers: SluiceProcess[] = [];
  const clients: LoadClient[] = [];
  let dir: string | undefined;
  if (common.pinning !== undefined) pinThisProcess(common.pinning.client);
  try {
    dir = await scratchDir();
    const sim = await startSim(common, 'sim', OVERHEAD_SIM_ARGS);
    servers.push(sim);
    const gateway = await startGateway(common, dir, 'gateway', await writeGatewayConfig(dir, 'overhead', [sim], 'p2c_peak_ewma'));
    servers.push(gateway);
    const sides: Side[] = [
      { key: 'direct', label: 'simulator directly', client: clientFor(sim.origin), gateway: undefined },
      { key: 'sluice', label: 'through sluice', client: clientFor(gateway.origin), gateway },
    ];
    clients.push(...sides.map((side) => side.client));
    console.log(`## gateway-overhead${common.quick ? ' (quick)' : ''}\n`);
    console.log(`- simulator: pid ${sim.pid}, sluice sim ${OVERHEAD_SIM_ARGS.join(' ')}; ${MODEL}, max_tokens ${OVERHEAD_MAX_TOKENS}, not streamed`);
    console.log(`- sluice: pid ${gateway.pid}, one backend with the simulator as its only replica (default timeouts, connections, hedging)`);
    console.log(pinningText(common.pinning));
    await warmUp(sides, request);
    const records = await runRows(common, sides, rates, request, [sim], [sim, gateway]);
    console.log(`\n### Open loop, Poisson arrivals, ${common.rowMs / 1000} s per row, direct and sluice alternating\n\n${overheadTable(records)}\n`);
    const path = await writeResults('gateway-overhead', { scenario: 'gateway-overhead', started, environment: environmentFacts(), settings: { ...common, rates, simArgs: OVERHEAD_SIM_ARGS, maxTokens: OVERHEAD_MAX_TOKENS, connections: CONNECTIONS }, records });
    console.log(`results: ${path}`);
  } finally {
    await stopAll(clients, servers, dir);
  }
}

interface OverheadRow {
  readonly rate: number;
  readonly round: number;
  readonly direct: RunRecord;
  readonly sluice: RunRecord;
}

function pairRows(records: readonly RunRecord[], first: string, second: string): Array<{ readonly rate: number; readonly round: number; readonly a: RunRecord; readonly b: RunRecord }> {
  const pairs: Array<{ rate: number; round: number; a: RunRecord; b: RunRecord }> = [];
  for (const a of records.filter((record) => record.side === first)) {
    const b = records.find((record) => record.side === second && record.rate === a.rate && record.round === a.round);
    if (b !== undefined) pairs.push({ rate: a.rate, round: a.round, a, b });
  }
  return pairs;
}

function overheadTable(records: readonly RunRecord[]): string {
  const rows: OverheadRow[] = pairRows(records, 'direct', 'sluice').map(({ rate, round, a, b }) => ({ rate, round, direct: a, sluice: b }));
  const ok = (record: RunRecord) => record.summary.outcomes.ok;
  const columns: Column<OverheadRow>[] = [
    { header: 'offered/s', cell: (row) => String(row.rate), align: 'right' },
    { header: 'round', cell: (row) => String(row.round), align: 'right' },
    { header: 'direct p50', cell: (row) => formatMs(ok(row.direct).p50Ms), align: 'right' },
    { header: 'direct p99', cell: (row) => formatMs(ok(row.direct).p99Ms), align: 'right' },
    { header: 'sluice p50', cell: (row) => formatMs(ok(row.sluice).p50Ms), align: 'right' },
    { header: 'sluice p99', cell: (row) => formatMs(ok(row.sluice).p99Ms), align: 'right' },
    { header: 'added p50', cell: (row) => formatMs(ok(row.sluice).p50Ms - ok(row.direct).p50Ms), align: 'right' },
    { header: 'added p99', cell: (row) => formatMs(ok(row.sluice).p99Ms - ok(row.direct).p99Ms), align: 'right' },
    { header: 'direct failed', cell: (row) => failuresText(row.direct.summary) },
    { header: 'sluice failed', cell: (row) => failuresText(row.sluice.summary) },
    { header: 'CPU sim / sluice (sluice side)', cell: (row) => `${cores(row.sluice, 'sim')} / ${cores(row.sluice, 'gateway')}`, align: 'right' },
    { header: 'send lag p99', cell: (row) => `${formatMs(row.direct.summary.sendLag.p99Ms)} / ${formatMs(row.sluice.summary.sendLag.p99Ms)}`, align: 'right' },
  ];
  return `${markdownTable(columns, rows)}\n\nLatencies in ms, 2xx only, from each request's intended send time. CPU in cores. Send lag: direct / sluice.`;
}

function cores(record: RunRecord, label: string): string {
  const value = record.cpu[label];
  return value === undefined ? 'n/a' : value.toFixed(2);
}

// ---------------------------------------------------------------------------------------
// slow-replica

export const slowReplicaScenario: Scenario = {
  name: 'slow-replica',
  summary: `three simulator replicas, one ${SLOW_FACTOR}x slower, at ${SLOW_RATE} req/s (open loop): sluice with round_robin vs p2c_peak_ewma, hedging as configured by default`,
  options: {
    'gw-duration-s': { type: 'string' },
    'gw-rounds': { type: 'string' },
    'gw-seed': { type: 'string' },
    'slow-rates': { type: 'string' },
    ...PIN_OPTIONS,
  },
  run: async (context) => runSlowReplica(commonOf(context), ratesOf(context.values, 'slow-rates', [SLOW_RATE])),
};

async function runSlowReplica(common: Common, rates: readonly number[]): Promise<void> {
  const started = new Date().toISOString();
  const request = chatCompletionRequests(MODEL, SLOW_MAX_TOKENS, PROMPTS);
  const servers: SluiceProcess[] = [];
  const clients: LoadClient[] = [];
  let dir: string | undefined;
  if (common.pinning !== undefined) pinThisProcess(common.pinning.client);
  try {
    dir = await scratchDir();
    const sims = await startReplicas(common);
    servers.push(...sims);
    const scratch = dir;
    const gateways = await Promise.all(
      (['round_robin', 'p2c_peak_ewma'] as const).map(async (policy) => startGateway(common, scratch, policy, await writeGatewayConfig(scratch, policy, sims, policy))),
    );
    servers.push(...gateways);
    const sides: Side[] = gateways.map((gateway) => ({ key: gateway.label, label: gateway.label, client: clientFor(gateway.origin), gateway }));
    clients.push(...sides.map((side) => side.client));
    const slowHost = new URL(sims[0]?.origin ?? '').host;
    console.log(`## slow-replica${common.quick ? ' (quick)' : ''}\n`);
    for (const sim of sims) console.log(`- ${sim.label}: pid ${sim.pid}, ${new URL(sim.origin).host}`);
    console.log(`- simulators: sluice sim ${SLOW_SIM_ARGS.join(' ')}; the slow one with --slow-factor ${SLOW_FACTOR}; ${MODEL}, max_tokens ${SLOW_MAX_TOKENS}, not streamed`);
    for (const gateway of gateways) console.log(`- sluice ${gateway.label}: pid ${gateway.pid}, load_balancing: ${gateway.label}, hedging and everything else default`);
    console.log(pinningText(common.pinning));
    await warmUp(sides, request);
    const records = await runRows(common, sides, rates, request, sims, [...sims, ...gateways]);
    console.log(`\n### Open loop, Poisson arrivals, ${common.rowMs / 1000} s per row, round_robin and p2c_peak_ewma alternating\n\n${slowTable(records, slowHost)}\n`);
    const path = await writeResults('slow-replica', { scenario: 'slow-replica', started, environment: environmentFacts(), settings: { ...common, rates, simArgs: SLOW_SIM_ARGS, slowFactor: SLOW_FACTOR, slowReplica: slowHost, maxTokens: SLOW_MAX_TOKENS, connections: CONNECTIONS }, records });
    console.log(`results: ${path}`);
  } finally {
    await stopAll(clients, servers, dir);
  }
}

/** The first replica is the slow one; seeds differ so the replicas do not answer in lockstep. */
async function startReplicas(common: Common): Promise<SluiceProcess[]> {
  const specs = [
    { label: 'sim-slow', args: [...SLOW_SIM_ARGS, '--seed', '1', '--slow-factor', String(SLOW_FACTOR)] },
    { label: 'sim-2', args: [...SLOW_SIM_ARGS, '--seed', '2'] },
    { label: 'sim-3', args: [...SLOW_SIM_ARGS, '--seed', '3'] },
  ];
  return Promise.all(specs.map((spec) => startSim(common, spec.label, spec.args)));
}

function slowTable(records: readonly RunRecord[], slowHost: string): string {
  const ok = (record: RunRecord) => record.summary.outcomes.ok;
  const attempts = (record: RunRecord) => Object.values(record.upstreamByReplica).reduce((sum, count) => sum + count, 0);
  const columns: Column<RunRecord>[] = [
    { header: 'offered/s', cell: (record) => String(record.rate), align: 'right' },
    { header: 'round', cell: (record) => String(record.round), align: 'right' },
    { header: 'balancer', cell: (record) => record.side },
    { header: 'p50', cell: (record) => formatMs(ok(record).p50Ms), align: 'right' },
    { header: 'p99', cell: (record) => formatMs(ok(record).p99Ms), align: 'right' },
    { header: 'p99.9', cell: (record) => formatMs(ok(record).p999Ms), align: 'right' },
    { header: 'max', cell: (record) => formatMs(ok(record).maxMs), align: 'right' },
    { header: 'failed', cell: (record) => failuresText(record.summary) },
    { header: 'requests sent', cell: (record) => String(record.summary.sent), align: 'right' },
    { header: 'upstream attempts', cell: (record) => String(attempts(record)), align: 'right' },
    { header: 'extra load', cell: (record) => (record.summary.sent === 0 ? 'n/a' : formatPercent(attempts(record) / record.summary.sent - 1)), align: 'right' },
    { header: 'to slow replica', cell: (record) => (attempts(record) === 0 ? 'n/a' : formatPercent((record.upstreamByReplica[slowHost] ?? 0) / attempts(record))), align: 'right' },
    { header: 'hedges', cell: (record) => (record.hedges === undefined ? 'n/a' : String(record.hedges)), align: 'right' },
  ];
  return [
    markdownTable(columns, records),
    '',
    `Latencies in ms, 2xx only, from each request's intended send time. Upstream attempts: the change in \`${UPSTREAM_COUNTER}\` over the row;`,
    'extra load = attempts / requests sent − 1 (hedges and failovers). Hedges: the change in any `*hedge*_total` counter of /metrics, n/a when sluice exports none.',
  ].join('\n');
}

