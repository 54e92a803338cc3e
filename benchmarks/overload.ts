/**
 * The load-control benchmark. Finds triage-large's capacity over HTTP (closed loop, KServe
 * v2, one golden-set text per request), then offers open-loop Poisson load at multiples of
 * it to two servers started once each, load control on and off, alternating on/off at each
 * rate with the same arrival schedule, and checks the targets:
 *
 *   at 3x capacity, with load control on:  2xx p99 ≤ 2 × the 2xx p99 at 0.8x,
 *                                          goodput ≥ 90 % of capacity,
 *                                          a shed request (429) answered within a few ms.
 */
import type { ArrivalProcess } from './lib/arrivals.ts';
import { BENCH_MODELS_DIR, ensureBenchModels, goldenTexts } from './lib/bench-models.ts';
import { LoadClient, type RequestSource } from './lib/http-target.ts';
import { v2TextInferRequests } from './lib/infer-requests.ts';
import { runClosedLoop, runOpenLoop } from './lib/open-loop.ts';
import { ProgressBar } from './lib/progress.ts';
import { sampleRss, startCpuMeter } from './lib/process-usage.ts';
import { environmentFacts, writeResults } from './lib/report.ts';
import { defaultPinning, pinThisProcess, type CpuPinning } from './lib/cpu-pinning.ts';
import {
  listOption,
  numberOption,
  parseEnvPairs,
  stringOption,
  type Scenario,
  type ScenarioContext,
} from './lib/scenario.ts';
import { floorTable, shedBounds, type FloorMeasurement } from './lib/refusal-floor.ts';
import { freePort, REPOSITORY_ROOT, startNodeServer, startSluice, type SluiceProcess } from './lib/server-process.ts';
import { waitUntilModelIdle } from './lib/server-idle.ts';
import { counterDelta, scrapeMetrics, type Sample } from './lib/prometheus-scrape.ts';
import {
  capacityTable,
  overloadChecks,
  overloadTable,
  checksTable,
  ratioTable,
  BASELINE_NAMES,
  LOAD_CONTROL_NAMES,
  type OverloadRow,
  type SideKey,
} from './overload-report.ts';
import {
  bestPoint,
  CAPACITY_USERS,
  IDLE_TIMEOUT_MS,
  LIVENESS,
  measureCapacity,
  type CapacityPoint,
} from './lib/capacity.ts';
import { BASELINE_OPTIONS, baselineLine, baselineOf, type Baseline } from './lib/baseline.ts';

const MODEL = 'triage-large';
const MULTIPLIERS = [0.5, 0.8, 1, 2, 3, 4] as const;
/** Enough users to keep a bare server's one core busy. */
const FLOOR_USERS = 128;
/** The default goodput SLO: an interactive triage answer is useful within half a second. */
const DEFAULT_SLO_MS = 500;
/** Until the `load_control.enabled` key exists the server refuses this; run with `--off-env default` then. */
const DEFAULT_OFF_ENV = ['SLUICE_LOAD_CONTROL__ENABLED=false'];
/**
 * Connections per side, which is also the cap on outstanding requests: the server must see
 * the overload to act on it (a model's queue holds 512 rows by default), and a request
 * past the cap is dropped by the client rather than queued where the server cannot see it.
 */
const DEFAULT_CONNECTIONS = 4096;

interface Side {
  readonly key: SideKey;
  readonly label: string;
  readonly env: Readonly<Record<string, string>>;
  /** The checkout whose server this side runs; `serverRoot` by default. */
  readonly root?: string;
}

interface Settings {
  readonly quick: boolean;
  readonly rowMs: number;
  readonly capacityPointMs: number;
  /** On and off alternate at each rate this many times. */
  readonly rounds: number;
  readonly sloMs: number;
  readonly seed: number;
  readonly requestTimeoutMs: number;
  readonly connections: number;
  readonly serverRoot: string;
  /** With `--baseline-root`: this checkout against that one, both load control on, instead of on against off. */
  readonly baseline: Baseline | undefined;
  readonly sides: readonly [Side, Side];
  /** Servers on these CPUs, the generator on the others: neither starves the other. */
  readonly pinning: CpuPinning | undefined;
}

interface RunningSide extends Side {
  readonly server: SluiceProcess;
  readonly client: LoadClient;
}

export const overloadScenario: Scenario = {
  name: 'overload',
  summary: `${MODEL} over KServe v2: capacity (closed loop), then open-loop load at ${MULTIPLIERS.join(', ')}x capacity, load control on vs off`,
  options: {
    'duration-s': { type: 'string' },
    'overload-rounds': { type: 'string' },
    'slo-ms': { type: 'string' },
    seed: { type: 'string' },
    'on-env': { type: 'string', multiple: true },
    'off-env': { type: 'string', multiple: true },
    'server-root': { type: 'string' },
    connections: { type: 'string' },
    'server-cpus': { type: 'string' },
    'client-cpus': { type: 'string' },
    'no-pin': { type: 'boolean' },
    ...BASELINE_OPTIONS,
  },
  run: async (context) => runOverload(settingsOf(context)),
};

function settingsOf({ quick, values }: ScenarioContext): Settings {
  const envOf = (name: string, fallback: string[]) => {
    const pairs = listOption(values, name) ?? fallback;
    return parseEnvPairs(pairs.filter((pair) => pair !== 'default'));
  };
  const serverRoot = stringOption(values, 'server-root') ?? REPOSITORY_ROOT;
  const baseline = baselineOf(values, serverRoot);
  return {
    quick,
    rowMs: numberOption(values, 'duration-s', quick ? 4 : 10) * 1000,
    capacityPointMs: quick ? 2000 : 5000,
    rounds: numberOption(values, 'overload-rounds', quick ? 1 : 2),
    sloMs: numberOption(values, 'slo-ms', DEFAULT_SLO_MS),
    seed: numberOption(values, 'seed', 1),
    requestTimeoutMs: 30_000,
    connections: numberOption(values, 'connections', DEFAULT_CONNECTIONS),
    serverRoot,
    baseline,
    pinning:
      values['no-pin'] === true
        ? undefined
        : defaultPinning(stringOption(values, 'server-cpus'), stringOption(values, 'client-cpus')),
    sides: sidesOf(baseline, envOf('on-env', []), envOf('off-env', DEFAULT_OFF_ENV)),
  };
}

/** Load control on and off; with a baseline, this checkout and the baseline, both with the on side's config. */
export function sidesOf(
  baseline: Baseline | undefined,
  onEnv: Readonly<Record<string, string>>,
  offEnv: Readonly<Record<string, string>>,
): readonly [Side, Side] {
  if (baseline === undefined)
    return [
      { key: 'on', label: 'load control on', env: onEnv },
      { key: 'off', label: 'load control off', env: offEnv },
    ];
  return [
    { key: 'on', label: baseline.currentLabel, env: { ...onEnv, ...baseline.currentEnv } },
    { key: 'off', label: baseline.label, env: onEnv, root: baseline.root },
  ];
}

async function runOverload(settings: Settings): Promise<void> {
  const modelsDir = await ensureBenchModels(BENCH_MODELS_DIR, settings.serverRoot);
  const request = v2TextInferRequests(MODEL, await goldenTexts(modelsDir, MODEL));
  const started = new Date().toISOString();
  const sides: RunningSide[] = [];
  if (settings.pinning !== undefined) pinThisProcess(settings.pinning.client);
  try {
    for (const side of settings.sides) {
      const cpus = settings.pinning?.server;
      const server = await startSluice({
        label: side.label,
        modelsDir,
        env: side.env,
        root: side.root ?? settings.serverRoot,
        ...(cpus === undefined ? {} : { cpus }),
      });
      sides.push({
        ...side,
        server,
        client: new LoadClient(server.origin, {
          connections: settings.connections,
          requestTimeoutMs: settings.requestTimeoutMs,
          greeting: LIVENESS,
        }),
      });
    }
    const [on, off] = sides as [RunningSide, RunningSide];
    const names = settings.baseline === undefined ? LOAD_CONTROL_NAMES : BASELINE_NAMES;
    announce(settings, on, off);
    // Both sides meet the rows with the same history: a warm-up (JIT on both sides of the
    // wire, first connections, first batches), then the closed loops that measure capacity.
    // A process's first ten thousand or so requests cost it more than the later ones, so a
    // side that skipped them would be measured cold against a warm one (docs/benchmarks.md,
    // "Load control below capacity, thirteenth session").
    for (const side of sides)
      await runClosedLoop({ client: side.client, request, users: 32, durationMs: 1000, sloMs: settings.sloMs });
    // Point by point, the sides taking turns to go first: when one side measured all its
    // points first it measured less than the other, whichever it was (docs/benchmarks.md).
    const capacityBySide = new Map<SideKey, CapacityPoint[]>(sides.map((side) => [side.key, []]));
    for (const [index, users] of CAPACITY_USERS.entries())
      for (const side of index % 2 === 0 ? sides : [...sides].reverse()) {
        const target = { client: side.client, request, origin: side.server.origin, pid: side.server.pid, model: MODEL };
        const points = await measureCapacity(target, settings.capacityPointMs, settings.sloMs, [users]);
        capacityBySide.get(side.key)?.push(...points);
      }
    const capacityPoints = capacityBySide.get(off.key) ?? [];
    const best = bestPoint(capacityPoints);
    const capacity = best.okPerS;
    for (const side of [off, on])
      console.log(
        `\n### Capacity (closed loop, ${side.label})\n\n${capacityTable(capacityBySide.get(side.key) ?? [])}\n`,
      );
    console.log(
      `capacity (${off.label}): ${capacity.toFixed(0)} req/s; the rows below offer multiples of it to both sides\n`,
    );
    const floor = await measureRefusalFloor(settings, request);
    const floorReport = shedBounds(
      { okPerS: capacity, serverCores: best.cpu.server },
      floor,
      MULTIPLIERS.filter((multiplier) => multiplier > 1),
    );
    console.log(`### The floor for refusals (benchmarks/refusal-floor-server.ts)\n`);
    console.log(
      `A bare node:http server answering every request with this 429 held ${floor.refusalsPerS.toFixed(0)}/s on the servers' CPU: ${floorReport.refusedUs.toFixed(1)} µs of CPU a refusal, against ${floorReport.servedUs.toFixed(1)} µs a request served at capacity.\n\n${floorTable(floorReport)}\n`,
    );
    const rows = await runRates(settings, [on, off], request, capacity);
    const checks = roundsOf(settings).map((round) => ({
      round,
      checks: overloadChecks(
        rows.filter((row) => row.round === round),
        capacity,
        settings.sloMs,
      ),
    }));
    console.log(
      `\n### Open loop, Poisson arrivals, ${settings.rowMs / 1000} s per row, goodput SLO ${settings.sloMs} ms\n\n${overloadTable(rows, capacity, names)}\n`,
    );
    console.log(`### ${names.on} ÷ ${names.off}, round by round\n\n${ratioTable(rows, names)}\n`);
    for (const { round, checks: roundChecks } of checks)
      console.log(
        `### Targets, round ${round} (${names.column} ${names.on}; ${names.off} shown for contrast)\n\n${checksTable(roundChecks, names)}\n`,
      );
    const environment = environmentFacts(settings.serverRoot);
    const path = await writeResults('overload', {
      scenario: 'overload',
      started,
      environment,
      settings,
      capacity,
      capacityPoints,
      onCapacityPoints: capacityBySide.get(on.key),
      floor,
      floorReport,
      rows,
      checks,
    });
    console.log(`results: ${path}`);
  } finally {
    await Promise.all(
      sides.map(async (side) => {
        await side.client.close();
        await side.server.stop();
      }),
    );
  }
}

function announce(settings: Settings, on: RunningSide, off: RunningSide): void {
  const envText = (env: Readonly<Record<string, string>>) =>
    Object.entries(env)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ') || '(default config)';
  console.log(`## overload${settings.quick ? ' (quick)' : ''}\n`);
  console.log(`- ${on.label}: pid ${on.server.pid}, ${envText(on.env)}`);
  console.log(`- ${off.label}: pid ${off.server.pid}, ${envText(off.env)}`);
  console.log(
    settings.pinning === undefined
      ? '- CPUs: not pinned (servers and generator share every core)'
      : `- CPUs: servers on ${settings.pinning.server}, load generator on ${settings.pinning.client} (taskset)`,
  );
  if (settings.baseline !== undefined) console.log(baselineLine(settings.baseline));
  else if (envText(on.env) === envText(off.env))
    console.log(
      '- WARNING: both sides run the same configuration; this run compares nothing, it only exercises the harness',
    );
}

/** The closed-loop rate of a bare 429 server on the servers' CPU, with the requests sluice gets. */
async function measureRefusalFloor(settings: Settings, request: RequestSource): Promise<FloorMeasurement> {
  const port = await freePort();
  const cpus = settings.pinning?.server;
  const server = await startNodeServer({
    label: 'refusal floor',
    entry: ['--import', 'tsx', 'benchmarks/refusal-floor-server.ts'],
    args: [String(port)],
    port,
    readyPath: '/',
    ...(cpus === undefined ? {} : { cpus }),
  });
  const client = new LoadClient(server.origin, {
    connections: FLOOR_USERS,
    requestTimeoutMs: settings.requestTimeoutMs,
  });
  try {
    await runClosedLoop({ client, request, users: FLOOR_USERS, durationMs: 500, sloMs: settings.sloMs });
    const cpu = startCpuMeter(server.pid);
    const summary = await runClosedLoop({
      client,
      request,
      users: FLOOR_USERS,
      durationMs: settings.capacityPointMs,
      sloMs: settings.sloMs,
    });
    return { refusalsPerS: summary.outcomes.shed.count / summary.durationS, cpu: cpu.read() };
  } finally {
    await client.close();
    await server.stop();
  }
}

async function runRates(
  settings: Settings,
  sides: readonly RunningSide[],
  request: RequestSource,
  capacity: number,
): Promise<OverloadRow[]> {
  const rows: OverloadRow[] = [];
  const progress = new ProgressBar('overload', MULTIPLIERS.length * settings.rounds * sides.length, settings.rowMs);
  try {
    await runEachRate(settings, sides, request, capacity, rows, progress);
  } finally {
    progress.close();
  }
  return rows;
}

async function runEachRate(
  settings: Settings,
  sides: readonly RunningSide[],
  request: RequestSource,
  capacity: number,
  rows: OverloadRow[],
  progress: ProgressBar,
): Promise<void> {
  for (const [index, multiplier] of MULTIPLIERS.entries()) {
    // Both sides get the same arrival schedule at a rate: the seed depends only on the rate.
    const arrivals = { kind: 'poisson', ratePerS: multiplier * capacity, seed: settings.seed * 1000 + index } as const;
    for (const round of roundsOf(settings)) {
      for (const side of sides) {
        progress.start(`${multiplier}x round ${round} ${side.key}`);
        const row = await measureRow(settings, sides, side, { request, arrivals });
        rows.push({ ...row, multiplier, round });
        progress.finish(progressLine(rows.at(-1)));
      }
    }
  }
}

/** One open-loop row on `side`, both servers idle first. */
async function measureRow(
  settings: Settings,
  sides: readonly RunningSide[],
  side: RunningSide,
  load: { request: RequestSource; arrivals: ArrivalProcess },
): Promise<Omit<OverloadRow, 'multiplier' | 'round'>> {
  // Open the row's connections before waiting for idle: thousands opened in a burst keep a
  // server busy accepting them, and its first row would measure that instead of requests.
  await side.client.warm();
  const idle = await Promise.all(sides.map((each) => waitUntilModelIdle(each.server.origin, MODEL, IDLE_TIMEOUT_MS)));
  const before = await scrapeMetrics(side.server.origin);
  const rss = sampleRss(side.server.pid);
  const cpu = startCpuMeter(side.server.pid);
  const summary = await runOpenLoop({
    client: side.client,
    ...load,
    durationMs: settings.rowMs,
    sloMs: settings.sloMs,
  });
  const cpuUsed = cpu.read();
  const after = await scrapeMetrics(side.server.origin);
  return {
    side: side.key,
    label: side.label,
    summary,
    peakRssBytes: rss.stop(),
    cpu: cpuUsed,
    refusedBy: refusedBy(before, after),
    idleBeforeMs: Math.max(...idle.map((each) => each.waitedMs)),
    idleReached: idle.every((each) => each.idle),
  };
}

/** A row's refusals by who gave them: the gate's guards, then the model queue's reasons but the gate's "overloaded". */
function refusedBy(before: readonly Sample[], after: readonly Sample[]): Record<string, number> {
  const queue = counterDelta(before, after, 'sluice_shed_total', 'reason');
  queue.delete('overloaded');
  return Object.fromEntries([...counterDelta(before, after, 'sluice_admission_refused_total', 'guard'), ...queue]);
}

function roundsOf(settings: Settings): number[] {
  return Array.from({ length: settings.rounds }, (_, index) => index + 1);
}

function progressLine(row: OverloadRow | undefined): string {
  if (row === undefined) return '';
  const { summary } = row;
  return `${row.multiplier}x round ${row.round} ${row.side}: offered ${summary.offeredRate.toFixed(0)}/s, sent ${(summary.sent / summary.durationS).toFixed(0)}/s, goodput ${summary.goodput.toFixed(0)}/s, 2xx p99 ${summary.outcomes.ok.p99Ms.toFixed(1)} ms, shed ${summary.outcomes.shed.count}`;
}
