/**
 * The `real-models` benchmark's sides: what each one sends, to which server, over which
 * transport, as a closed-loop row and a concurrency search, whatever the transport (HTTP
 * through `LoadClient`, gRPC through `GrpcLoadClient`). Also the checks before measuring:
 * a transport the server under test does not serve is a figure not run, with why, and a
 * floor server must answer what sluice answers.
 */
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { readModelVersion } from '../../src/engines/local/models/repository.ts';
import { INFERENCE_HEADER_CONTENT_LENGTH, parseBinaryInferResponse } from '../../src/protocols/v2-binary.ts';
import { goldenItems } from './golden-items.ts';
import { itemFloats } from './tensor-requests.ts';
import { bestPoint, measureCapacity } from './capacity.ts';
import { runLoadRow, type LoadRowPlan } from './batching-rows.ts';
import type { ConcurrencyPoint, RowRecord } from './batching-report.ts';
import type { RequestSpec } from './http-target.ts';
import type { SluiceProcess } from './server-process.ts';

/** Only 2xx answers count as items; the recorder needs an SLO all the same. */
const SLO_MS = 1_000;

/** A side, its transport hidden: a row at some concurrency, and a search for the best one. */
export interface Side {
  readonly model: string;
  readonly side: string;
  row(users: number, durationMs: number, round: number): Promise<RowRecord>;
  /** Closed loops at each user count; the points, and the count with the most 2xx a second. */
  search(users: readonly number[], pointMs: number): Promise<{ points: ConcurrencyPoint[]; best: number }>;
}

export function sideOf<Spec>(plan: LoadRowPlan<Spec>): Side {
  return {
    model: plan.model,
    side: plan.side,
    row: async (users, durationMs, round) => (await runLoadRow(plan, users, durationMs, round)).record,
    search: async (users, pointMs) => {
      const target = { ...plan, origin: plan.server.origin, pid: plan.server.pid };
      const points = await measureCapacity(target, pointMs, SLO_MS, users);
      const asPoint = (point: (typeof points)[number]): ConcurrencyPoint => ({
        users: point.users,
        itemsPerS: point.okPerS,
        p50Ms: point.summary.outcomes.ok.p50Ms,
        p99Ms: point.summary.outcomes.ok.p99Ms,
        failed: point.summary.completed - point.summary.outcomes.ok.count,
        meanBatch: undefined,
      });
      return { points: points.map(asPoint), best: bestPoint(points).users };
    },
  };
}

/** Whether this checkout's configuration knows `server.grpc_port` (so `SLUICE_SERVER__GRPC_PORT` is accepted). */
export function servesGrpc(): boolean {
  return 'grpc_port' in loadConfig({ env: {} }).server;
}

/** `SLUICE_SERVER__GRPC_PORT`: a free port for the server whose gRPC is measured, 0 for the others (8081 is everyone's default). */
export function grpcPortEnv(port: number | undefined): Record<string, string> {
  return servesGrpc() ? { SLUICE_SERVER__GRPC_PORT: String(port ?? 0) } : {};
}

/** One request as the load client sends it: its method, headers and body, JSON by default. */
function send(origin: string, spec: RequestSpec): Promise<Response> {
  return fetch(`${origin}${spec.path}`, {
    method: spec.method,
    headers: { 'content-type': 'application/json', ...spec.headers },
    body: typeof spec.body === 'string' || spec.body === undefined ? (spec.body ?? null) : new Uint8Array(spec.body),
    signal: AbortSignal.timeout(30_000),
  });
}

/** Sends one request; undefined when it answered 200, else why not. */
export async function probe(origin: string, spec: RequestSpec): Promise<string | undefined> {
  try {
    const response = await send(origin, spec);
    const text = await response.text();
    return response.status === 200 ? undefined : `status ${response.status}: ${text.slice(0, 200)}`;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Whether `GET /v2` lists the binary tensor data extension. */
export async function servesBinary(server: SluiceProcess): Promise<boolean> {
  const body: unknown = await fetch(`${server.origin}/v2`, { signal: AbortSignal.timeout(5_000) })
    .then((response) => response.json())
    .catch(() => undefined);
  const extensions = (body as { extensions?: unknown } | undefined)?.extensions;
  return Array.isArray(extensions) && extensions.includes('binary_tensor_data');
}

interface AnsweredOutput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

/** An infer answer's outputs, read from JSON or from the binary tensor extension (by its header). */
async function answerOf(server: SluiceProcess, spec: RequestSpec) {
  const response = await send(server.origin, spec);
  const body = Buffer.from(await response.arrayBuffer());
  const headerLength = response.headers.get(INFERENCE_HEADER_CONTENT_LENGTH);
  if (headerLength === null) {
    const parsed = JSON.parse(body.toString('utf8')) as { outputs?: AnsweredOutput[] };
    return { form: 'JSON', outputs: parsed.outputs ?? [] };
  }
  const outputs = parseBinaryInferResponse(body, headerLength).outputs.map((output) => ({
    name: output.name,
    shape: output.shape,
    data: Array.from(output.data as ArrayLike<number | bigint>, Number),
  }));
  return { form: 'binary', outputs };
}

/**
 * The same request to sluice and to a floor server: their answers must agree (JSON or
 * binary alike; output names, shapes, values within `tolerance`). Returns a line for the
 * report, or throws: a floor that answers something else would be the floor of another job.
 */
export async function sameAnswer(
  sluice: SluiceProcess,
  floor: SluiceProcess,
  spec: RequestSpec,
  tolerance = 1e-4,
): Promise<string> {
  const [a, b] = [await answerOf(sluice, spec), await answerOf(floor, spec)];
  const [outA, outB] = [a.outputs, b.outputs];
  let worst = 0;
  const same =
    a.form === b.form &&
    outA.length > 0 &&
    outA.length === outB.length &&
    outA.every((output, index) => {
      const other = outB[index];
      if (other === undefined || other.name !== output.name || other.shape.join() !== output.shape.join()) return false;
      output.data.forEach((value, at) => (worst = Math.max(worst, Math.abs(value - (other.data[at] ?? NaN)))));
      return output.data.length === other.data.length;
    });
  if (!same || !(worst <= tolerance))
    throw new Error(`${floor.label} (${b.form}) and ${sluice.label} (${a.form}) answer differently (max |Δ| ${worst})`);
  return `same ${a.form} outputs as sluice (max |Δ| ${worst.toExponential(1)})`;
}

/** A repository of one model: its version directory, each file a symlink (sluice reads no symlinked directories). */
export async function linkModelVersion(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from)) await symlink(join(from, entry), join(to, entry));
}

export interface TensorModel {
  readonly input: { readonly name: string; readonly shape: readonly number[] };
  readonly floats: Float32Array[];
  readonly maxBatch: number;
}

export async function tensorModel(repository: string, model: string): Promise<TensorModel> {
  const { spec, dir } = readModelVersion(join(repository, model, '1'));
  const input = spec.inputs[0];
  if (input === undefined || spec.inputs.length !== 1) throw new Error(`${model}: expected one tensor input`);
  const items = await goldenItems(dir, spec.inputs);
  const tensorInput = { name: input.name, shape: input.shape ?? [] };
  return {
    input: tensorInput,
    floats: items.map((item) => itemFloats(item, tensorInput)),
    maxBatch: spec.batching.max_batch_size,
  };
}
