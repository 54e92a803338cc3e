import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../config/load.ts';
import { planRepository } from './repository-plan.ts';

const ALL_FOUR = ['triage-small', 'triage-large', 'embed', 'noshow-risk'];

/** A fresh working directory, with `files` (relative paths) created in it. */
function workdir(files: readonly string[] = []): string {
  const cwd = mkdtempSync(join(tmpdir(), 'sluice-plan-'));
  for (const file of files) {
    mkdirSync(join(cwd, file, '..'), { recursive: true });
    writeFileSync(join(cwd, file), 'edited by hand\n');
  }
  return cwd;
}

const modelsConfig = (models: Record<string, unknown> = {}) => loadConfig({ env: {}, overrides: { models } }).models;

test('the default repository gets every demo model it lacks', () => {
  assert.deepEqual(planRepository(modelsConfig(), workdir()), { kind: 'build', models: ALL_FOUR });
  assert.deepEqual(planRepository(modelsConfig({ repository: './models/' }), workdir()), {
    kind: 'build',
    models: ALL_FOUR,
  });
});

test('a demo model whose version directory exists in the default repository is left alone', () => {
  const cwd = workdir(['models/triage-small/1/README.md', 'models/embed/1/model.yaml']);
  assert.deepEqual(planRepository(modelsConfig(), cwd), { kind: 'build', models: ['triage-large', 'noshow-risk'] });
  const full = workdir(ALL_FOUR.map((name) => `models/${name}/1/model.yaml`));
  assert.deepEqual(planRepository(modelsConfig(), full), { kind: 'serve' });
});

test('with build_defaults off the default repository is served as it is', () => {
  assert.deepEqual(planRepository(modelsConfig({ build_defaults: false }), workdir()), { kind: 'serve' });
});

test('a named repository holding a model is served, never built into', () => {
  const cwd = workdir(['mine/triage-small/3/model.yaml']);
  assert.deepEqual(planRepository(modelsConfig({ repository: join(cwd, 'mine') }), cwd), { kind: 'serve' });
  assert.deepEqual(planRepository(modelsConfig({ repository: 'mine' }), cwd), { kind: 'serve' });
});

test('a named repository without models, or missing, stops the start with the directory named', () => {
  const cwd = workdir(['empty/triage-small/1/README.md', 'empty/.building-x/embed/1/model.yaml']);
  assert.deepEqual(planRepository(modelsConfig({ repository: 'empty' }), cwd), {
    kind: 'refuse',
    message:
      'model repository empty holds no models (<name>/<version>/model.yaml). The embedded default models are ' +
      'built only into the default repository (models), never into a directory you name; to write them into ' +
      'this one, run: sluice build-models --out empty',
  });
  assert.deepEqual(planRepository(modelsConfig({ repository: '/nonexistent/models' }), cwd), {
    kind: 'refuse',
    message:
      'model repository /nonexistent/models does not exist. The embedded default models are built only into ' +
      'the default repository (models), never into a directory you name; to write them into this one, run: ' +
      'sluice build-models --out /nonexistent/models',
  });
});

test('with remote backends, a named repository without models is a gateway with no local model; a missing one still stops', () => {
  const cwd = workdir(['empty/README.md']);
  assert.deepEqual(planRepository(modelsConfig({ repository: 'empty' }), cwd, true), { kind: 'serve' });
  assert.equal(planRepository(modelsConfig({ repository: 'missing' }), cwd, true).kind, 'refuse');
});
