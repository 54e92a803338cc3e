/**
 * Batching against the physical limit (issue #5, scenario 1). Per model: the throughput of
 * raw ONNX Runtime on ideal full batches on the server CPUs (the ceiling, in a process of
 * its own), against sluice serving the model over KServe v2, one item per request, with
 * dynamic batching (the default repository) and without (a copy with max_batch_size 1).
 * The sides take turns, round after round, and each figure is a ratio within its round:
 *
 *   targets:  batched ≥ 85 % of the ceiling,   batched ≥ 10x unbatched.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelRepository, type ModelVersionEntry } from '../src/engines/local/models/repository.ts';
import { BENCH_MODELS_DIR, ensureBenchModels } from './lib/bench-models.ts';
import {
  bestConcurrency,
  modelRatios,
  ratiosTable,
  roundsTable,
  searchTable,
  targetRows,
  targetsTable,
  type BatchingRecord,
  type ConcurrencyPoint,
  type TargetRow,
} from './lib/batching-report.ts';
import {
  concurrencyPoint,
  rowLine,
  runCeilingRow,
  runHttpRow,
  type HttpSide,
  type ModelUnderTest,
} from './lib/batching-rows.ts';
import { defaultPinning, pinThisProcess, type CpuPinning } from './lib/cpu-pinning.ts';
import { goldenItems, v2ItemInferRequests } from './lib/golden-items.ts';
import { LoadClient } from './lib/http-target.ts';
import { startCeiling, type CeilingReady } from './lib/ort-ceiling.ts';
import { ProgressBar } from './lib/progress.ts';
import { environmentFacts, writeResults } from './lib/report.ts';
import {
  listOption,
  numberOption,
  parseEnvPairs,
  stringOption,
  type Scenario,
  type ScenarioContext,
} from './lib/scenario.ts';
import { startSluice, type SluiceProcess } from './lib/server-process.ts';
import { writeUnbatchedRepository } from './lib/unbatched-repository.ts';
import { BASELINE_OPTIONS, baselineLine, baselineOf, type Baseline } from './lib/baseline.ts';

const DEFAULT_MODELS = ['triage-large', 'embed', 'noshow-risk'] as const;
/** Batched users to try, as multiples of max_batch_size: a full batch queued behind the running one needs twice it. */
const BATCHED_USERS_PER_BATCH = [1, 2, 4, 8] as const;
/** Unbatched, more users only queue; a few keep the event loop from waiting on the network. */
const UNBATCHED_USERS = [4, 16, 64] as const;
const WARMUP_MS = 1_000;
const REQUEST_TIMEOUT_MS = 30_000;

interface Settings {
  readonly quick: boolean;
  readonly rowMs: number;
  /** Each concurrency tried before the rounds runs this long. */
  readonly searchPointMs: number;
  readonly rounds: number;
  readonly models: readonly string[];
  /** `--batching-users`: the batched sides' only concurrency, instead of a search over multiples of max_batch_size. */
  readonly users: number | undefined;
  /** `SLUICE_*` overrides for both sluice servers (`--batching-env`); none by default. */
  readonly env: Readonly<Record<string, string>>;
  readonly pinning: CpuPinning | undefined;
  /** With `--baseline-root`: that checkout's sluice, batched, takes the unbatched server's place. */
  readonly baseline: Baseline | undefined;
}

export const batchingScenario: Scenario = {
  name: 'batching',
  summary: `${DEFAULT_MODELS.join(', ')}: raw ONNX Runtime on full batches (the ceiling) vs sluice over KServe v2 with dynamic batching on and off`,
  options: {
    'batching-models': { type: 'string' },
    'batching-rounds': { type: 'string' },
    'batching-duration-s': { type: 'string' },
    'batching-env': { type: 'string', multiple: true },
    'batching-users': { type: 'string' },
    'server-cpus': { type: 'string' },
    'client-cpus': { type: 'string' },
    'no-pin': { type: 'boolean' },
    ...BASELINE_OPTIONS,
  },
  run: async (context) => runBatching(settingsOf(context)),
};

function settingsOf({ quick, values }: ScenarioContext): Settings {
  const rounds = numberOption(values, 'batching-rounds', 2);
  if (!Number.isInteger(rounds)) throw new Error(`--batching-rounds must be a whole number, got ${rounds}`);
  const models = (stringOption(values, 'batching-models') ?? DEFAULT_MODELS.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return {
    quick,
    rowMs: numberOption(values, 'batching-duration-s', quick ? 2 : 10) * 1000,
    searchPointMs: quick ? 1_000 : 3_000,
    rounds,
    models,
    users: stringOption(values, 'batching-users') === undefined ? undefined : numberOption(values, 'batching-users', 1),
    env: parseEnvPairs(listOption(values, 'batching-env') ?? []),
    pinning:
      values['no-pin'] === true
        ? undefined
        : defaultPinning(stringOption(values, 'server-cpus'), stringOption(values, 'client-cpus')),
    baseline: baselineOf(values),
  };
}

interface ModelResult {
  readonly model: string;
  readonly ceiling: CeilingReady;
  readonly search: ReadonlyArray<ConcurrencyPoint & { readonly side: string }>;
  /** The concurrency each HTTP side runs its rounds at. */
  readonly users: Readonly<Partial<Record<HttpSide['key'], number>>>;
  readonly records: readonly BatchingRecord[];
  readonly ratios: ReturnType<typeof modelRatios>;
  readonly targets: readonly TargetRow[];
}

async function runBatching(settings: Settings): Promise<void> {
  const modelsDir = await ensureBenchModels(BENCH_MODELS_DIR);
  const entries = settings.models.map((model) => entryOf(modelsDir, model));
  const started = new Date().toISOString();
  const scratch = await mkdtemp(join(tmpdir(), 'sluice-bench-batching-'));
  const servers: SluiceProcess[] = [];
  const clients: LoadClient[] = [];
  if (settings.pinning !== undefined) pinThisProcess(settings.pinning.client);
  try {
    const cpus = settings.pinning?.server;
    const side = async (key: HttpSide['key'], dir: string, root?: string): Promise<HttpSide> => {
      const server = await startSluice({
        label: key === 'baseline' ? key : `batching ${key === 'batched' ? 'on' : 'off'}`,
        modelsDir: dir,
        env:
          key === 'batched' && settings.baseline !== undefined
            ? { ...settings.env, ...settings.baseline.currentEnv }
            : settings.env,
        ...(root === undefined ? {} : { root }),
        ...(cpus === undefined ? {} : { cpus }),
      });
      servers.push(server);
      const client = new LoadClient(server.origin, {
        connections: maxUsers(settings, entries),
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
      });
      clients.push(client);
      return { key, server, client };
    };
    const other = async (): Promise<HttpSide> => {
      if (settings.baseline !== undefined) return side('baseline', modelsDir, settings.baseline.root);
      await writeUnbatchedRepository(modelsDir, join(scratch, 'unbatched'));
      return side('unbatched', join(scratch, 'unbatched'));
    };
    const sides = [await side('batched', modelsDir), await other()] as const;
    announce(settings, sides);
    const results: ModelResult[] = [];
    for (const entry of entries) results.push(await runModel(settings, entry, sides));
    console.log(
      `### Targets${settings.quick ? ' (quick run: not for the record)' : ''}\n\n${targetsTable(results.flatMap((result) => result.targets))}\n`,
    );
    const path = await writeResults('batching', {
      scenario: 'batching',
      started,
      environment: environmentFacts(),
      settings,
      batchedUsersPerBatch: BATCHED_USERS_PER_BATCH,
      unbatchedUsers: UNBATCHED_USERS,
      models: results,
    });
    console.log(`results: ${path}`);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(servers.map((server) => server.stop()));
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The model's newest version in the repository. */
function entryOf(modelsDir: string, model: string): ModelVersionEntry {
  const versions = readModelRepository(modelsDir).filter((entry) => entry.spec.name === model);
  const newest = versions.sort((a, b) => Number(b.spec.version) - Number(a.spec.version))[0];
  if (newest === undefined) throw new Error(`--batching-models: no model "${model}" in ${modelsDir}`);
  return newest;
}

function batchedUsers(settings: Settings, entry: ModelVersionEntry): number[] {
  if (settings.users !== undefined) return [settings.users];
  return BATCHED_USERS_PER_BATCH.map((multiple) => multiple * entry.spec.batching.max_batch_size);
}

function maxUsers(settings: Settings, entries: readonly ModelVersionEntry[]): number {
  return Math.max(...UNBATCHED_USERS, ...entries.flatMap((entry) => batchedUsers(settings, entry)));
}

function announce(settings: Settings, sides: readonly HttpSide[]): void {
  console.log(`## batching${settings.quick ? ' (quick)' : ''}\n`);
  const config =
    Object.entries(settings.env)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ') || 'default config';
  for (const side of sides)
    console.log(
      `- sluice, ${side.key}: pid ${side.server.pid}, ${config}${side.key === 'unbatched' ? ', every model.yaml with max_batch_size 1, max_queue_delay_ms 0' : ''}`,
    );
  if (settings.baseline !== undefined) console.log(baselineLine(settings.baseline));
  const machine = environmentFacts();
  console.log(
    `- machine: ${machine['cpus']} CPUs (${machine['cpuModel']}), load average ${machine['loadAverage1m']} over the last minute at the start`,
  );
  console.log(
    settings.pinning === undefined
      ? '- CPUs: not pinned (servers, ceiling and generator share every core)'
      : `- CPUs: sluice servers and the ceiling process on ${settings.pinning.server}, load generator on ${settings.pinning.client} (taskset)`,
  );
  console.log(
    `- ${settings.rounds} rounds of ${settings.rowMs / 1000} s rows per side; concurrency chosen first, ${settings.searchPointMs / 1000} s per point\n`,
  );
}

async function runModel(
  settings: Settings,
  entry: ModelVersionEntry,
  sides: readonly [HttpSide, HttpSide],
): Promise<ModelResult> {
  const { spec } = entry;
  const items = await goldenItems(entry.dir, spec.inputs);
  const target: ModelUnderTest = {
    model: spec.name,
    maxBatchSize: spec.batching.max_batch_size,
    request: v2ItemInferRequests(spec.name, spec.inputs, items),
    servers: sides.map((side) => side.server),
  };
  const ceiling = await startCeiling({ versionDir: entry.dir, cpus: settings.pinning?.server, env: settings.env });
  const searchCount = batchedUsers(settings, entry).length + UNBATCHED_USERS.length;
  const progress = new ProgressBar(`batching ${spec.name}`, searchCount + settings.rounds * 4, settings.rowMs);
  let result: Omit<ModelResult, 'ratios' | 'targets'>;
  try {
    // Not measured: JIT on both sides of the wire, first connections, first batches.
    for (const side of sides) await runHttpRow(target, side, spec.batching.max_batch_size * 2, WARMUP_MS, 0);
    const search = await searchConcurrency(settings, target, sides, batchedUsers(settings, entry), progress);
    const records = await runRounds(settings, target, sides, { ceiling, users: search.users }, progress);
    result = { model: spec.name, ceiling: ceiling.ready, search: search.points, users: search.users, records };
  } finally {
    progress.close();
    await ceiling.stop();
  }
  const ratios = modelRatios(result.records);
  const targets = targetRows(spec.name, ratios);
  printModel(result, ratios, settings.rounds);
  return { ...result, ratios, targets };
}

interface Search {
  readonly points: Array<ConcurrencyPoint & { readonly side: string }>;
  readonly users: ModelResult['users'];
}

/** Each HTTP side at a few concurrencies; the rounds use the best of each (bestConcurrency). */
async function searchConcurrency(
  settings: Settings,
  target: ModelUnderTest,
  sides: readonly [HttpSide, HttpSide],
  batched: readonly number[],
  progress: ProgressBar,
): Promise<Search> {
  const points: Array<ConcurrencyPoint & { readonly side: string }> = [];
  const best: Partial<Record<HttpSide['key'], number>> = {};
  for (const side of sides) {
    const tried: ConcurrencyPoint[] = [];
    for (const users of side.key === 'unbatched' ? UNBATCHED_USERS : batched) {
      progress.start(`${target.model} ${side.key}: ${users} users`);
      const row = await runHttpRow(target, side, users, settings.searchPointMs, 0);
      tried.push(concurrencyPoint(row));
      points.push({ side: side.key, ...concurrencyPoint(row) });
      progress.finish(`search: ${rowLine(row.record)}`);
    }
    best[side.key] = bestConcurrency(tried).users;
  }
  return { points, users: best };
}

interface RoundPlan {
  readonly ceiling: Awaited<ReturnType<typeof startCeiling>>;
  readonly users: Search['users'];
}

/** Round after round: ceiling, ceiling with preprocessing, batched, unbatched. */
async function runRounds(
  settings: Settings,
  target: ModelUnderTest,
  sides: readonly [HttpSide, HttpSide],
  plan: RoundPlan,
  progress: ProgressBar,
): Promise<BatchingRecord[]> {
  const records: BatchingRecord[] = [];
  const record = (next: BatchingRecord) => {
    records.push(next);
    progress.finish(rowLine(next));
  };
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const preprocess of [false, true]) {
      progress.start(`${target.model} round ${round} ${preprocess ? 'ceiling+pre' : 'ceiling'}`);
      record((await runCeilingRow(target, plan.ceiling, preprocess, settings.rowMs, round)).record);
    }
    for (const side of sides) {
      progress.start(`${target.model} round ${round} ${side.key}`);
      const users = plan.users[side.key];
      if (users === undefined) throw new Error(`no concurrency was chosen for ${side.key}`);
      record((await runHttpRow(target, side, users, settings.rowMs, round)).record);
    }
  }
  return records;
}

function printModel(
  result: Omit<ModelResult, 'ratios' | 'targets'>,
  ratios: ModelResult['ratios'],
  rounds: number,
): void {
  const { ceiling } = result;
  console.log(`### ${result.model}\n`);
  console.log(
    `- ceiling: ${ceiling.instances} ONNX Runtime session(s) at once (sluice's execution slots on these CPUs: ${ceiling.executionSlots}), intra-op threads ${ceiling.intraOpThreads}, sequential; ${ceiling.batches} distinct full batches of ${ceiling.batchSize} golden items (mean padded row length ${ceiling.meanPaddedRowLength.toFixed(0)}), cycled`,
  );
  console.log(
    "- ceiling: model execution alone, batches prebuilt; ceiling+pre: each batch preprocessed and stacked with sluice's code inside the measured time",
  );
  console.log(
    `- sluice: KServe v2, one golden item per request, closed loop; ${Object.entries(result.users)
      .map(([key, users], index) => `${key} at ${users}${index === 0 ? ' users' : ''}`)
      .join(', ')} (the best of the search below)\n`,
  );
  console.log(`#### Concurrency search\n\n${searchTable(result.search)}\n`);
  console.log(
    `#### Rounds\n\n${roundsTable(result.records)}\n\nitems/s: 2xx answers (one item each) or ceiling items per second; p50/p99 of a closed loop, so queueing at that concurrency is included; CPU in cores (the side's own process, this generator, the rest of the machine)\n`,
  );
  console.log(
    `#### Ratios (within each round)\n\n${ratiosTable(ratios, rounds)}\n\nper CPU-second: items per second of CPU time of each side's own process, what an item costs whatever share of the core the rest of the machine left; a diagnostic, no target reads it\n`,
  );
}
