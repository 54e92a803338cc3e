/**
 * What each platform stage costs a request, as CPU of the one process that serves it: one
 * in-process sluice per variant on the default models (triage-small unless named, one golden
 * text per KServe v2 request through `inject`, 16 at a time so the model batches), each
 * logging its request lines at info into a stream that drops them, the variants
 * taking turns in rounds, the order rotated each round. CPU is the process's (all threads,
 * the model's worker included) per request; each variant's figure is divided by the
 * baseline's of the same round. Unlike the HTTP benchmarks it does not depend on how a
 * shared CPU is divided between processes, only on the work each request causes.
 *
 *   baseline      the default configuration (data quality on, the cost ledger on, no cache)
 *   quality-off   quality.enabled: false
 *   quality-every-item  quality.sample_per_second: 0 (every item into the windows, as before sampling)
 *   ledger-off    ledger.enabled: false
 *   redact-off    logging.redact: false
 *   platform-off  quality, the ledger and redaction off: what afc8385, before the platform stages, ran
 *   cache-hits    the model in cache.models, and every request a hit (a hot set of 8 texts)
 *
 *   taskset -c 0 node --import tsx benchmarks/stage-costs.ts [rounds] [requests-per-round] [model]
 */
import { Writable } from 'node:stream';
import { loadConfig } from '../src/config/load.ts';
import { createSluice, type Sluice } from '../src/http/server.ts';
import { createLogger } from '../src/observe/log.ts';
import { BENCH_MODELS_DIR, ensureBenchModels, goldenTexts } from './lib/bench-models.ts';
import { roundOrder } from './lib/compliance-report.ts';
import type { RequestSource } from './lib/http-target.ts';
import { v2TextInferRequests } from './lib/infer-requests.ts';
import { formatSpread, spreadOf } from './lib/slots-report.ts';

const MODEL = process.argv[4] ?? 'triage-small';
const CONCURRENT = 16;
const HOT_TEXTS = 8;
const VARIANTS = {
  baseline: {},
  'quality-off': { quality: { enabled: false } },
  'quality-every-item': { quality: { sample_per_second: 0 } },
  'ledger-off': { ledger: { enabled: false } },
  'redact-off': { logging: { redact: false } },
  'platform-off': { quality: { enabled: false }, ledger: { enabled: false }, logging: { redact: false } },
  'cache-hits': { cache: { models: { [MODEL]: {} } } },
} as const;
type Variant = keyof typeof VARIANTS;

const rounds = Number(process.argv[2] ?? 10);
const perRound = Number(process.argv[3] ?? 3_000);

/** Log lines are formatted (and redacted, where on) as a server's would be, then dropped. */
const DROPPED_LINES = new Writable({ write: (_chunk, _encoding, done) => done() });

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
  const sluice = createSluice(config, createLogger(config, DROPPED_LINES));
  await sluice.openState();
  await sluice.models.loadRepository(repository);
  return sluice;
}

/** CPU µs per request over `count` requests, CONCURRENT at a time. */
async function measure(sluice: Sluice, request: RequestSource, count: number): Promise<number> {
  const send = (index: number) => {
    const { path, body } = request(index);
    return sluice.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
  };
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
const requests = {
  all: v2TextInferRequests(MODEL, texts),
  hot: v2TextInferRequests(MODEL, texts.slice(0, HOT_TEXTS)),
};
const names = Object.keys(VARIANTS) as Variant[];
const servers = new Map<Variant, Sluice>();
for (const name of names) servers.set(name, await start(name, modelsDir));
const perRequest = new Map<Variant, number[]>(names.map((name) => [name, []]));
try {
  for (const name of names) await measure(servers.get(name) as Sluice, requests.all, 500); // warm-up
  for (let round = 0; round < rounds; round += 1) {
    for (const name of roundOrder(names, round)) {
      const sent = name === 'cache-hits' ? requests.hot : requests.all;
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
  const ratios = values.map((value, round) => value / (baseline[round] ?? NaN));
  const cpu = formatSpread(spreadOf(values), (value) => value.toFixed(0));
  console.log(`| ${name} | ${cpu} | ${formatSpread(spreadOf(ratios), (value) => value.toFixed(3))} |`);
}
process.exit(0);
