/**
 * The gateways gateway-overhead sets beside sluice: the floor (benchmarks/passthrough-proxy.ts)
 * and Portkey's open-source gateway, which benchmarks/package.json installs apart from the
 * main install (`npm --prefix benchmarks install`). Both run as child processes on the
 * server CPUs, like sluice, and are checked to pass a request to the simulator and its
 * answer back before anything is measured.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RequestSource, RequestSpec } from './http-target.ts';
import { freePort, REPOSITORY_ROOT, startNodeServer, type SluiceProcess } from './server-process.ts';

export const PORTKEY_INSTALL_COMMAND = 'npm --prefix benchmarks install';
const PORTKEY_DIR = join(REPOSITORY_ROOT, 'benchmarks', 'node_modules', '@portkey-ai', 'gateway');
/** As many as a sluice backend keeps per replica by default (`connections: 64`). */
const FLOOR_CONNECTIONS = 64;

export interface PortkeyInstall {
  readonly version: string;
  /** Its `bin`, the Node.js server. */
  readonly script: string;
}

/** Undefined when `npm --prefix benchmarks install` has not been run. */
export function findPortkey(): PortkeyInstall | undefined {
  const script = join(PORTKEY_DIR, 'build', 'start-server.js');
  if (!existsSync(script)) return undefined;
  const manifest: unknown = JSON.parse(readFileSync(join(PORTKEY_DIR, 'package.json'), 'utf8'));
  const version =
    typeof manifest === 'object' && manifest !== null && 'version' in manifest && typeof manifest.version === 'string'
      ? manifest.version
      : 'unknown';
  return { version, script };
}

/** The floor in front of `upstream`; ready when `GET /` through it reaches the upstream's own `GET /`. */
export async function startPassthrough(
  label: string,
  upstream: string,
  cpus: string | undefined,
): Promise<SluiceProcess> {
  const port = await freePort();
  return startNodeServer({
    label,
    entry: ['--import', 'tsx', 'benchmarks/passthrough-proxy.ts'],
    args: [String(port), upstream, String(FLOOR_CONNECTIONS)],
    port,
    readyPath: '/',
    ...(cpus === undefined ? {} : { cpus }),
  });
}

/**
 * Portkey's Node.js server (`--port=N`; `--headless` leaves out its web UI), bound to
 * 127.0.0.1 by a preload since it has no host flag. tsx is loaded only for that preload,
 * which is TypeScript; it does nothing to Portkey's own JavaScript once loaded.
 */
export async function startPortkey(
  install: PortkeyInstall,
  label: string,
  cpus: string | undefined,
): Promise<SluiceProcess> {
  const port = await freePort();
  const loopbackOnly = pathToFileURL(join(REPOSITORY_ROOT, 'benchmarks', 'lib', 'loopback-only.ts')).href;
  return startNodeServer({
    label,
    entry: ['--import', 'tsx', '--import', loopbackOnly, install.script],
    args: [`--port=${port}`, '--headless'],
    port,
    readyPath: '/',
    ...(cpus === undefined ? {} : { cpus }),
  });
}

/** Portkey's routing headers: the OpenAI provider, at the simulator instead of OpenAI. */
export function portkeyHeaders(upstream: string): Readonly<Record<string, string>> {
  return { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstream}/v1` };
}

/**
 * `source` with extra headers on every request. `period` is how many distinct requests
 * `source` cycles through: they are built once here, so the send path only picks one.
 */
export function withHeaders(
  source: RequestSource,
  period: number,
  headers: Readonly<Record<string, string>>,
): RequestSource {
  const specs: RequestSpec[] = Array.from({ length: period }, (_, index) => {
    const spec = source(index);
    return { ...spec, headers: { ...spec.headers, ...headers } };
  });
  return (index) => {
    const spec = specs[index % period];
    if (spec === undefined) throw new RangeError(`no request for index ${index}`);
    return spec;
  };
}

/**
 * Sends `spec` to the simulator directly and through `origin`: both must answer 200 with
 * the same completion (the simulator's text depends only on the request), and the
 * simulator must have completed one more request for the gateway's.
 */
export async function confirmPassesThrough(
  label: string,
  origin: string,
  spec: RequestSpec,
  sim: SluiceProcess,
): Promise<void> {
  const direct = await completionText(sim.origin, { ...spec, headers: {} });
  const before = await simCompleted(sim.origin);
  const through = await completionText(origin, spec);
  const after = await simCompleted(sim.origin);
  if (through.text === undefined || through.text !== direct.text || !(after > before)) {
    throw new Error(
      `${label} did not pass a request to the simulator and its answer back: status ${through.status}, simulator completed ${before} → ${after}, body ${through.body.slice(0, 300)}`,
    );
  }
}

async function completionText(
  origin: string,
  spec: RequestSpec,
): Promise<{ status: number; body: string; text: string | undefined }> {
  const response = await fetch(`${origin}${spec.path}`, {
    method: spec.method,
    headers: { 'content-type': 'application/json', ...spec.headers },
    body: typeof spec.body === 'string' || spec.body === undefined ? (spec.body ?? null) : new Uint8Array(spec.body),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.text();
  return { status: response.status, body, text: response.status === 200 ? firstMessage(body) : undefined };
}

function firstMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { choices?: Array<{ message?: { content?: unknown } }> };
    const content = parsed.choices?.[0]?.message?.content;
    return typeof content === 'string' ? content : undefined;
  } catch {
    return undefined;
  }
}

async function simCompleted(origin: string): Promise<number> {
  const response = await fetch(`${origin}/sim/stats`, { signal: AbortSignal.timeout(2_000) });
  const stats = (await response.json()) as { completed?: unknown };
  if (typeof stats.completed !== 'number') throw new Error(`${origin}/sim/stats has no completed count`);
  return stats.completed;
}
