/**
 * A sluice server (or `sluice sim`) as a child process for benchmarks: its own port on
 * 127.0.0.1, its own environment, ready when `GET /v2/health/ready` (the simulator: `GET /`)
 * answers 200, stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServerOptions {
  /** Shown in errors and reports, e.g. `load control on`. */
  readonly label: string;
  readonly modelsDir: string;
  /** `SLUICE_<SECTION>__<KEY>` overrides (docs/configuration.md), on top of the benchmark defaults below. */
  readonly env?: Readonly<Record<string, string>>;
  /** The checkout whose `bin/sluice.js` runs; this repository by default. */
  readonly root?: string;
  readonly readyTimeoutMs?: number;
  /** CPUs the server may run on (taskset list, e.g. "0"), so it never competes with the load generator. */
  readonly cpus?: string;
  /** A YAML configuration file (`--config`), for what `SLUICE_*` variables cannot say, such as `backends`. */
  readonly config?: string;
}

export interface SluiceProcess {
  readonly label: string;
  readonly origin: string;
  readonly pid: number;
  /** The child's last lines of output, for error messages. */
  outputTail(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves to the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Every run listens on loopback only and logs warnings and worse, so neither the network
 * nor per-request logging is part of what is measured; `options.env` may override both.
 */
const BENCHMARK_ENV = { SLUICE_SERVER__HOST: '127.0.0.1', SLUICE_LOGGING__LEVEL: 'warn' } as const;
const NO_GRPC = { SLUICE_SERVER__GRPC_PORT: '0' } as const;
const TAIL_LINES = 40;
const live = new Set<ChildProcess>();

// A benchmark that crashes or is interrupted must not leave servers behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Each server its own state store (tenants, keys, audit), in a temporary directory, not ./data of the checkout. */
function ownStateDirectory(): Record<string, string> {
  return { SLUICE_STATE__DIRECTORY: mkdtempSync(join(tmpdir(), 'sluice-bench-state-')) };
}

export async function startSluice(options: ServerOptions): Promise<SluiceProcess> {
  const port = await freePort();
  const config = options.config === undefined ? [] : ['--config', options.config];
  return startServerProcess(
    {
      label: `sluice (${options.label})`,
      args: ['serve', '--port', String(port), '--models', options.modelsDir, ...config],
      port,
      readyPath: '/v2/health/ready',
      // Servers side by side would all reach for gRPC's 8081; a checkout from before gRPC has no such key.
      env: {
        ...BENCHMARK_ENV,
        ...((options.root ?? REPOSITORY_ROOT) === REPOSITORY_ROOT ? { ...NO_GRPC, ...ownStateDirectory() } : {}),
        ...options.env,
      },
      ...(options.root === undefined ? {} : { root: options.root }),
      ...(options.cpus === undefined ? {} : { cpus: options.cpus }),
      ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
    },
    options.label,
  );
}

export interface SimProcessOptions {
  readonly label: string;
  /** `sluice sim` flags after the port, e.g. `['--seed', '2', '--slow-factor', '10']` (docs/simulator.md). */
  readonly args: readonly string[];
  readonly root?: string;
  readonly cpus?: string;
}

/** `sluice sim` as a child process on a free loopback port, ready when `GET /` answers 200. */
export async function startSimProcess(options: SimProcessOptions): Promise<SluiceProcess> {
  const port = await freePort();
  return startServerProcess(
    {
      label: `simulator (${options.label})`,
      args: ['sim', '--host', '127.0.0.1', '--port', String(port), ...options.args],
      port,
      readyPath: '/',
      env: {},
      ...(options.root === undefined ? {} : { root: options.root }),
      ...(options.cpus === undefined ? {} : { cpus: options.cpus }),
    },
    options.label,
  );
}

export interface NodeServerOptions {
  /** Shown in errors and reports, e.g. `floor`. */
  readonly label: string;
  /** What `node` runs before `args`: its own flags and the script, e.g. `['--import', 'tsx', 'benchmarks/passthrough-proxy.ts']`. */
  readonly entry: readonly string[];
  readonly args: readonly string[];
  /** The port the server was told to listen on (from `freePort()`). */
  readonly port: number;
  /** Answers 200 once the server can take traffic. */
  readonly readyPath: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cpus?: string;
  readonly readyTimeoutMs?: number;
}

/** Any Node.js server as a child process, run from the repository root, stopped like sluice (and killed on exit). */
export async function startNodeServer(options: NodeServerOptions): Promise<SluiceProcess> {
  return startServerProcess({ ...options, env: options.env ?? {} }, options.label);
}

interface ChildServerOptions {
  /** For error messages, e.g. `sluice (load control on)`. */
  readonly label: string;
  /** What `node` runs before `args`; `bin/sluice.js` by default. */
  readonly entry?: readonly string[];
  /** `bin/sluice.js` arguments. */
  readonly args: readonly string[];
  readonly port: number;
  readonly readyPath: string;
  readonly env: Readonly<Record<string, string>>;
  readonly root?: string;
  readonly cpus?: string;
  readonly readyTimeoutMs?: number;
}

async function startServerProcess(options: ChildServerOptions, label: string): Promise<SluiceProcess> {
  const root = options.root ?? REPOSITORY_ROOT;
  const command = [process.execPath, ...(options.entry ?? ['bin/sluice.js']), ...options.args];
  const [program, ...args] = options.cpus === undefined ? command : ['taskset', '-c', options.cpus, ...command];
  const child = spawn(program as string, args, {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line.length > 0),
    );
    tail.splice(0, Math.max(0, tail.length - TAIL_LINES));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => live.delete(child));
  const origin = `http://127.0.0.1:${options.port}`;
  const server: SluiceProcess = {
    label,
    origin,
    pid: child.pid ?? -1,
    outputTail: () => tail.join('\n'),
    stop: (graceMs = 10_000) => stopChild(child, exited, graceMs),
  };
  try {
    await waitUntilReady(`${origin}${options.readyPath}`, exited, options.readyTimeoutMs ?? 120_000);
  } catch (error) {
    await server.stop(2_000);
    throw new Error(`${options.label} did not become ready: ${(error as Error).message}\n${server.outputTail()}`);
  }
  return server;
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

async function waitUntilReady(readyUrl: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (performance.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`it exited with code ${exitCode}`);
    const status = await fetch(readyUrl, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not ready after ${timeoutMs} ms`);
}

/** A port nothing listens on right now (the kernel picks it; the child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
