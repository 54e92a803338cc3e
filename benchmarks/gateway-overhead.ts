/**
 * gateway-overhead: the simulator called directly vs through sluice (one replica): what
 * the gateway adds to p50 and p99 at several open-loop rates, sides alternating A B A B.
 */
import { chatCompletionRequests } from './lib/infer-requests.ts';
import { environmentFacts, formatMs, markdownTable, writeResults, type Column } from './lib/report.ts';
import type { Scenario } from './lib/scenario.ts';
import { CONNECTIONS, type Common, MODEL, PIN_OPTIONS, PROMPTS, type RunRecord, type Side, commonOf, failuresText, pinningText, ratesOf, runRows, startGateway, startSim, warmUp, writeGatewayConfig, withGatewayRun } from './lib/gateway-rows.ts';

const OVERHEAD_RATES = [500, 1000, 2000, 4000] as const;
const OVERHEAD_MAX_TOKENS = 4;
/** Small latencies, so the gateway's own share is visible next to the upstream's. */
const OVERHEAD_SIM_ARGS = ['--seed', '1', '--max-num-seqs', '256', '--prefill-ms', '1', '--decode-ms', '0.5'];

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
  await withGatewayRun(common, async (run) => {
    const sim = run.track(await startSim(common, 'sim', OVERHEAD_SIM_ARGS));
    const gateway = run.track(await startGateway(common, run.dir, 'gateway', await writeGatewayConfig(run.dir, 'overhead', [sim], 'p2c_peak_ewma')));
    const sides: Side[] = [
      { key: 'direct', label: 'simulator directly', client: run.client(sim.origin), gateway: undefined },
      { key: 'sluice', label: 'through sluice', client: run.client(gateway.origin), gateway },
    ];
    console.log(`## gateway-overhead${common.quick ? ' (quick)' : ''}\n`);
    console.log(`- simulator: pid ${sim.pid}, sluice sim ${OVERHEAD_SIM_ARGS.join(' ')}; ${MODEL}, max_tokens ${OVERHEAD_MAX_TOKENS}, not streamed`);
    console.log(`- sluice: pid ${gateway.pid}, one backend with the simulator as its only replica (default timeouts, connections, hedging)`);
    console.log(pinningText(common.pinning));
    await warmUp(sides, request);
    const records = await runRows(common, { scenario: 'gateway-overhead', sides, rates, request, sims: [sim], watched: [sim, gateway] });
    console.log(`\n### Open loop, Poisson arrivals, ${common.rowMs / 1000} s per row, direct and sluice alternating\n\n${overheadTable(records)}\n`);
    const path = await writeResults('gateway-overhead', { scenario: 'gateway-overhead', started, environment: environmentFacts(), settings: { ...common, rates, simArgs: OVERHEAD_SIM_ARGS, maxTokens: OVERHEAD_MAX_TOKENS, connections: CONNECTIONS }, records });
    console.log(`results: ${path}`);
  });
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
