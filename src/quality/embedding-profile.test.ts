import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Row } from '../core/tensors.ts';
import type { Feature } from './features.ts';
import { buildProfile, PROFILE_FILE, readProfile, writeProfile, type Observation } from './reference-profile.ts';

const directory = mkdtempSync(join(tmpdir(), 'sluice-embedding-profile-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const MODEL = { name: 'embed', version: '1' };
const LENGTH: Feature = {
  name: 'text.length',
  kind: 'numeric',
  source: 'input',
  read: (item) => String(item['text']).length,
};
const rowOf = (vector: readonly number[]): Row => ({
  embedding: { dtype: 'float32', data: Float32Array.from(vector), dims: [vector.length] },
});
const observations: Observation[] = [
  { item: { text: 'a' }, row: rowOf([1, 0]) },
  { item: { text: 'bb' }, row: rowOf([0, 1]) },
  { item: { text: 'ccc' }, row: rowOf([0, 1]) },
  { item: { text: 'dddd' }, row: rowOf([1, 0]) },
];

describe('the embedding statistics of a reference profile', () => {
  test('are the reference rows’ mean, variance and mean norm, and survive a write and a read', () => {
    const profile = buildProfile(MODEL, [LENGTH], observations, { source: 'a test', embeddingOutput: 'embedding' });
    // Two of each unit vector: mean (0.5, 0.5), population variance 0.25 per dimension, every norm 1.
    assert.deepEqual(profile.embedding, {
      dimensions: 2,
      count: 4,
      mean: [0.5, 0.5],
      variance: [0.25, 0.25],
      mean_norm: 1,
    });
    const dir = mkdtempSync(join(directory, 'round-trip-'));
    writeProfile(dir, profile);
    assert.deepEqual(readProfile(dir), profile);
  });

  test('are absent for a model with no embedding output', () => {
    const profile = buildProfile(MODEL, [LENGTH], observations, { source: 'a test' });
    assert.equal(profile.embedding, undefined);
    assert.equal('embedding' in profile, false);
  });

  test('an older profile, written before embeddings were kept, still loads', () => {
    const dir = mkdtempSync(join(directory, 'older-'));
    const older = {
      ...{ format: 1, model: 'embed', version: '1', source: 'an older build', rows: 2 },
      features: { 'text.length': { kind: 'numeric', values: [3, 4] } },
    };
    writeFileSync(join(dir, PROFILE_FILE), JSON.stringify(older));
    const profile = readProfile(dir);
    assert.deepEqual(profile, older);
    assert.equal(profile?.embedding, undefined);
  });

  test('a profile whose embedding is malformed is refused, naming the file and the fault', () => {
    const dir = mkdtempSync(join(directory, 'malformed-'));
    const profile = buildProfile(MODEL, [LENGTH], observations, { source: 'a test', embeddingOutput: 'embedding' });
    writeFileSync(
      join(dir, PROFILE_FILE),
      JSON.stringify({ ...profile, embedding: { ...profile.embedding, variance: [1] } }),
    );
    assert.throws(
      () => readProfile(dir),
      (error: Error) => {
        assert.ok(error.message.startsWith(join(dir, PROFILE_FILE)), error.message);
        assert.match(error.message, /embedding\.mean and \.variance must hold 2 numbers/);
        return true;
      },
    );
  });
});
