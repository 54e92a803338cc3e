/**
 * Real models, honest ceilings (issue 13's targets). Models users bring — a compute-heavy
 * MLP (`dense-heavy`), an image classifier with 196 KB inputs (`image-small`) — and a default
 * tiny model (`triage-large`), each served by sluice one item per request, against what
 * bounds it on the same CPU, measured in the same round:
 *
 *   dense-heavy  sluice JSON ÷ raw ORT at its best batch; (sluice ÷ sluice max_batch_size 1) ÷ raw gain
 *   image-small  sluice gRPC, binary HTTP ÷ raw ORT at its best batch; sluice JSON ÷ JSON floor server;
 *                binary floor server ÷ raw ORT and sluice binary ÷ binary floor (diagnostics)
 *   triage-large sluice JSON ÷ JSON floor server (sluice's preprocessing, ideal batches)
 *
 * Raw ORT is the `batching` benchmark's ceiling process; the floors are json-floor-server.ts
 * (JSON requests, or binary ones for the binary floor).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelVersion } from '../src/engines/local/models/repository.ts';
import { buildRealModels, ensureBenchModels } from './lib/bench-models.ts';
import { roundsTable } from './lib/batching-report.ts';
import { defaultPinning, pinThisProcess } from './lib/cpu-pinning.ts';
import { goldenItems, v2ItemInferRequests } from './lib/golden-items.ts';
import { GrpcLoadClient, loadModelInfer } from './lib/grpc-target.ts';
import { LoadClient } from './lib/http-target.ts';
import { startCeiling, type CeilingProcess } from './lib/ort-ceiling.ts';
import { figureOf, figureRoundsTable, figureSpecs, SIDES, targetsTable } from './lib/real-models-report.ts';
import {
  grpcPortEnv,
  probe,
  sameAnswer,
  servesBinary,
  servesGrpc,
  sideOf,
  linkModelVersion,
  tensorModel,
  type TensorModel,
} from './lib/real-models-sides.ts';
import { ceilingSide } from './lib/real-models-ceiling.ts';
import { measure, type Bench } from './lib/real-models-rounds.ts';
import { environmentFacts, writeResults } from './lib/report.ts';
import {
  listOption,
  numberOption,
  parseEnvPairs,
  stringOption,
  type Scenario,
  type ScenarioContext,
} from './lib/scenario.ts';
import { freePort, REPOSITORY_ROOT, startNodeServer, startSluice, type SluiceProcess } from './lib/server-process.ts';
import { cycle, grpcTensorRequest, v2BinaryTensorRequest, v2JsonTensorRequest } from './lib/tensor-requests.ts';
import { writeUnbatchedRepository } from './lib/unbatched-repository.ts';

const COMPUTE = 'dense-heavy';
const IMAGE = 'image-small';
const TINY = 'triage-large';
const REQUEST_TIMEOUT_MS = 30_000;

interface Settings {
  readonly quick: boolean;
  readonly rowMs: number;
  readonly searchPointMs: number;
  /** Raw ORT at each batch size before the rounds, per size and pass. */
  readonly sweepSliceMs: number;
  readonly rounds: number;
  /** Closed-loop users each side is tried at; the rounds use its best. */
  readonly users: readonly number[];
  readonly pinning: ReturnType<typeof defaultPinning>;
  /** `SLUICE_*` overrides for every sluice server and raw ORT (`--real-env KEY=VALUE`); none by default. */
  readonly env: Readonly<Record<string, string>>;
}

export const realModelsScenario: Scenario = {
  name: 'real-models',
  summary: `${COMPUTE}, ${IMAGE} and ${TINY}: sluice over JSON, binary HTTP and gRPC against raw ONNX Runtime and bare floor servers (issue 13's targets)`,
  options: {
    'real-rounds': { type: 'string' },
    'real-duration-s': { type: 'string' },
    'real-env': { type: 'string', multiple: true },
    'server-cpus': { type: 'string' },
    'client-cpus': { type: 'string' },
    'no-pin': { type: 'boolean' },
  },
  run: async (context) => runRealModels(settingsOf(context)),
};

function settingsOf({ quick, values }: ScenarioContext): Settings {
  const rounds = numberOption(values, 'real-rounds', 2);
  if (!Number.isInteger(rounds)) throw new Error(`--real-rounds must be a whole number, got ${rounds}`);
  return {
    quick,
    rowMs: numberOption(values, 'real-duration-s', quick ? 3 : 10) * 1000,
    searchPointMs: quick ? 1_500 : 3_000,
    sweepSliceMs: quick ? 300 : 750,
    rounds,
    users: [8, 32, 128],
    env: parseEnvPairs(listOption(values, 'real-env') ?? []),
    pinning:
      values['no-pin'] === true
        ? undefined
        : defaultPinning(stringOption(values, 'server-cpus'), stringOption(values, 'client-cpus')),
  };
}

async function runRealModels(settings: Settings): Promise<void> {
  const started = new Date().toISOString();
  const loadAtStart = loadavg();
  if (settings.pinning !== undefined) pinThisProcess(settings.pinning.client);
  const scratch = await mkdtemp(join(tmpdir(), 'sluice-bench-real-models-'));
  const bench: Bench = { sides: [], ceilings: [], notRun: {}, notes: [], servers: [], closers: [] };
  try {
    await setUp(settings, scratch, bench);
    const records = await measure(settings, bench);
    const figures = figureSpecs(COMPUTE, IMAGE, TINY).map((spec) => figureOf(spec, records, bench.notRun[spec.key]));
    const loadAtEnd = loadavg();
    console.log(`#### Rounds\n\n${roundsTable(records)}\n`);
    console.log(`#### Figures, round by round\n\n${figureRoundsTable(figures, settings.rounds)}\n`);
    console.log(
      `### Targets${settings.quick ? ' (quick run)' : ''}\n\n${targetsTable(figures, records)}\n\n- load average (1, 5, 15 min): ${loadText(loadAtStart)} at the start, ${loadText(loadAtEnd)} at the end\n`,
    );
    const path = await writeResults('real-models', {
      scenario: 'real-models',
      started,
      environment: environmentFacts(),
      loadAverage: { start: loadAtStart, end: loadAtEnd },
      settings,
      notes: bench.notes,
      ceilings: bench.ceilings.map((ceiling) => ceiling.sweep),
      records,
      figures,
    });
    console.log(`results: ${path}`);
  } finally {
    for (const close of bench.closers) await close();
    await Promise.all(bench.servers.map((server) => server.stop()));
    await rm(scratch, { recursive: true, force: true });
  }
}

const loadText = (load: readonly number[]) => load.map((value) => value.toFixed(2)).join(', ');

/** Models, servers, clients and checks; every side into `bench`. */
async function setUp(settings: Settings, scratch: string, bench: Bench): Promise<void> {
  const cpus = settings.pinning?.server;
  const realDir = await buildRealModels(join(scratch, 'real'));
  const tinyDir = join(scratch, 'tiny');
  await linkModelVersion(join(await ensureBenchModels(), TINY, '1'), join(tinyDir, TINY, '1'));
  await writeUnbatchedRepository(realDir, join(scratch, 'unbatched'));
  const grpcPort = servesGrpc() ? await freePort() : undefined;
  const sluice = async (label: string, modelsDir: string, port?: number) => {
    const server = await startSluice({
      label,
      modelsDir,
      env: { ...settings.env, ...grpcPortEnv(port) },
      ...(cpus === undefined ? {} : { cpus }),
    });
    bench.servers.push(server);
    return server;
  };
  const floor = async (model: string, versionDir: string) => {
    const port = await freePort();
    const server = await startNodeServer({
      label: `floor server (${model})`,
      entry: ['--import', 'tsx', 'benchmarks/json-floor-server.ts'],
      args: [String(port), versionDir],
      port,
      readyPath: '/v2/health/ready',
      env: settings.env,
      ...(cpus === undefined ? {} : { cpus }),
    });
    bench.servers.push(server);
    return server;
  };
  const real = await sluice('real models', realDir, grpcPort);
  const unbatched = await sluice('real models, max_batch_size 1', join(scratch, 'unbatched'));
  const tiny = await sluice('triage-large', tinyDir);
  const denseFloor = await floor(COMPUTE, join(realDir, COMPUTE, '1'));
  const imageFloor = await floor(IMAGE, join(realDir, IMAGE, '1'));
  const tinyFloor = await floor(TINY, join(tinyDir, TINY, '1'));
  const http = (server: SluiceProcess) => {
    const client = new LoadClient(server.origin, {
      connections: Math.max(...settings.users),
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    bench.closers.push(() => client.close());
    return client;
  };
  const [realClient, unbatchedClient] = [http(real), http(unbatched)];

  // dense-heavy: JSON to the batched and the unbatched server and to its floor, raw ORT at batch 1 and at its best.
  const dense = await tensorModel(realDir, COMPUTE);
  const denseJson = cycle(dense.floats.map((floats) => v2JsonTensorRequest(COMPUTE, dense.input, floats)));
  const denseServers = [real, unbatched, denseFloor];
  bench.notes.push(`${COMPUTE} JSON floor: ${await sameAnswer(real, denseFloor, denseJson(0))}`);
  const plan = { model: COMPUTE, request: denseJson, servers: denseServers };
  bench.sides.push(sideOf({ ...plan, side: SIDES.json, client: realClient, server: real, fullBatch: dense.maxBatch }));
  bench.sides.push(
    sideOf({ ...plan, side: SIDES.unbatched, client: unbatchedClient, server: unbatched, fullBatch: 1 }),
  );
  const denseFloorClient = http(denseFloor);
  bench.sides.push(
    sideOf({ ...plan, side: SIDES.floor, client: denseFloorClient, server: denseFloor, fullBatch: dense.maxBatch }),
  );

  // image-small: gRPC, binary HTTP and JSON to sluice, JSON and binary HTTP to its floor.
  const image = await tensorModel(realDir, IMAGE);
  const imageServers = [real, imageFloor];
  const imageJson = cycle(image.floats.map((floats) => v2JsonTensorRequest(IMAGE, image.input, floats)));
  const imageBase = { model: IMAGE, servers: imageServers, fullBatch: image.maxBatch };
  bench.notes.push(`${IMAGE} JSON floor: ${await sameAnswer(real, imageFloor, imageJson(0))}`);
  await addGrpc(bench, grpcPort, image, imageBase, real);
  const binary = cycle(image.floats.map((floats) => v2BinaryTensorRequest(IMAGE, image.input, floats)));
  const binaryProblem = (await servesBinary(real))
    ? await probe(real.origin, binary(0))
    : 'the server does not list binary_tensor_data in GET /v2';
  if (binaryProblem === undefined)
    bench.sides.push(sideOf({ ...imageBase, side: SIDES.binary, client: realClient, request: binary, server: real }));
  else
    for (const key of ['image-binary-vs-raw', 'image-binary-floor-vs-raw', 'image-binary-vs-floor'])
      bench.notRun[key] = `binary HTTP not served: ${binaryProblem}`;
  bench.sides.push(sideOf({ ...imageBase, side: SIDES.json, client: realClient, request: imageJson, server: real }));
  const floorClient = http(imageFloor);
  bench.sides.push(
    sideOf({ ...imageBase, side: SIDES.floor, client: floorClient, request: imageJson, server: imageFloor }),
  );
  // The binary floor is measured only once it answers the binary request as sluice does.
  if (binaryProblem === undefined) {
    bench.notes.push(`${IMAGE} binary floor: ${await sameAnswer(real, imageFloor, binary(0))}`);
    bench.sides.push(
      sideOf({ ...imageBase, side: SIDES.binaryFloor, client: floorClient, request: binary, server: imageFloor }),
    );
  }

  // triage-large: JSON to sluice and to its floor.
  const tinyEntry = readModelVersion(join(tinyDir, TINY, '1'));
  const tinyRequests = v2ItemInferRequests(
    TINY,
    tinyEntry.spec.inputs,
    await goldenItems(tinyEntry.dir, tinyEntry.spec.inputs),
  );
  bench.notes.push(`${TINY} JSON floor: ${await sameAnswer(tiny, tinyFloor, tinyRequests(0))}`);
  const tinyBase = {
    model: TINY,
    request: tinyRequests,
    servers: [tiny, tinyFloor],
    fullBatch: tinyEntry.spec.batching.max_batch_size,
  };
  bench.sides.push(sideOf({ ...tinyBase, side: SIDES.json, client: http(tiny), server: tiny }));
  bench.sides.push(sideOf({ ...tinyBase, side: SIDES.floor, client: http(tinyFloor), server: tinyFloor }));

  for (const [model, servers] of [
    [COMPUTE, denseServers],
    [IMAGE, imageServers],
  ] as const) {
    const ceiling: CeilingProcess = await startCeiling({
      versionDir: join(realDir, model, '1'),
      cpus,
      env: settings.env,
    });
    bench.closers.push(() => ceiling.stop());
    bench.ceilings.push(ceilingSide(model, ceiling, servers));
  }
  announce(settings, bench, { real, unbatched, tiny, denseFloor, imageFloor, tinyFloor });
}

async function addGrpc(
  bench: Bench,
  port: number | undefined,
  image: TensorModel,
  base: { model: string; servers: SluiceProcess[]; fullBatch: number },
  real: SluiceProcess,
): Promise<void> {
  const loaded = await loadModelInfer(REPOSITORY_ROOT);
  if (port === undefined || 'missing' in loaded) {
    bench.notRun['image-grpc-vs-raw'] =
      `gRPC not served: ${port === undefined ? 'this checkout has no server.grpc_port' : (loaded as { missing: string }).missing}`;
    return;
  }
  const client = new GrpcLoadClient(loaded.grpc, loaded.infer, port, REQUEST_TIMEOUT_MS);
  bench.closers.push(() => client.close());
  const request = cycle(image.floats.map((floats) => client.serialise(grpcTensorRequest(IMAGE, image.input, floats))));
  const first = await client.send(request(0));
  if (first.outcome !== 'ok') {
    bench.notRun['image-grpc-vs-raw'] = `gRPC ModelInfer failed: ${first.failureKind ?? first.outcome}`;
    return;
  }
  bench.sides.push(sideOf({ ...base, side: SIDES.grpc, client, request, server: real }));
}

function announce(settings: Settings, bench: Bench, servers: Record<string, SluiceProcess>): void {
  console.log(`## real-models${settings.quick ? ' (quick)' : ''}\n`);
  for (const server of Object.values(servers)) console.log(`- ${server.label}: pid ${server.pid}, ${server.origin}`);
  const machine = environmentFacts();
  console.log(`- machine: ${machine['cpus']} CPUs (${machine['cpuModel']}), revision ${machine['revision']}`);
  const env = Object.entries(settings.env).map(([key, value]) => `${key}=${value}`);
  console.log(
    `- sluice config: ${env.length === 0 ? 'default' : env.join(' ')} (raw ORT and the floors read the same)`,
  );
  console.log(
    settings.pinning === undefined
      ? '- CPUs: not pinned'
      : `- CPUs: servers, floors and raw ORT on ${settings.pinning.server}, load generator on ${settings.pinning.client} (taskset)`,
  );
  console.log(
    `- ${settings.rounds} rounds of ${settings.rowMs / 1000} s closed-loop rows per side, after a search over ${settings.users.join(', ')} users (${settings.searchPointMs / 1000} s a point)`,
  );
  for (const note of bench.notes) console.log(`- ${note}`);
  for (const [key, reason] of Object.entries(bench.notRun)) console.log(`- ${key}: NOT RUN, ${reason}`);
  console.log('');
}
