/**
 * The command line's side of routing: `sluice serve` refuses routes it cannot serve before
 * it is ready, naming the key, and `sluice eval` prints its table through the serving path.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { runEval } from '../src/cli/eval-command.ts';
import { defaultModelsDir } from './support/models.ts';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const dir = mkdtempSync(join(tmpdir(), 'sluice-routing-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `sluice serve` with a config of these routes, on free ports, until it exits (or 120 s). */
async function serveWith(routes: unknown): Promise<{ code: number | null; output: string }> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ server: { port: 0, grpc_port: 0 }, routes }));
  const child = spawn(
    process.execPath,
    ['--import', TSX, MAIN, 'serve', '-c', file, '--models', await defaultModelsDir()],
    {
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SLUICE_'))),
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGTERM'), 120_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

test('serve stops before it is ready when a route names a model nobody serves, naming the key', async () => {
  const { code, output } = await serveWith([
    { name: 'triage', cascade: [{ model: 'triage-small', min_confidence: 0.8 }, { model: 'triage-xl' }] },
  ]);
  assert.equal(code, 1, output);
  assert.match(output, /routes\.0\.cascade\.1\.model: no model \\?"triage-xl\\?" is served/);
  assert.doesNotMatch(output, /all models warmed up; ready/);
});

test('serve refuses a malformed route before anything starts, naming the key', async () => {
  const { code, output } = await serveWith([
    { name: 'triage', cascade: [{ model: 'triage-small' }, { model: 'triage-large' }] },
  ]);
  assert.equal(code, 2, output);
  assert.match(output, /routes\.0\.cascade\.0\.min_confidence: required/);
});

test('eval prints each model alone and the cascade per threshold, measured on a golden slice', async () => {
  const table = await runEval({
    models: ['triage-small', 'triage-large'],
    repository: await defaultModelsDir(),
    thresholds: [0, 0.9, 1.01],
    limit: 40,
  });
  const lines = table.split('\n');
  assert.equal(
    lines[0],
    '| run | min_confidence | accuracy (40 items) | sent on | cost per item | cost vs. triage-large only |',
  );
  assert.equal(lines[1], '| --- | --- | --- | --- | --- | --- |');
  const cells = lines.slice(2).map((line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );
  assert.deepEqual(
    cells.map(([run, threshold]) => `${run} ${threshold}`),
    ['triage-small only –', 'triage-large only –', 'cascade 0', 'cascade 0.9', 'cascade 1.01'],
  );
  const [small, large, never, middle, always] = cells as string[][];
  // The declared costs: triage-small 1, triage-large 6 per item.
  assert.deepEqual([small?.[4], large?.[4]], ['1.00', '6.00']);
  assert.deepEqual(
    [never?.[3], never?.[4], never?.[2]],
    ['0.0%', '1.00', small?.[2]],
    'a threshold of 0 is the small model',
  );
  assert.deepEqual(
    [always?.[3], always?.[4], always?.[2]],
    ['100.0%', '7.00', large?.[2]],
    'above 1 every item pays both',
  );
  const share = Number(middle?.[3]?.replace('%', '')) / 100;
  assert.ok(share > 0 && share < 1, `some items are sent on at 0.9 (${middle?.[3]})`);
  assert.equal(middle?.[4], (1 + 6 * share).toFixed(2));
});

test('eval refuses a route that is not a cascade it knows, and a one-model cascade', async () => {
  const repository = await defaultModelsDir();
  await assert.rejects(runEval({ route: 'nope', repository }), /--route: no cascade route "nope" is configured/);
  await assert.rejects(
    runEval({ models: ['triage-small'], repository }),
    /--models: a cascade needs two models or more/,
  );
});
