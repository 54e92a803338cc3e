import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildMissingDefaultModelsInWorker, missingDefaultModels } from './build-models.ts';

function repositoryWithEditedTriage(): { repository: string; readme: string } {
  const repository = mkdtempSync(join(tmpdir(), 'sluice-build-missing-'));
  mkdirSync(join(repository, 'triage-small', '1'), { recursive: true });
  const readme = join(repository, 'triage-small', '1', 'README.md');
  writeFileSync(readme, 'my own notes\n');
  return { repository, readme };
}

test('a default model counts as present once its version directory exists, whatever it holds', () => {
  const { repository } = repositoryWithEditedTriage();
  assert.deepEqual(missingDefaultModels(repository), ['triage-large', 'embed', 'noshow-risk']);
  assert.deepEqual(missingDefaultModels(join(repository, 'absent')), [
    'triage-small',
    'triage-large',
    'embed',
    'noshow-risk',
  ]);
});

test('a build in a worker thread writes only missing models, leaves an existing version alone and no staging behind', async () => {
  const { repository, readme } = repositoryWithEditedTriage();
  const lines: string[] = [];
  const built = await buildMissingDefaultModelsInWorker(repository, {
    models: ['triage-small', 'noshow-risk'],
    log: (line) => lines.push(line),
  });
  assert.deepEqual(
    built.map((summary) => [summary.name, summary.dir]),
    [['noshow-risk', join(repository, 'noshow-risk', '1')]],
  );
  assert.deepEqual(readdirSync(join(repository, 'noshow-risk', '1')).sort(), [
    'README.md',
    'golden.jsonl',
    'model.onnx',
    'model.yaml',
    'reference-profile.json',
  ]);
  assert.equal(readFileSync(readme, 'utf8'), 'my own notes\n');
  assert.deepEqual(readdirSync(join(repository, 'triage-small', '1')), ['README.md']);
  assert.deepEqual(readdirSync(repository).sort(), ['noshow-risk', 'triage-small']);
  assert.ok(
    lines.some((line) => line.startsWith('noshow-risk: golden_auc ')),
    `the build's log lines reach the caller: ${lines.join(' | ')}`,
  );
});

test('a build whose worker fails rejects with the failure', async () => {
  const repository = join(mkdtempSync(join(tmpdir(), 'sluice-build-fail-')), 'file');
  writeFileSync(repository, 'not a directory');
  await assert.rejects(buildMissingDefaultModelsInWorker(repository, { models: ['noshow-risk'] }), {
    message: `EEXIST: file already exists, mkdir '${repository}'`,
  });
});
