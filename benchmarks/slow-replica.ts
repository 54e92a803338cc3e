/**
 * slow-replica: three simulator replicas, one ten times slower; sluice with round robin
 * vs P2C over Peak-EWMA (hedging as configured by default): the tail each leaves, and
 * the extra upstream work it costs.
 */
import { chatCompletionRequests } from './lib/infer-requests.ts';
import { formatRatio, pairRatios } from './lib/ratios.ts';
import { environmentFacts, formatMs, formatPercent, markdownTable, writeResults, type Column } from './lib/report.ts';
import type { Scenario } from './lib/scenario.ts';
import type { SluiceProcess } from './lib/server-process.ts';
import {
  CONNECTIONS,
  type Common,
  MODEL,
  PIN_OPTIONS,
  PROMPTS,
  type RunRecord,
  type Side,
  UPSTREAM_COUNTER,
  commonOf,
  failuresText,
  pinningText,
  ratesOf,
  runRows,
  startGateway,
  startSim,
  warmUp,
  writeGatewayConfig,
  withGatewayRun,
} from './lib/gateway-rows.ts';

const SLOW_RATE = 300;
const SLOW_FACTOR = 10;
const SLOW_MAX_TOKENS = 8;
/** ≈ 5 + 7 × 2 = 19 ms per request on a healthy replica, ≈ 190 ms on the slow one. */
const SLOW_SIM_ARGS = ['--max-num-seqs', '256', '--prefill-ms', '5', '--decode-ms', '2'];

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
  await withGatewayRun(common, async (run) => {
    const sims = (await startReplicas(common)).map((sim) => run.track(sim));
    const gateways = await Promise.all(
      (['round_robin', 'p2c_peak_ewma'] as const).map(async (policy) =>
        run.track(await startGateway(common, run.dir, policy, await writeGatewayConfig(run.dir, policy, sims, policy))),
      ),
    );
    const sides: Side[] = gateways.map((gateway) => ({
      key: gateway.label,
      label: gateway.label,
      client: run.client(gateway.origin),
      gateway,
    }));
    const slowHost = new URL(sims[0]?.origin ?? '').host;
    console.log(`## slow-replica${common.quick ? ' (quick)' : ''}\n`);
    for (const sim of sims) console.log(`- ${sim.label}: pid ${sim.pid}, ${new URL(sim.origin).host}`);
    console.log(
      `- simulators: sluice sim ${SLOW_SIM_ARGS.join(' ')}; the slow one with --slow-factor ${SLOW_FACTOR}; ${MODEL}, max_tokens ${SLOW_MAX_TOKENS}, not streamed`,
    );
    for (const gateway of gateways)
      console.log(
        `- sluice ${gateway.label}: pid ${gateway.pid}, load_balancing: ${gateway.label}, hedging and everything else default`,
      );
    console.log(pinningText(common.pinning));
    await warmUp(sides, request);
    const records = await runRows(common, {
      scenario: 'slow-replica',
      sides,
      rates,
      request,
      sims,
      watched: [...sims, ...gateways],
    });
    console.log(
      `\n### Open loop, Poisson arrivals, ${common.rowMs / 1000} s per row, round_robin and p2c_peak_ewma alternating\n\n${slowTable(records, slowHost)}\n`,
    );
    console.log(`### p2c_peak_ewma ÷ round_robin, round by round\n\n${slowRatioTable(records)}\n`);
    const path = await writeResults('slow-replica', {
      scenario: 'slow-replica',
      started,
      environment: environmentFacts(),
      settings: {
        ...common,
        rates,
        simArgs: SLOW_SIM_ARGS,
        slowFactor: SLOW_FACTOR,
        slowReplica: slowHost,
        maxTokens: SLOW_MAX_TOKENS,
        connections: CONNECTIONS,
      },
      records,
    });
    console.log(`results: ${path}`);
  });
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

function slowRatioTable(records: readonly RunRecord[]): string {
  const ratios = (value: (record: RunRecord) => number) =>
    pairRatios(records, { a: 'round_robin', b: 'p2c_peak_ewma', group: (record) => record.rate, value });
  const figures = [
    { name: '2xx p50', summaries: ratios((record) => record.summary.outcomes.ok.p50Ms) },
    { name: '2xx p99', summaries: ratios((record) => record.summary.outcomes.ok.p99Ms) },
    { name: '2xx p99.9', summaries: ratios((record) => record.summary.outcomes.ok.p999Ms) },
  ];
  const rows = figures.flatMap(({ name, summaries }) => summaries.map((summary) => ({ name, summary })));
  const columns: Column<(typeof rows)[number]>[] = [
    { header: 'offered/s', cell: (row) => String(row.summary.group), align: 'right' },
    { header: 'figure', cell: (row) => row.name },
    { header: 'p2c ÷ round robin', cell: (row) => formatRatio(row.summary), align: 'right' },
  ];
  return `${markdownTable(columns, rows)}\n\nmedian of the rounds' ratios (range over rounds); below 1x, sluice's balancing left a shorter tail`;
}

function slowTable(records: readonly RunRecord[], slowHost: string): string {
  const ok = (record: RunRecord) => record.summary.outcomes.ok;
  const attempts = (record: RunRecord) =>
    Object.values(record.upstreamByReplica).reduce((sum, count) => sum + count, 0);
  const columns: Column<RunRecord>[] = [
    { header: 'offered/s', cell: (record) => String(record.rate), align: 'right' },
    { header: 'round', cell: (record) => String(record.round), align: 'right' },
    { header: 'balancer', cell: (record) => record.side },
    { header: 'p50', cell: (record) => formatMs(ok(record).p50Ms), align: 'right' },
    { header: 'p99', cell: (record) => formatMs(ok(record).p99Ms), align: 'right' },
    { header: 'p99.9', cell: (record) => formatMs(ok(record).p999Ms), align: 'right' },
    { header: 'max', cell: (record) => formatMs(ok(record).maxMs), align: 'right' },
    { header: 'failed', cell: (record) => failuresText(record.summary, record.admissionRefusals) },
    { header: 'requests sent', cell: (record) => String(record.summary.sent), align: 'right' },
    { header: 'upstream attempts', cell: (record) => String(attempts(record)), align: 'right' },
    {
      header: 'extra load',
      cell: (record) => (record.summary.sent === 0 ? 'n/a' : formatPercent(attempts(record) / record.summary.sent - 1)),
      align: 'right',
    },
    {
      header: 'to slow replica',
      cell: (record) =>
        attempts(record) === 0 ? 'n/a' : formatPercent((record.upstreamByReplica[slowHost] ?? 0) / attempts(record)),
      align: 'right',
    },
    {
      header: 'hedges',
      cell: (record) => (record.hedges === undefined ? 'n/a' : String(record.hedges)),
      align: 'right',
    },
  ];
  return [
    markdownTable(columns, records),
    '',
    `Latencies in ms, 2xx only, from each request's intended send time. Upstream attempts: the change in \`${UPSTREAM_COUNTER}\` over the row;`,
    'extra load = attempts / requests sent − 1 (hedges and failovers). Hedges: the change in any `*hedge*_total` counter of /metrics, n/a when sluice exports none.',
  ].join('\n');
}
