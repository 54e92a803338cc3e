/**
 * Where sluice's main thread spends a `real-models` load: one sluice per load, started with
 * `node --cpu-prof` and pinned to CPU 0 like the scenario's servers, the scenario's requests
 * and clients from CPU 1, 1.5 s of warm-up then 5 s measured; prints items/s, the server's CPU
 * per item, the admission gate's refusals by guard, and the profile's largest shares by file
 * or package and by function (self time, samples of the measured 5 s only: both processes
 * read the same monotonic clock). The model's worker thread writes no profile.
 * Run it from a checkout whose dist/ is current (a clean clone after one `sluice serve`):
 * otherwise bin/sluice.js rebuilds dist/ inside the profiled process (`spawnSync`).
 *
 *   flock /tmp/sluice-bench.lock node --import tsx benchmarks/real-models-profile.ts [name filter,...] [KEY=VALUE ...]
 *
 * Loads: dense-heavy JSON at 1 and 128 users (also with the model on the main thread),
 * image-small over gRPC at 8 users (one channel, and 4), 32 and 128, binary HTTP at 32, JSON at 8.
 */
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readModelVersion } from '../src/engines/local/models/repository.ts';
import { buildRealModels, ensureBenchModels } from './lib/bench-models.ts';
import { pinThisProcess } from './lib/cpu-pinning.ts';
import { GrpcLoadClient, loadModelInfer } from './lib/grpc-target.ts';
import { LoadClient, type Sender } from './lib/http-target.ts';
import type { RunSummary } from './lib/latency-recorder.ts';
import { runClosedLoop } from './lib/open-loop.ts';
import { startCpuMeter } from './lib/process-usage.ts';
import { parseEnvPairs } from './lib/scenario.ts';
import { linkModelVersion, tensorModel } from './lib/real-models-sides.ts';
import { goldenItems, v2ItemInferRequests } from './lib/golden-items.ts';
import { freePort, REPOSITORY_ROOT, startNodeServer } from './lib/server-process.ts';
import { cycle, grpcTensorRequest, v2BinaryTensorRequest, v2JsonTensorRequest } from './lib/tensor-requests.ts';

interface Load {
  readonly name: string;
  readonly model: 'dense-heavy' | 'image-small' | 'triage-large';
  readonly transport: 'json' | 'binary' | 'grpc';
  readonly users: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly channels?: number;
}

const LOADS: readonly Load[] = [
  { name: 'dense-heavy json 1 user', model: 'dense-heavy', transport: 'json', users: 1 },
  {
    name: 'dense-heavy json 1 user main',
    model: 'dense-heavy',
    transport: 'json',
    users: 1,
    env: { SLUICE_MODELS__EXECUTION: 'main' },
  },
  { name: 'dense-heavy json 128 users', model: 'dense-heavy', transport: 'json', users: 128 },
  { name: 'image-small grpc 8 users', model: 'image-small', transport: 'grpc', users: 8 },
  { name: 'image-small grpc 8 users 4 channels', model: 'image-small', transport: 'grpc', users: 8, channels: 4 },
  { name: 'image-small grpc 32 users', model: 'image-small', transport: 'grpc', users: 32 },
  { name: 'image-small grpc 128 users', model: 'image-small', transport: 'grpc', users: 128 },
  { name: 'image-small binary 32 users', model: 'image-small', transport: 'binary', users: 32 },
  { name: 'image-small json 8 users', model: 'image-small', transport: 'json', users: 8 },
  { name: 'triage-large json 128 users', model: 'triage-large', transport: 'json', users: 128 },
];

/** A closed loop of the load's requests, whatever its transport. */
interface Driver {
  run(users: number, durationMs: number): Promise<RunSummary>;
  close(): Promise<void> | void;
}

function driver<Spec>(
  client: Sender<Spec>,
  request: (index: number) => Spec,
  close: () => Promise<void> | void,
): Driver {
  return { run: (users, durationMs) => runClosedLoop({ client, request, users, durationMs, sloMs: 1_000 }), close };
}

async function driverFor(load: Load, modelsDir: string, origin: string, grpcPort: number): Promise<Driver> {
  if (load.model === 'triage-large') {
    const entry = readModelVersion(join(modelsDir, load.model, '1'));
    const requests = v2ItemInferRequests(
      load.model,
      entry.spec.inputs,
      await goldenItems(entry.dir, entry.spec.inputs),
    );
    const client = new LoadClient(origin, { connections: 128 });
    return driver(client, requests, () => client.close());
  }
  const model = await tensorModel(modelsDir, load.model);
  if (load.transport === 'grpc') {
    const loaded = await loadModelInfer(REPOSITORY_ROOT);
    if ('missing' in loaded) throw new Error(loaded.missing);
    const client = new GrpcLoadClient(loaded.grpc, loaded.infer, grpcPort, 30_000, load.channels ?? 1);
    const requests = model.floats.map((floats) => client.serialise(grpcTensorRequest(load.model, model.input, floats)));
    return driver(client, cycle(requests), () => client.close());
  }
  const client = new LoadClient(origin, { connections: 128 });
  const build = load.transport === 'json' ? v2JsonTensorRequest : v2BinaryTensorRequest;
  const requests = model.floats.map((floats) => build(load.model, model.input, floats));
  return driver(client, cycle(requests), () => client.close());
}

async function profileLoad(load: Load, modelsDir: string, profileDir: string): Promise<void> {
  const [port, grpcPort] = [await freePort(), await freePort()];
  const server = await startNodeServer({
    label: load.name,
    entry: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, 'bin/sluice.js'],
    args: ['serve', '--port', String(port), '--models', modelsDir],
    port,
    readyPath: '/v2/health/ready',
    cpus: '0',
    env: {
      SLUICE_SERVER__HOST: '127.0.0.1',
      SLUICE_LOGGING__LEVEL: 'warn',
      SLUICE_SERVER__GRPC_PORT: String(grpcPort),
      ...load.env,
      ...EXTRA_ENV,
    },
  });
  const driven = await driverFor(load, modelsDir, server.origin, grpcPort);
  await driven.run(load.users, 1_500);
  const cpu = startCpuMeter(server.pid);
  const window = { startUs: monotonicUs(), endUs: 0 };
  const summary = await driven.run(load.users, 5_000);
  window.endUs = monotonicUs();
  const used = cpu.read();
  const refused = await refusalsByGuard(server.origin);
  await driven.close();
  await server.stop(20_000);
  console.log(
    `\n### ${load.name}: ${summary.okThroughput.toFixed(0)} items/s, p50 ${summary.outcomes.ok.p50Ms.toFixed(1)} ms, server ${used.server.toFixed(2)} cores, ${((used.server / summary.okThroughput) * 1e6).toFixed(0)} µs CPU/item; client ${used.client.toFixed(2)}, other ${used.other.toFixed(2)}; failed ${JSON.stringify(summary.failureKinds)}; refused by guard ${JSON.stringify(refused)}\n`,
  );
  for (const file of (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'))) {
    console.log(summariseProfile(JSON.parse(await readFile(join(profileDir, file), 'utf8')) as CpuProfile, window));
    if (KEEP_DIR !== undefined)
      await copyFile(join(profileDir, file), join(KEEP_DIR, `${load.name.replaceAll(' ', '-')}.cpuprofile`));
  }
}

/** CLOCK_MONOTONIC in µs, the clock V8 stamps its profiles' samples with on Linux. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

async function refusalsByGuard(origin: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const refused: Record<string, number> = {};
  for (const match of text.matchAll(/^sluice_admission_refused_total\{[^}]*guard="([^"]+)"[^}]*\} (\S+)$/gm))
    refused[match[1] ?? '?'] = (refused[match[1] ?? '?'] ?? 0) + Number(match[2]);
  return refused;
}

interface CpuProfile {
  readonly startTime: number;
  readonly nodes: ReadonlyArray<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** `node_modules/<package>`, `sluice <dist path>`, `node:<module>`, or V8's own entries such as `(garbage collector)`. */
function placeOf(functionName: string, url: string): string {
  const inModules = url.split('node_modules/').at(-1);
  if (url.includes('node_modules/') && inModules !== undefined)
    return inModules
      .split('/')
      .slice(0, inModules.startsWith('@') ? 2 : 1)
      .join('/');
  if (url.includes('/dist/')) return `sluice ${url.split('/dist/').at(-1) ?? url}`;
  if (url !== '') return url;
  return functionName.startsWith('(') ? functionName : '(native)';
}

function summariseProfile(
  profile: CpuProfile,
  window: { readonly startUs: number; readonly endUs: number },
  top = 16,
): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const [byPlace, byFunction] = [new Map<string, number>(), new Map<string, number>()];
  let [busy, atUs] = [0, profile.startTime];
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id);
    const delta = profile.timeDeltas[index] ?? 0;
    atUs += delta;
    if (atUs < window.startUs || atUs > window.endUs) return;
    if (frame === undefined || frame.functionName === '(idle)') return;
    busy += delta;
    const place = placeOf(frame.functionName, frame.url);
    const name = `${frame.functionName || '(anonymous)'} ${basename(frame.url)}:${frame.lineNumber + 1}`;
    byPlace.set(place, (byPlace.get(place) ?? 0) + delta);
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  });
  const shares = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => `  ${((100 * us) / Math.max(1, busy)).toFixed(1)}% ${key}`)
      .join('\n');
  return `main thread busy ${(busy / 1e6).toFixed(2)} s of the measured ${((window.endUs - window.startUs) / 1e6).toFixed(2)} s\nby file or package:\n${shares(byPlace)}\nby function (self):\n${shares(byFunction)}`;
}

const filters = (process.argv[2] ?? '').split(',').filter((word) => word !== '');
/** KEY=VALUE arguments after the filter: environment for every load's server. */
const EXTRA_ENV = parseEnvPairs(process.argv.slice(3));
/** Where to keep each load's profile (for DevTools or a closer look), if anywhere: PROFILE_KEEP_DIR. */
const KEEP_DIR = process.env['PROFILE_KEEP_DIR'];
const chosen = LOADS.filter((load) => filters.length === 0 || filters.some((word) => load.name.includes(word)));
pinThisProcess('1');
const scratch = await mkdtemp(join(tmpdir(), 'sluice-real-models-profile-'));
try {
  const modelsDir = await buildRealModels(join(scratch, 'models'));
  await linkModelVersion(join(await ensureBenchModels(), 'triage-large', '1'), join(modelsDir, 'triage-large', '1'));
  for (const [index, load] of chosen.entries()) await profileLoad(load, modelsDir, join(scratch, `profile-${index}`));
} finally {
  await rm(scratch, { recursive: true, force: true });
}
