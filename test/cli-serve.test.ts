/**
 * `sluice serve` as a user starts it, in a process of its own: which repository it may
 * build the demo models into, what it refuses, its flags, and a liveness probe that keeps
 * answering while the demo models train.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultModelsDir } from './support/models.ts';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const READY_TIMEOUT_MS = 180_000;
const LIVENESS_BUDGET_MS = 1_000;

interface LogLine {
  readonly msg: string;
  readonly [key: string]: unknown;
}

interface ServeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly logs: LogLine[];
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  /** Resolves with the first log line `matches` accepts; rejects if the process exits first. */
  readonly logged: (matches: (line: LogLine) => boolean) => Promise<LogLine>;
}

const temporary: string[] = [];
after(() => temporary.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

function serve(args: readonly string[], cwd: string): ServeProcess {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'serve', ...args], { cwd, env: cleanEnv() });
  const logs: LogLine[] = [];
  const waiters = new Set<{ matches: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as LogLine;
    logs.push(line);
    for (const waiter of waiters) if (waiter.matches(line)) waiter.resolve(line);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const logged = (matches: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      const seen = logs.find(matches);
      if (seen !== undefined) return resolve(seen);
      waiters.add({ matches, resolve });
      void exited.then((code) =>
        reject(new Error(`serve exited (code ${code}) first:\n${stderr}\n${JSON.stringify(logs, null, 1)}`)),
      );
    });
  return { child, logs, stderr: () => stderr, exited, logged };
}

/** The test's environment without SLUICE_ variables, which would configure the server under test. */
/** No SLUICE_ variable of the test's own environment, and no gRPC port (test files run side by side). */
function cleanEnv(): NodeJS.ProcessEnv {
  const own = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SLUICE_')));
  return { ...own, SLUICE_SERVER__GRPC_PORT: '0' };
}

async function stop(server: ServeProcess): Promise<void> {
  if (server.child.exitCode === null) server.child.kill('SIGTERM');
  await server.exited;
}

/** A copy of the built triage-small whose model card the user has edited. */
async function editedTriage(repository: string): Promise<string> {
  const target = join(repository, 'triage-small', '1');
  mkdirSync(join(repository, 'triage-small'), { recursive: true });
  cpSync(join(await defaultModelsDir(), 'triage-small', '1'), target, { recursive: true });
  const readme = join(target, 'README.md');
  writeFileSync(readme, '# triage-small, as our clinic tuned it\n');
  return readme;
}

test('an unknown --log-level is refused by name before anything starts', async () => {
  const server = serve(['--log-level', 'verbose'], tempDir('sluice-cli-'));
  assert.equal(await server.exited, 1);
  assert.equal(
    server.stderr(),
    "error: option '--log-level <level>' argument 'verbose' is invalid. Allowed choices are fatal, error, warn, info, debug, trace, silent.\n",
  );
});

test('serve --models naming a directory without models stops with the directory named and writes nothing', async () => {
  const cwd = tempDir('sluice-cli-');
  const named = join(cwd, 'mine');
  mkdirSync(named);
  const server = serve(['--models', named, '--port', '0'], cwd);
  assert.equal(await server.exited, 2);
  assert.equal(
    server.stderr(),
    `model repository ${named} holds no models (<name>/<version>/model.yaml). The embedded default models are ` +
      'built only into the default repository (models), never into a directory you name; to write them into ' +
      `this one, run: sluice build-models --out ${named}\n`,
  );
  assert.deepEqual(readdirSync(named), []);
  assert.deepEqual(readdirSync(cwd), ['mine']);
});

test('serve --models serves the named repository as it is: no demo model is added and an edited file is kept', async () => {
  const cwd = tempDir('sluice-cli-');
  const named = join(cwd, 'mine');
  const readme = await editedTriage(named);
  const server = serve(['--models', named, '--host', '127.0.0.1', '--port', '0'], cwd);
  try {
    const ready = await server.logged((line) => line.msg === 'all models warmed up; ready');
    assert.deepEqual(ready['models'], ['triage-small:1']);
    assert.equal(readFileSync(readme, 'utf8'), '# triage-small, as our clinic tuned it\n');
    assert.deepEqual(readdirSync(named), ['triage-small']);
    assert.deepEqual(readdirSync(cwd).sort(), ['data', 'mine'], 'no default repository; data/ is the state store');
  } finally {
    await stop(server);
  }
});

test('the default repository gets the missing demo models, built while liveness answers within a second', async () => {
  const cwd = tempDir('sluice-cli-');
  const readme = await editedTriage(join(cwd, 'models'));
  const server = serve(['--host', '127.0.0.1', '--port', '0', '--log-level', 'info'], cwd);
  try {
    const listening = await server.logged((line) => line.msg === 'listening; loading models');
    const address = String(listening['url']);
    assert.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);
    const building = await server.logged((line) => line.msg === 'building the missing default models (not ready yet)');
    assert.deepEqual(building['models'], ['triage-large', 'embed', 'noshow-risk']);

    let ready = false;
    const readyLine = server.logged((line) => line.msg === 'all models warmed up; ready');
    readyLine.then(
      () => (ready = true),
      () => (ready = true),
    );
    const slow: string[] = [];
    let probes = 0;
    const deadline = performance.now() + READY_TIMEOUT_MS;
    while (!ready && performance.now() < deadline) {
      const started = performance.now();
      const status = await fetch(`${address}/v2/health/live`, { signal: AbortSignal.timeout(LIVENESS_BUDGET_MS) }).then(
        (response) => response.status,
        (error: Error) => error.name,
      );
      const elapsed = performance.now() - started;
      probes++;
      if (status !== 200 || elapsed > LIVENESS_BUDGET_MS) slow.push(`${status} after ${elapsed.toFixed(0)} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const readyLog = await readyLine;
    assert.deepEqual(slow, [], `${slow.length} of ${probes} liveness probes failed or were slow`);
    const built = server.logs.filter((line) => / MB; [\d.]+ s$/.test(line.msg)).map((line) => line.msg.split(':')[0]);
    assert.deepEqual(built, ['triage-large', 'embed', 'noshow-risk']);
    assert.ok(probes >= 10, `the build lasted long enough to probe (${probes} probes)`);
    assert.deepEqual(readyLog['models'], ['embed:1', 'noshow-risk:1', 'triage-large:1', 'triage-small:1']);
    assert.equal((await fetch(`${address}/v2/health/ready`)).status, 200);
    assert.equal(readFileSync(readme, 'utf8'), '# triage-small, as our clinic tuned it\n');
    assert.deepEqual(readdirSync(join(cwd, 'models')).sort(), ['embed', 'noshow-risk', 'triage-large', 'triage-small']);
  } finally {
    await stop(server);
  }
});
