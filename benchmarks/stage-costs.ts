/**
 * What each platform stage costs a request, as CPU of the one process that serves it: one
 * in-process sluice per variant on the default models (triage-small, one golden text per
 * KServe v2 request through `inject`, 16 at a time so the model batches), the variants
 * taking turns in rounds, the order rotated each round. CPU is the process's (all threads,
 * the model's worker included) per request; each variant's figure is divided by the
 * baseline's of the same round. Unlike the HTTP benchmarks it does not depend on how a
 * shared CPU is divided between processes, only on the work each request causes.
 *
 *   baseline      the default configuration (data quality on, the cost ledger on, no cache)
 *   quality-off   quality.enabled: false
 *   ledger-off    ledger.enabled: false
 *   cache-hits    triage-small in cache.models, and every request a hit (a hot set of 8 texts)
 *
 *   taskset -c 0 node --import tsx benchmarks/stage-costs.ts [rounds] [requests-per-round]
 */
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.ts';
import { createSluice, type Sluice } from '../src/http/server.ts';
import { BENCH_MODELS_DIR, ensureBenchModels, goldenTexts } from './lib/bench-models.ts';
import { median } from './lib/ratios.ts';

const MODEL = 'triage-small';
const CONCURRENT = 16;
const HOT_TEXTS = 8;
const VARIANTS = {
  baseline: {},
  'quality-off': { quality: { enabled: false } },
  'ledger-off': { ledger: { enabled: false } },
  'cache-hits': { cache: { models: { [MODEL]: {} } } },
} as const;
type Variant = keyof typeof VARIANTS;

const rounds = Number(process.argv[2] ?? 10);
const perRound = Number(process.argv[3] ?? 3_000);

function cpuMicroseconds(): number {
  const used = process.cpuUsage();
  return used.user + used.system;
}

async function start(variant: Variant, repository: string): Promise<Sluice> {
  const config = loadConfig({
    env: {},
    overrides: {
      ...VARIANTS[variant],
      admission: { enabled: false },
      models: { repository, build_defaults: false },
      server: { port: 0, host: '127.0.0.1' },
      routes: [],
    },
  });
  const sluice = createSluice(config, pino({ level: 'silent' }));
  await sluice.openState();
  await sluice.models.loadRepository(repository);
  return sluice;
}

/** CPU µs per request over `count` requests, CONCURRENT at a time. */
async function measure(sluice: Sluice, bodies: readonly string[], count: number): Promise<number> {
  const send = (index: number) =>
    sluice.app.inject({
      method: 'POST',
      url: `/v2/models/${MODEL}/infer`,
      headers: { 'content-type': 'application/json' },
      payload: bodies[index % bodies.length],
    });
  const started = cpuMicroseconds();
  for (let sent = 0; sent < count; sent += CONCURRENT) {
    const answers = await Promise.all(Array.from({ length: CONCURRENT }, (_, offset) => send(sent + offset)));
    const failed = answers.find((answer) => answer.statusCode !== 200);
    if (failed !== undefined) throw new Error(`${failed.statusCode} ${failed.body}`);
  }
  return (cpuMicroseconds() - started) / count;
}

const modelsDir = await ensureBenchModels(BENCH_MODELS_DIR);
const texts = await goldenTexts(modelsDir, MODEL);
const body = (text: string) =>
  JSON.stringify({ inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [text] }] });
const bodies = { all: texts.map(body), hot: texts.slice(0, HOT_TEXTS).map(body) };
const names = Object.keys(VARIANTS) as Variant[];
const servers = new Map<Variant, Sluice>();
for (const name of names) servers.set(name, await start(name, modelsDir));
const perRequest = new Map<Variant, number[]>(names.map((name) => [name, []]));
try {
  for (const name of names) await measure(servers.get(name) as Sluice, bodies.all, 500); // warm-up
  for (let round = 0; round < rounds; round += 1) {
    const order = names.map((_, index) => names[(index + round) % names.length] as Variant);
    for (const name of order) {
      const sent = name === 'cache-hits' ? bodies.hot : bodies.all;
      perRequest.get(name)?.push(await measure(servers.get(name) as Sluice, sent, perRound));
    }
  }
} finally {
  for (const sluice of servers.values()) await sluice.close();
}
const baseline = perRequest.get('baseline') ?? [];
console.log(`| variant | CPU µs per request, median (min to max) | ÷ baseline, median of rounds (min to max) |`);
console.log(`| --- | ---: | ---: |`);
for (const name of names) {
  const values = perRequest.get(name) ?? [];
  const sorted = [...values].sort((a, b) => a - b);
  const ratios = values.map((value, round) => value / (baseline[round] ?? NaN)).sort((a, b) => a - b);
  const spread = (list: number[], digits: number) =>
    `${median(list)?.toFixed(digits)} (${list[0]?.toFixed(digits)} to ${list.at(-1)?.toFixed(digits)})`;
  console.log(`| ${name} | ${spread(sorted, 0)} | ${spread(ratios, 3)} |`);
}
process.exit(0);
