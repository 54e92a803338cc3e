/**
 * reuse: what the response/per-item cache and request coalescing (issue 16) save. Two
 * sluice servers, each a process pinned to the server CPUs, serve a text classifier
 * (`--reuse-model`, triage-large by default) over KServe v2 JSON, one text per request: `off`
 * with no cache, `on` with the model in `cache.models` (coalescing on, as by default). Each round runs two rows a side, the sides' order
 * swapped every round:
 *
 *   zipf  a closed loop drawing its texts from a pool of distinct ones by Zipf's law
 *         (rank k ∝ 1/k^s), each side continuing its own copy of one seeded sequence
 *   hot   a closed loop over the few most popular texts: on `on`, every answer is a hit
 *
 * Per row: 2xx/s, p50/p99, the server's CPU per answer (all its threads, until it is quiet
 * after the row: on a shared machine a process with two busy threads, the event loop and the
 * model's, gets more of a contended CPU than one with one, so throughput alone flatters the
 * uncached side), the items the model ran per answer (its stats API; at a fixed
 * cost per item, the cost per request), and the cache's hits, misses and coalesced waits
 * (/metrics). Both caches start cold; the warm-up rows warm `on`'s.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBatchCounts } from './lib/batch-stats.ts';
import { BENCH_MODELS_DIR, ensureBenchModels, goldenTexts } from './lib/bench-models.ts';
import { roundOrder } from './lib/compliance-report.ts';
import { pinThisProcess, type CpuPinning } from './lib/cpu-pinning.ts';
import { PIN_OPTIONS, pinningOf } from './lib/gateway-rows.ts';
import { LoadClient, type RequestSource } from './lib/http-target.ts';
import { v2TextInferRequests } from './lib/infer-requests.ts';
import { runClosedLoop } from './lib/open-loop.ts';
import { waitUntilQuiet } from './lib/process-quiet.ts';
import { readCpuSeconds } from './lib/process-usage.ts';
import { ProgressBar } from './lib/progress.ts';
import { scrapeMetrics } from './lib/prometheus-scrape.ts';
import { environmentFacts, writeResults } from './lib/report.ts';
import { REUSE_SIDES, reuseTable, type ReuseMix, type ReuseRecord, type ReuseSide } from './lib/reuse-report.ts';
import { numberOption, stringOption, type Scenario, type ScenarioContext } from './lib/scenario.ts';
import { freePort, startNodeServer, type SluiceProcess } from './lib/server-process.ts';
import { zipfSequence } from './lib/zipf.ts';

const DEFAULT_MODEL = 'triage-large';
const HOT_TEXTS = 8;
const SEQUENCE_LENGTH = 1_000_000;
const IDLE_TIMEOUT_MS = 30_000;
const SLO_MS = 1_000;
const CACHE_COUNTERS = ['sluice_cache_hits_total', 'sluice_cache_misses_total', 'sluice_cache_coalesced_total'];

interface Settings {
  readonly rowMs: number;
  readonly warmupMs: number;
  readonly rounds: number;
  readonly users: number;
  /** Distinct texts in the pool, and the Zipf exponent. */
  readonly distinct: number;
  readonly exponent: number;
  readonly seed: number;
  readonly pinning: CpuPinning | undefined;
  /** A text classifier of the bench models (`--reuse-model`). */
  readonly model: string;
}

export const reuseScenario: Scenario = {
  name: 'reuse',
  summary: `${DEFAULT_MODEL} with the cache and coalescing off and on, under a Zipf mix of repeated requests and a hot set`,
  options: {
    'reuse-rounds': { type: 'string' },
    'reuse-duration-s': { type: 'string' },
    'reuse-users': { type: 'string' },
    'reuse-distinct': { type: 'string' },
    'reuse-exponent': { type: 'string' },
    'reuse-model': { type: 'string' },
    ...PIN_OPTIONS,
  },
  run: async (context) => runReuse(settingsOf(context)),
};

function settingsOf({ quick, values }: ScenarioContext): Settings {
  return {
    rowMs: numberOption(values, 'reuse-duration-s', quick ? 2 : 10) * 1000,
    warmupMs: quick ? 1_500 : 5_000,
    rounds: numberOption(values, 'reuse-rounds', quick ? 2 : 5),
    users: numberOption(values, 'reuse-users', 64),
    distinct: numberOption(values, 'reuse-distinct', 20_000),
    exponent: numberOption(values, 'reuse-exponent', 1),
    seed: 1,
    pinning: values['no-pin'] === true ? undefined : pinningOf(values),
    model: stringOption(values, 'reuse-model') ?? DEFAULT_MODEL,
  };
}

interface Side {
  readonly key: ReuseSide;
  readonly server: SluiceProcess;
  readonly client: LoadClient;
  /** Where this side is in the Zipf sequence: each row goes on from there. */
  cursor: number;
}

async function runReuse(settings: Settings): Promise<void> {
  const started = new Date().toISOString();
  const modelsDir = await ensureBenchModels(BENCH_MODELS_DIR);
  const pool = distinctTexts(await goldenTexts(modelsDir, settings.model), settings.distinct);
  // One serialised request per text, made before the run (infer-requests.ts); the Zipf mix picks by rank.
  const byRank = v2TextInferRequests(settings.model, pool);
  const sequence = zipfSequence(pool.length, settings.exponent, SEQUENCE_LENGTH, settings.seed);
  const scratch = await mkdtemp(join(tmpdir(), 'sluice-bench-reuse-'));
  const repository = join(scratch, 'models');
  await cp(join(modelsDir, settings.model), join(repository, settings.model), { recursive: true });
  if (settings.pinning !== undefined) pinThisProcess(settings.pinning.client);
  const sides: Side[] = [];
  try {
    const starts = await Promise.allSettled(REUSE_SIDES.map((key) => startSide(settings, key, scratch, repository)));
    for (const result of starts) if (result.status === 'fulfilled') sides.push(result.value);
    const failed = starts.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const hot = v2TextInferRequests(settings.model, pool.slice(0, HOT_TEXTS));
    const requests = { zipf: (side: Side) => zipfRequests(byRank, sequence, side), hot: () => hot };
    const records = await runRounds(settings, sides, requests);
    console.log(`## reuse\n\n- ${describe(settings, pool.length)}\n`);
    console.log(
      `### Zipf mix (s = ${settings.exponent}, ${pool.length} distinct texts)\n\n${reuseTable(records, 'zipf')}\n`,
    );
    console.log(`### Hot set (${HOT_TEXTS} texts: on 'on', every answer a hit)\n\n${reuseTable(records, 'hot')}\n`);
    const path = await writeResults('reuse', {
      scenario: 'reuse',
      started,
      environment: environmentFacts(),
      settings,
      records,
    });
    console.log(`results: ${path}`);
  } finally {
    await Promise.all(sides.map((side) => side.client.close()));
    for (const side of sides) await side.server.stop(30_000);
    await rm(scratch, { recursive: true, force: true });
  }
}

/** `count` distinct texts: the golden set, then its texts again with a numbered note, as users vary a message. */
function distinctTexts(golden: readonly string[], count: number): string[] {
  if (golden.length === 0) throw new Error('the model has no golden texts');
  return Array.from({ length: count }, (_, index) => {
    const text = golden[index % golden.length] ?? '';
    const copy = Math.floor(index / golden.length);
    return copy === 0 ? text : `${text} (note ${copy})`;
  });
}

async function startSide(settings: Settings, key: ReuseSide, scratch: string, repository: string): Promise<Side> {
  const configPath = join(scratch, `${key}.yaml`);
  const config = {
    models: { build_defaults: false },
    state: { directory: join(scratch, `${key}-state`) },
    ...(key === 'on' ? { cache: { models: { [settings.model]: {} } } } : {}),
  };
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const port = await freePort();
  const server = await startNodeServer({
    label: `sluice (cache ${key})`,
    entry: ['bin/sluice.js'],
    args: ['serve', '--port', String(port), '--models', repository, '--config', configPath],
    port,
    readyPath: '/v2/health/ready',
    env: { SLUICE_SERVER__HOST: '127.0.0.1', SLUICE_SERVER__GRPC_PORT: '0', SLUICE_LOGGING__LEVEL: 'warn' },
    ...(settings.pinning === undefined ? {} : { cpus: settings.pinning.server }),
  });
  const client = new LoadClient(server.origin, { connections: settings.users, requestTimeoutMs: 30_000 });
  return { key, server, client, cursor: 0 };
}

/** The side's next requests in the Zipf sequence, from where its last row stopped. */
function zipfRequests(byRank: RequestSource, sequence: Uint32Array, side: Side): RequestSource {
  const start = side.cursor;
  return (index) => {
    side.cursor = start + index + 1;
    return byRank(sequence[(start + index) % sequence.length] ?? 0);
  };
}

type Requests = Readonly<Record<ReuseMix, (side: Side) => RequestSource>>;

async function runRounds(settings: Settings, sides: readonly Side[], requests: Requests): Promise<ReuseRecord[]> {
  const progress = new ProgressBar('reuse', sides.length * 2 * (settings.rounds + 1), settings.rowMs);
  const records: ReuseRecord[] = [];
  try {
    for (const round of Array.from({ length: settings.rounds + 1 }, (_, index) => index)) {
      for (const side of roundOrder(sides, round)) {
        for (const mix of ['zipf', 'hot'] as const) {
          progress.start(`round ${round} ${side.key} ${mix}`);
          const durationMs = round === 0 ? settings.warmupMs : settings.rowMs;
          const record = await runRow(settings, sides, side, mix, requests[mix](side), durationMs, round);
          if (round > 0) records.push(record);
          progress.finish(`round ${round} ${side.key} ${mix}: ${record.okPerS.toFixed(0)} req/s`);
        }
      }
    }
  } finally {
    progress.close();
  }
  return records;
}

async function runRow(
  settings: Settings,
  sides: readonly Side[],
  side: Side,
  mix: ReuseMix,
  request: RequestSource,
  durationMs: number,
  round: number,
): Promise<ReuseRecord> {
  await waitUntilQuiet(
    sides.map((each) => each.server.pid),
    IDLE_TIMEOUT_MS,
  );
  const [batchesBefore, cacheBefore] = [
    await readBatchCounts(side.server.origin, settings.model),
    await cacheCounters(side),
  ];
  const cpuBefore = readCpuSeconds(side.server.pid) ?? 0;
  const summary = await runClosedLoop({
    client: side.client,
    request,
    users: settings.users,
    durationMs,
    sloMs: SLO_MS,
  });
  await waitUntilQuiet([side.server.pid], IDLE_TIMEOUT_MS);
  const cpuAfter = readCpuSeconds(side.server.pid) ?? cpuBefore;
  const [batchesAfter, cacheAfter] = [
    await readBatchCounts(side.server.origin, settings.model),
    await cacheCounters(side),
  ];
  const ok = summary.outcomes.ok;
  const delta = (index: number) => (cacheAfter[index] ?? 0) - (cacheBefore[index] ?? 0);
  return {
    round,
    side: side.key,
    mix,
    ok: ok.count,
    okPerS: summary.okThroughput,
    p50Ms: ok.count === 0 ? undefined : ok.p50Ms,
    p99Ms: ok.count === 0 ? undefined : ok.p99Ms,
    itemsRun: batchesBefore && batchesAfter ? batchesAfter.items - batchesBefore.items : undefined,
    hits: delta(0),
    misses: delta(1),
    coalesced: delta(2),
    serverCpuSeconds: cpuAfter - cpuBefore,
    failures: Object.values(summary.failureKinds).reduce((sum, count) => sum + count, 0),
  };
}

/** The cache's hits, misses and coalesced waits so far, in CACHE_COUNTERS order (0 where a counter is absent). */
async function cacheCounters(side: Side): Promise<number[]> {
  const samples = await scrapeMetrics(side.server.origin);
  return CACHE_COUNTERS.map((name) =>
    samples.filter((sample) => sample.name === name).reduce((sum, sample) => sum + sample.value, 0),
  );
}

function describe(settings: Settings, distinct: number): string {
  const pinning = settings.pinning;
  return [
    `${settings.model} over KServe v2 JSON, one text per request; off: no cache; on: cache.models.${settings.model} (TTL 300 s, coalescing on, 64 MiB)`,
    `closed loop of ${settings.users} users; ${settings.rounds} rounds of ${settings.rowMs / 1000} s rows per mix, after a ${settings.warmupMs / 1000} s warm-up row of each; ${distinct} distinct texts, Zipf s = ${settings.exponent}`,
    pinning === undefined ? 'CPUs not pinned' : `servers on CPU ${pinning.server}, generator on ${pinning.client}`,
  ].join('; ');
}
