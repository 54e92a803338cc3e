/**
 * One budget, two `sluice serve` processes, one real Redis: each process is started as a
 * user starts it (its own config file, state directory and memory), and 200 requests at
 * once, split between the two, are answered exactly as often as the budget allows.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testKey } from './support/keys.ts';
import { defaultModelsDir } from './support/models.ts';
import { redisForTests, type RedisForTests } from './support/redis.ts';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const READY_TIMEOUT_MS = 120_000;

interface Served {
  readonly url: string;
  stop(): Promise<void>;
}

const acme = testKey({ scopes: ['infer'] });
const dirs: string[] = [];
const servers: Served[] = [];
let redis: RedisForTests;

before(async () => {
  redis = await redisForTests();
});

after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await redis.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** `sluice serve` in a process of its own; resolves once it is listening and its models are warm. */
async function serve(config: object): Promise<Served> {
  const cwd = mkdtempSync(join(tmpdir(), 'sluice-budgets-'));
  dirs.push(cwd);
  writeFileSync(join(cwd, 'sluice.yaml'), JSON.stringify(config));
  const args = ['--config', 'sluice.yaml', '--models', await defaultModelsDir(), '--host', '127.0.0.1', '--port', '0'];
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SLUICE_')));
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'serve', ...args, '--log-level', 'info'], {
    cwd,
    env: { ...env, SLUICE_SERVER__GRPC_PORT: '0' },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  return { url: await untilReady(child, exited), stop };
}

function untilReady(child: ChildProcessWithoutNullStreams, exited: Promise<number | null>): Promise<string> {
  let url = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not ready in ${READY_TIMEOUT_MS} ms:\n${stderr}`)),
      READY_TIMEOUT_MS,
    );
    void exited.then((code) => (clearTimeout(timer), reject(new Error(`serve exited (${code}):\n${stderr}`))));
    createInterface({ input: child.stdout }).on('line', (text) => {
      const line = JSON.parse(text) as { msg: string; url?: string };
      if (line.msg === 'listening; loading models') url = String(line.url);
      if (line.msg !== 'all models warmed up; ready') return;
      clearTimeout(timer);
      resolve(url);
    });
  });
}

async function predict(server: Served, text: string): Promise<{ status: number; code: string | null }> {
  const response = await fetch(`${server.url}/v1/models/triage-small:predict`, {
    method: 'POST',
    headers: { ...acme.bearer, 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [text] }),
  });
  await response.arrayBuffer();
  return { status: response.status, code: response.headers.get('x-sluice-error-code') };
}

test('two sluice processes on one Redis answer exactly 50 of 202 requests against a budget of 50 items, 200 at once', async () => {
  const config = {
    auth: { enabled: true },
    admission: { enabled: false },
    tenants: [{ name: 'acme', keys: [acme.entry], limits: { spend_per_day: 50, spend_unit: 'compute-units' } }],
    state: { redis_url: redis.url },
    // Generous: two servers and this test share two cores; a script timed out counts as a store failure.
    limits: { redis_prefix: redis.prefix(), redis_timeout_ms: 5_000 },
  };
  const [a, b] = await Promise.all([serve(config), serve(config)]);
  servers.push(a!, b!);
  // One each first, so both are connected to Redis and the burst is a race between them.
  assert.equal((await predict(a!, 'warm a')).status, 200);
  assert.equal((await predict(b!, 'warm b')).status, 200);
  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, index) => predict(index % 2 === 0 ? a! : b!, `is it open on day ${index}?`)),
  );
  const answered = answers.filter((answer) => answer.status === 200).length;
  const refused = answers.filter((answer) => answer.status === 429 && answer.code === 'ERR_BUDGET_EXCEEDED').length;
  const other = answers.filter((answer) => answer.status !== 200 && answer.code !== 'ERR_BUDGET_EXCEEDED');
  assert.deepEqual({ answered, refused }, { answered: 48, refused: 152 }, JSON.stringify(other.slice(0, 3)));
  const by = (parity: number) =>
    answers.filter((answer, index) => index % 2 === parity && answer.status === 200).length;
  assert.ok(by(0) > 0 && by(1) > 0, `both processes answered some: ${by(0)} and ${by(1)}`);
});
