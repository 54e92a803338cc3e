/**
 * gateway-overhead (issue 5, scenarios 3 and 4): the simulator called directly, through
 * the floor (a minimal pass-through proxy), through sluice and through Portkey's gateway,
 * in turns at each rate with the same arrival schedule, at rates rising to saturation:
 * what each adds to p50 and p99, the highest rate each sustains, and the targets.
 */
import { chatCompletionRequests } from './lib/infer-requests.ts';
import type { RequestSource } from './lib/http-target.ts';
import {
  CONNECTIONS,
  type Common,
  type GatewayRun,
  MODEL,
  PIN_OPTIONS,
  PROMPTS,
  type RunRecord,
  type Side,
  commonOf,
  pinningText,
  ratesOf,
  runRows,
  startGateway,
  startSim,
  warmUp,
  writeGatewayConfig,
  withGatewayRun,
} from './lib/gateway-rows.ts';
import {
  BASELINE,
  DIRECT,
  FLOOR,
  LAGGED_SEND_MS,
  PORTKEY,
  SLUICE,
  addedOverDirect,
  laggedRows,
  maxSustained,
  overheadTargets,
  rateRatios,
  skipReason,
  type TargetResult,
} from './lib/overhead-report.ts';
import { maxSustainedTable, ratiosTable, rowsTable, targetsTable } from './lib/overhead-tables.ts';
import {
  PORTKEY_INSTALL_COMMAND,
  confirmPassesThrough,
  findPortkey,
  portkeyHeaders,
  startPassthrough,
  startPortkey,
  withHeaders,
  type PortkeyInstall,
} from './lib/peer-gateways.ts';
import { environmentFacts, writeResults } from './lib/report.ts';
import type { Scenario } from './lib/scenario.ts';
import { BASELINE_OPTIONS, baselineLine, baselineOf, type Baseline } from './lib/baseline.ts';
import type { SluiceProcess } from './lib/server-process.ts';

/**
 * Rising to saturation: on one shared core, Portkey saturates first, then sluice, the floor,
 * and the simulator last. Steps of 1.33–1.5x, so every side's maximum is found to the same
 * precision: a ladder that doubles would read any maximum between two rungs as the lower one.
 */
const OVERHEAD_RATES = [250, 375, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000] as const;
const OVERHEAD_MAX_TOKENS = 4;
/**
 * Small latencies, so a gateway's own share is visible next to the upstream's. No
 * contention terms and room for thousands of sequences: the simulator's latency model
 * must not saturate before the gateways do, so only its CPU limits it.
 */
const OVERHEAD_SIM_ARGS = [
  '--seed',
  '1',
  '--max-num-seqs',
  '4096',
  '--max-queue',
  '4096',
  '--prefill-ms',
  '1',
  '--decode-ms',
  '0.5',
  '--prefill-contention',
  '0',
  '--decode-contention',
  '0',
];

export const gatewayOverheadScenario: Scenario = {
  name: 'gateway-overhead',
  summary: `non-streaming chat completions at ${OVERHEAD_RATES.join(', ')} req/s (open loop): a simulator called directly, through a minimal pass-through proxy, through sluice and through Portkey`,
  options: {
    'gw-duration-s': { type: 'string' },
    'gw-rounds': { type: 'string' },
    'gw-seed': { type: 'string' },
    'overhead-rates': { type: 'string' },
    ...PIN_OPTIONS,
    ...BASELINE_OPTIONS,
  },
  run: async (context) =>
    runGatewayOverhead(
      commonOf(context),
      ratesOf(context.values, 'overhead-rates', OVERHEAD_RATES),
      baselineOf(context.values),
    ),
};

interface Servers {
  readonly sim: SluiceProcess;
  readonly floor: SluiceProcess;
  readonly sluice: SluiceProcess;
  readonly portkey: SluiceProcess | undefined;
  /** Another checkout's sluice with the same config (`--baseline-root`). */
  readonly baseline: SluiceProcess | undefined;
}

async function startServers(
  common: Common,
  run: GatewayRun,
  portkey: PortkeyInstall | undefined,
  baseline: Baseline | undefined,
): Promise<Servers> {
  const cpus = common.pinning?.server;
  const sim = run.track(await startSim(common, 'sim', OVERHEAD_SIM_ARGS));
  const floor = run.track(await startPassthrough(FLOOR, sim.origin, cpus));
  const config = await writeGatewayConfig(run.dir, 'overhead', [sim], 'p2c_peak_ewma');
  const sluice = run.track(await startGateway(common, run.dir, SLUICE, config, undefined, baseline?.currentEnv));
  const before =
    baseline === undefined
      ? undefined
      : run.track(await startGateway(common, run.dir, BASELINE, config, baseline.root));
  const peer = portkey === undefined ? undefined : run.track(await startPortkey(portkey, PORTKEY, cpus));
  return { sim, floor, sluice, portkey: peer, baseline: before };
}

/** Direct, floor, sluice, Portkey: the order the sides take their turns in every round. */
function sidesOf(run: GatewayRun, servers: Servers, request: RequestSource): Side[] {
  const sides: Side[] = [
    { key: DIRECT, label: 'simulator directly', client: run.client(servers.sim.origin), gateway: undefined },
    {
      key: FLOOR,
      label: 'through the pass-through proxy',
      client: run.client(servers.floor.origin),
      gateway: undefined,
    },
    { key: SLUICE, label: 'through sluice', client: run.client(servers.sluice.origin), gateway: servers.sluice },
  ];
  if (servers.baseline !== undefined)
    sides.push({
      key: BASELINE,
      label: 'through the baseline checkout of sluice',
      client: run.client(servers.baseline.origin),
      gateway: servers.baseline,
    });
  if (servers.portkey !== undefined) {
    const portkeyRequest = withHeaders(request, PROMPTS.length, portkeyHeaders(servers.sim.origin));
    sides.push({
      key: PORTKEY,
      label: 'through Portkey',
      client: run.client(servers.portkey.origin),
      gateway: undefined,
      request: portkeyRequest,
    });
  }
  return sides;
}

async function runGatewayOverhead(
  common: Common,
  rates: readonly number[],
  baseline: Baseline | undefined,
): Promise<void> {
  const started = new Date().toISOString();
  const request = chatCompletionRequests(MODEL, OVERHEAD_MAX_TOKENS, PROMPTS);
  const portkey = findPortkey();
  if (portkey === undefined)
    console.error(
      `gateway-overhead: Portkey is not installed; run \`${PORTKEY_INSTALL_COMMAND}\` to compare with it. Measuring the other sides only.`,
    );
  await withGatewayRun(common, async (run) => {
    const servers = await startServers(common, run, portkey, baseline);
    const sides = sidesOf(run, servers, request);
    for (const side of sides.slice(1))
      await confirmPassesThrough(side.key, originOf(servers, side.key), (side.request ?? request)(0), servers.sim);
    printHeader(common, servers, portkey);
    if (baseline !== undefined) console.log(baselineLine(baseline));
    await warmUp(sides, request);
    const gateways = [servers.floor, servers.sluice, servers.baseline, servers.portkey].filter(
      (server): server is SluiceProcess => server !== undefined,
    );
    const records = await runRows(common, {
      scenario: 'gateway-overhead',
      sides,
      rates,
      request,
      sims: [servers.sim],
      watched: [servers.sim, ...gateways],
      quiet: gateways,
      skip: (side, rate, earlier) => skipReason(earlier, side.key, rate),
    });
    const keys = sides.map((side) => side.key);
    const targets = overheadTargets(records, rates, servers.portkey !== undefined);
    printTables(common, records, rates, keys, targets);
    const derived = {
      maxSustained: keys.map((key) => maxSustained(records, key, rates)),
      ratios: rateRatios(addedOverDirect(records), rates),
      targets,
    };
    const settings = {
      ...common,
      rates,
      simArgs: OVERHEAD_SIM_ARGS,
      maxTokens: OVERHEAD_MAX_TOKENS,
      connections: CONNECTIONS,
      portkey: portkey?.version ?? 'not installed',
      baseline,
    };
    const path = await writeResults('gateway-overhead', {
      scenario: 'gateway-overhead',
      started,
      environment: environmentFacts(),
      settings,
      records,
      derived,
    });
    console.log(`results: ${path}`);
  });
}

function printTables(
  common: Common,
  records: readonly RunRecord[],
  rates: readonly number[],
  keys: readonly string[],
  targets: readonly TargetResult[],
): void {
  console.log(
    `\n### Open loop, Poisson arrivals, ${common.rowMs / 1000} s per row, sides in turns (${keys.join(', ')})\n\n${rowsTable(records)}\n`,
  );
  console.log(
    `### Ratios per rate\n\n${ratiosTable(records, rates, { portkey: keys.includes(PORTKEY), baseline: keys.includes(BASELINE) })}\n`,
  );
  console.log(`### Maximum sustained rate\n\n${maxSustainedTable(records, rates, keys)}\n`);
  console.log(`### Targets (issue 5)\n\n${targetsTable(targets)}\n`);
  const lagged = laggedRows(records).length;
  if (lagged > 0)
    console.log(
      `**Caution**: the load generator sent late (send lag p99 > ${LAGGED_SEND_MS} ms) in ${lagged} of ${records.length} rows; their latencies include that lateness and measure the machine more than the gateways.\n`,
    );
}

function originOf(servers: Servers, key: string): string {
  const byKey: Readonly<Record<string, SluiceProcess | undefined>> = {
    [FLOOR]: servers.floor,
    [SLUICE]: servers.sluice,
    [BASELINE]: servers.baseline,
    [PORTKEY]: servers.portkey,
  };
  const server = byKey[key];
  if (server === undefined) throw new Error(`no server for side ${key}`);
  return server.origin;
}

function printHeader(common: Common, servers: Servers, portkey: PortkeyInstall | undefined): void {
  console.log(`## gateway-overhead${common.quick ? ' (quick)' : ''}\n`);
  console.log(
    `- simulator: pid ${servers.sim.pid}, sluice sim ${OVERHEAD_SIM_ARGS.join(' ')}; ${MODEL}, max_tokens ${OVERHEAD_MAX_TOKENS}, not streamed`,
  );
  console.log(
    `- floor: pid ${servers.floor.pid}, benchmarks/passthrough-proxy.ts (node:http and an undici Pool of 64 connections, nothing else)`,
  );
  console.log(
    `- sluice: pid ${servers.sluice.pid}, one backend with the simulator as its only replica (default timeouts, connections, admission, hedging)`,
  );
  if (servers.portkey === undefined)
    console.log(
      `- Portkey: not installed, so not measured; \`${PORTKEY_INSTALL_COMMAND}\` installs it (benchmarks/package.json)`,
    );
  else
    console.log(
      `- Portkey: pid ${servers.portkey.pid}, @portkey-ai/gateway ${portkey?.version ?? ''}, x-portkey-provider: openai, x-portkey-custom-host: the simulator's /v1`,
    );
  console.log('- every gateway passed a request to the simulator and its answer back before the run');
  console.log(pinningText(common.pinning));
}
