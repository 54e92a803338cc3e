/**
 * tenant-flood: two tenants of equal weight on one sluice (auth on). "interactive" sends a
 * tenth of the server's capacity from many users, each on a connection of its own; "flood"
 * sends two or three times the capacity. In each round interactive runs alone, then under
 * each flood, so its figures are compared side by side with themselves: issue 3's "one
 * tenant flooding a model cannot starve the others: its own requests are the ones shed".
 *
 *   capacity (closed loop, flood's key, best of 8/32/128 users) ─► per round: interactive alone │ + flood 2x │ + flood 3x
 *   /metrics around each row: sluice_shed_total by tenant, sluice_admission_refused_total by guard
 */
import { generateApiKey } from '../src/tenancy/api-keys.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_MODELS_DIR, ensureBenchModels, goldenTexts } from './lib/bench-models.ts';
import { defaultPinning, pinThisProcess, type CpuPinning } from './lib/cpu-pinning.ts';
import { LoadClient, type RequestSource } from './lib/http-target.ts';
import { v2TextInferRequests } from './lib/infer-requests.ts';
import type { RunSummary } from './lib/latency-recorder.ts';
import { runClosedLoop, runOpenLoop } from './lib/open-loop.ts';
import { counterDelta, scrapeMetrics } from './lib/prometheus-scrape.ts';
import { environmentFacts, formatMs, formatPercent, markdownTable, writeResults, type Column } from './lib/report.ts';
import { numberOption, stringOption, type Scenario, type ScenarioContext } from './lib/scenario.ts';
import { REPOSITORY_ROOT, startSluice, type SluiceProcess } from './lib/server-process.ts';
import { waitUntilModelIdle } from './lib/server-idle.ts';
import { bestPoint, CAPACITY_USERS, IDLE_TIMEOUT_MS, LIVENESS, measureCapacity } from './lib/capacity.ts';

const MODEL = 'triage-large';
const FLOOD_MULTIPLIERS = [2, 3] as const;
/** Interactive's rate, as a share of capacity: far below its half of the server. */
const INTERACTIVE_SHARE = 0.1;
/** Enough that the quiet tenant's users are never all waiting (the client would drop its arrivals) at the latencies a flood causes. */
const INTERACTIVE_USERS = 100;
const FLOOD_CONNECTIONS = 4096;
const WARMUP_USERS = 128;
const SLO_MS = 500;
const KEYS = { interactive: generateApiKey(), flood: generateApiKey() } as const;

interface Settings {
  readonly quick: boolean;
  readonly rowMs: number;
  readonly rounds: number;
  readonly pinning: CpuPinning | undefined;
  /** The sluice checkout to run (another commit, to compare): this one by default. */
  readonly serverRoot: string;
}

export interface FloodRow {
  readonly round: number;
  /** 0: interactive alone. */
  readonly floodMultiplier: number;
  readonly interactive: RunSummary;
  readonly flood: RunSummary | undefined;
  readonly shedByTenant: Readonly<Record<string, number>>;
  readonly refusedByGuard: Readonly<Record<string, number>>;
}

export const tenantFloodScenario: Scenario = {
  name: 'tenant-flood',
  summary: `${MODEL}, auth on, two tenants of equal weight: "interactive" at ${INTERACTIVE_SHARE}x capacity from ${INTERACTIVE_USERS} users, alone and while "flood" sends ${FLOOD_MULTIPLIERS.join('x and ')}x capacity`,
  options: {
    'flood-duration-s': { type: 'string' },
    'flood-rounds': { type: 'string' },
    'flood-server-root': { type: 'string' },
    'server-cpus': { type: 'string' },
    'client-cpus': { type: 'string' },
    'no-pin': { type: 'boolean' },
  },
  run: async (context) => runTenantFlood(settingsOf(context)),
};

function settingsOf({ quick, values }: ScenarioContext): Settings {
  return {
    quick,
    rowMs: numberOption(values, 'flood-duration-s', quick ? 4 : 10) * 1000,
    rounds: numberOption(values, 'flood-rounds', quick ? 1 : 2),
    pinning:
      values['no-pin'] === true
        ? undefined
        : defaultPinning(stringOption(values, 'server-cpus'), stringOption(values, 'client-cpus')),
    serverRoot: stringOption(values, 'flood-server-root') ?? REPOSITORY_ROOT,
  };
}

async function runTenantFlood(settings: Settings): Promise<void> {
  const started = new Date().toISOString();
  const modelsDir = await ensureBenchModels(BENCH_MODELS_DIR, settings.serverRoot);
  const texts = await goldenTexts(modelsDir, MODEL);
  const interactiveRequests = v2TextInferRequests(MODEL, texts, { authorization: `Bearer ${KEYS.interactive.key}` });
  const floodRequests = v2TextInferRequests(MODEL, texts, { authorization: `Bearer ${KEYS.flood.key}` });
  if (settings.pinning !== undefined) pinThisProcess(settings.pinning.client);
  const server = await startSluice({
    label: 'two tenants',
    modelsDir,
    root: settings.serverRoot,
    config: await writeTenantsConfig(),
    ...(settings.pinning === undefined ? {} : { cpus: settings.pinning.server }),
  });
  const interactive = new LoadClient(server.origin, {
    connections: INTERACTIVE_USERS,
    spread: true,
    greeting: LIVENESS,
  });
  const flood = new LoadClient(server.origin, { connections: FLOOD_CONNECTIONS, greeting: LIVENESS });
  try {
    console.log(`## tenant-flood${settings.quick ? ' (quick)' : ''}\n`);
    console.log(
      `- sluice: pid ${server.pid} (${settings.serverRoot}), auth on, tenants "interactive" and "flood", weight 1 each, same priority; admission gate and load control as by default`,
    );
    console.log(
      `- interactive: ${INTERACTIVE_USERS} users, each on a keep-alive connection of its own; flood: up to ${FLOOD_CONNECTIONS} connections`,
    );
    console.log(
      settings.pinning === undefined
        ? '- CPUs: not pinned'
        : `- CPUs: sluice on ${settings.pinning.server}, load generator on ${settings.pinning.client} (taskset)`,
    );
    // Warm-up, not measured: JIT, first connections and batches, as long as the capacity point itself.
    const pointMs = settings.quick ? 2000 : 5000;
    await runClosedLoop({
      client: flood,
      request: floodRequests,
      users: WARMUP_USERS,
      durationMs: pointMs,
      sloMs: SLO_MS,
    });
    const capacity = bestPoint(
      await measureCapacity(
        { client: flood, request: floodRequests, origin: server.origin, pid: server.pid, model: MODEL },
        pointMs,
        SLO_MS,
      ),
    ).okPerS;
    console.log(
      `- capacity (the best closed-loop 2xx rate of ${CAPACITY_USERS.join(', ')} users of the flood tenant, before any row): ${capacity.toFixed(0)} req/s\n`,
    );
    const rows: FloodRow[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      for (const floodMultiplier of [0, ...FLOOD_MULTIPLIERS]) {
        rows.push(
          await measureRow(
            settings,
            server,
            { interactive, flood, interactiveRequests, floodRequests },
            { round, floodMultiplier, capacity },
          ),
        );
        process.stderr.write(
          `tenant-flood: round ${round}, ${floodMultiplier === 0 ? 'interactive alone' : `under a ${floodMultiplier}x flood`} done\n`,
        );
      }
    }
    console.log(
      `### Interactive alone and under a flood, open loop, Poisson arrivals, ${settings.rowMs / 1000} s per row, goodput SLO ${SLO_MS} ms\n\n${floodTable(rows, capacity)}\n`,
    );
    const path = await writeResults('tenant-flood', {
      scenario: 'tenant-flood',
      started,
      environment: environmentFacts(),
      settings: { ...settings, capacity, interactiveShare: INTERACTIVE_SHARE, interactiveUsers: INTERACTIVE_USERS },
      rows,
    });
    console.log(`results: ${path}`);
  } finally {
    await interactive.close();
    await flood.close();
    await server.stop();
  }
}

interface Clients {
  readonly interactive: LoadClient;
  readonly flood: LoadClient;
  readonly interactiveRequests: RequestSource;
  readonly floodRequests: RequestSource;
}

async function measureRow(
  settings: Settings,
  server: SluiceProcess,
  clients: Clients,
  row: { round: number; floodMultiplier: number; capacity: number },
): Promise<FloodRow> {
  await clients.interactive.warm();
  if (row.floodMultiplier > 0) await clients.flood.warm();
  await waitUntilModelIdle(server.origin, MODEL, IDLE_TIMEOUT_MS);
  const before = await scrapeMetrics(server.origin);
  const seed = row.round * 100 + row.floodMultiplier;
  const interactiveRun = runOpenLoop({
    client: clients.interactive,
    request: clients.interactiveRequests,
    arrivals: { kind: 'poisson', ratePerS: INTERACTIVE_SHARE * row.capacity, seed },
    durationMs: settings.rowMs,
    sloMs: SLO_MS,
  });
  const floodRun =
    row.floodMultiplier === 0
      ? undefined
      : runOpenLoop({
          client: clients.flood,
          request: clients.floodRequests,
          arrivals: { kind: 'poisson', ratePerS: row.floodMultiplier * row.capacity, seed: seed + 50 },
          durationMs: settings.rowMs,
          sloMs: SLO_MS,
        });
  const [interactive, flood] = await Promise.all([interactiveRun, floodRun]);
  const after = await scrapeMetrics(server.origin);
  const delta = (name: string, label: string) => Object.fromEntries(counterDelta(before, after, name, label));
  return {
    round: row.round,
    floodMultiplier: row.floodMultiplier,
    interactive,
    flood,
    shedByTenant: delta('sluice_shed_total', 'tenant'),
    refusedByGuard: delta('sluice_admission_refused_total', 'guard'),
  };
}

/** JSON is YAML, so the config is written as JSON: nothing to escape by hand. */
async function writeTenantsConfig(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-tenant-flood-'));
  const path = join(dir, 'sluice.yaml');
  const config = {
    auth: { enabled: true },
    tenants: Object.entries(KEYS).map(([name, key]) => ({ name, keys: [{ id: key.id, hash: key.hash }], weight: 1 })),
  };
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

export function floodTable(rows: readonly FloodRow[], capacity: number): string {
  const sent = (summary: RunSummary) => summary.sent;
  const okShare = (summary: RunSummary) =>
    summary.sent === 0 ? 'n/a' : oneDecimalPercent(summary.outcomes.ok.count / summary.sent);
  const columns: Column<FloodRow>[] = [
    { header: 'round', cell: (row) => String(row.round), align: 'right' },
    { header: 'flood', cell: (row) => (row.floodMultiplier === 0 ? 'none' : `${row.floodMultiplier}x`) },
    {
      header: 'interactive sent/s',
      cell: (row) => (sent(row.interactive) / row.interactive.durationS).toFixed(0),
      align: 'right',
    },
    { header: 'interactive 2xx', cell: (row) => okShare(row.interactive), align: 'right' },
    { header: 'interactive goodput/s', cell: (row) => row.interactive.goodput.toFixed(0), align: 'right' },
    { header: 'interactive p50', cell: (row) => formatMs(row.interactive.outcomes.ok.p50Ms), align: 'right' },
    { header: 'interactive p99', cell: (row) => formatMs(row.interactive.outcomes.ok.p99Ms), align: 'right' },
    { header: 'interactive 429s', cell: (row) => String(row.interactive.outcomes.shed.count), align: 'right' },
    {
      header: 'flood sent/s',
      cell: (row) => (row.flood === undefined ? '-' : (sent(row.flood) / row.flood.durationS).toFixed(0)),
      align: 'right',
    },
    {
      header: 'flood goodput/s',
      cell: (row) =>
        row.flood === undefined
          ? '-'
          : `${row.flood.goodput.toFixed(0)} (${formatPercent(row.flood.goodput / capacity)})`,
      align: 'right',
    },
    { header: '429s borne by flood', cell: (row) => shedShare(row), align: 'right' },
    {
      header: 'gate refusals by guard',
      cell: (row) =>
        Object.entries(row.refusedByGuard)
          .map(([guard, count]) => `${guard} ${count}`)
          .join(', '),
    },
  ];
  return `${markdownTable(columns, rows)}\n\nlatencies in ms from each request's intended send time, 2xx only; goodput = 2xx within ${SLO_MS} ms per second (flood's as a share of capacity); 429s borne by flood = its share of every request sluice shed in the row (sluice_shed_total by tenant)`;
}

function shedShare(row: FloodRow): string {
  const total = Object.values(row.shedByTenant).reduce((sum, count) => sum + count, 0);
  return total === 0 ? 'nothing shed' : oneDecimalPercent((row.shedByTenant['flood'] ?? 0) / total);
}

/** "100.0%" must mean all of them, not 99.6%. */
function oneDecimalPercent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}
