/**
 * Production runs compiled code: `npm start` (bin/sluice.js) runs dist/, which `npm install`
 * and `npm ci` build (the prepare script), with neither tsx nor its loader in the process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../benchmarks/lib/server-process.ts';
import { defaultModelsDir } from './support/models.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const READY_TIMEOUT_MS = 90_000;

interface PackageJson {
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
  readonly files: readonly string[];
  readonly scripts: Record<string, string>;
}

test('the package runs tsx nowhere at run time: bin/sluice.js runs dist/, and dist/ ships and is built on install', () => {
  const bin = readFileSync(join(ROOT, 'bin', 'sluice.js'), 'utf8');
  assert.doesNotMatch(bin, /tsx/);
  assert.match(bin, /dist\/cli\/main\.js/);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  assert.equal(pkg.dependencies['tsx'], undefined);
  assert.ok(pkg.devDependencies['tsx'] !== undefined && pkg.devDependencies['typescript'] !== undefined);
  assert.ok(pkg.files.includes('dist/') && pkg.files.includes('bin/'));
  assert.match(pkg.scripts['prepare'] ?? '', /build-dist\.js/);
});

test('node bin/sluice.js serve answers live, then ready with every model warmed in worker threads started from dist/', async () => {
  const models = await defaultModelsDir();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-compiled-start-'));
  const config = join(dir, 'sluice.yaml');
  const port = await freePort();
  writeFileSync(
    config,
    [
      'server: { host: 127.0.0.1, port: ' + port + ', grpc_port: 0 }',
      `models: { repository: ${JSON.stringify(models)}, build_defaults: false }`,
      'logging: { level: warn }',
    ].join('\n'),
  );
  // bin/sluice.js rebuilds dist/ first if src/ changed since `npm ci` built it (a checkout being edited).
  const server = spawn(process.execPath, ['bin/sluice.js', 'serve', '--config', config], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  try {
    await untilOk(`http://127.0.0.1:${port}/v2/health/live`, server, () => stderr);
    await untilOk(`http://127.0.0.1:${port}/v2/health/ready`, server, () => stderr);
    // What ran is the build: its entry and both workers' modules are JavaScript in dist/.
    for (const file of [
      'cli/main.js',
      'engines/local/preprocess/preprocess-worker.js',
      'engines/local/models/session-worker.js',
    ])
      assert.ok(existsSync(join(ROOT, 'dist', file)), `dist/${file}`);
    const pool = (await import(
      new URL('../dist/engines/local/preprocess/preprocess-pool.js', import.meta.url).href
    )) as {
      workerBootstrap(selfUrl: string): string;
    };
    const bootstrap = pool.workerBootstrap(
      new URL('../dist/engines/local/preprocess/preprocess-pool.js', import.meta.url).href,
    );
    assert.match(bootstrap, /^import\(".*\/dist\/engines\/local\/preprocess\/preprocess-worker\.js"\);$/);
  } finally {
    server.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

async function untilOk(url: string, server: ReturnType<typeof spawn>, output: () => string): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (server.exitCode !== null) assert.fail(`the server exited with code ${server.exitCode}:\n${output()}`);
    const status = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`${url} did not answer 200 within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}
