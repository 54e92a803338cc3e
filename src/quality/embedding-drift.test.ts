import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Row } from '../core/tensors.ts';
import { createRng } from '../core/seeded-rng.ts';
import { embeddingDrift, embeddingThreshold, meanDistance } from './embedding-drift.ts';
import { embeddingOfRows, parseEmbeddingReference, type EmbeddingReference } from './embedding-reference.ts';
import { EmbeddingWindow } from './embedding-window.ts';
import type { Feature } from './features.ts';
import { QualityMonitor } from './quality-monitor.ts';
import type { ReferenceProfile } from './reference-profile.ts';

const rowOf = (vector: readonly number[]): Row => ({
  embedding: { dtype: 'float32', data: Float32Array.from(vector), dims: [vector.length] },
});

/** Unit vectors around a direction: noise in every dimension, plus `shift` along the second. */
function rows(seed: number, count: number, shift = 0, scale = 1): Row[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => {
    const vector = Array.from({ length: 8 }, (_, d) => (d === 0 ? 2 : d === 1 ? shift : 0) + rng.normal());
    const norm = Math.hypot(...vector);
    return rowOf(vector.map((x) => (scale * x) / norm));
  });
}

function windowOf(list: readonly Row[]): EmbeddingWindow {
  const window = new EmbeddingWindow('embedding');
  for (const row of list) window.add(row);
  return window;
}

const reference = (list: readonly Row[]): EmbeddingReference =>
  embeddingOfRows('embedding', list) as EmbeddingReference;

describe('the embedding mean distance', () => {
  test('is the distance between mean vectors over the root of the reference’s summed variances', () => {
    // ‖(1, 2) − (1, 0)‖ = 2; √(3 + 1) = 2.
    assert.equal(meanDistance({ mean: [1, 0], variance: [3, 1] }, [1, 2]), 1);
    // ‖(3, 4, 0)‖ = 5; √(1 + 1 + 2) = 2.
    assert.equal(meanDistance({ mean: [0, 0, 0], variance: [1, 1, 2] }, [3, 4, 0]), 2.5);
    assert.equal(meanDistance({ mean: [0.5, 0.5], variance: [0, 0] }, [0.5, 0.5]), 0);
    assert.equal(meanDistance({ mean: [0.5, 0.5], variance: [0, 0] }, [0.5, 0.6]), Infinity);
    assert.throws(() => meanDistance({ mean: [0, 0], variance: [1, 1] }, [0]), /different dimensions/);
  });

  test('is scale-free: vectors ten times longer give the same distance', () => {
    const unit = embeddingDrift(reference(rows(1, 1000)), windowOf(rows(2, 600, 1)))[0];
    const long = embeddingDrift(reference(rows(1, 1000, 0, 10)), windowOf(rows(2, 600, 1, 10)))[0];
    assert.ok(unit !== undefined && long !== undefined);
    assert.ok(Math.abs(unit.statistic - long.statistic) < 1e-6, `${unit.statistic} vs ${long.statistic}`);
    assert.ok(Math.abs(long.mean_norm - 10) < 1e-5);
  });

  test('is flagged above the larger of 0.15 and three times the sampling noise √(1/n + 1/m)', () => {
    // 3·√(1/600 + 1/1000) = 0.154919…; 3·√(1/1e6 + 1/1000) = 0.09491… is below the floor.
    assert.ok(Math.abs(embeddingThreshold(600, 1000) - 0.15491933384829668) < 1e-12);
    assert.equal(embeddingThreshold(1_000_000, 1000), 0.15);
    assert.ok(Math.abs(embeddingThreshold(20, 1000) - 3 * Math.sqrt(0.051)) < 1e-12);
  });

  test('flags a window whose vectors lean another way, and not another draw of the same population', () => {
    const base = reference(rows(1, 1000));
    const healthy = embeddingDrift(base, windowOf(rows(3, 600)));
    const shifted = embeddingDrift(base, windowOf(rows(4, 600, 1.5)));
    assert.equal(healthy[0]?.drifted, false, JSON.stringify(healthy));
    assert.equal(shifted[0]?.drifted, true, JSON.stringify(shifted));
    assert.deepEqual(
      { ...shifted[0], statistic: 0, threshold: 0, mean_norm: 0, reference_mean_norm: 0 },
      {
        ...{ name: 'embedding', kind: 'embedding', test: 'mean_distance', p_value: null, drifted: true },
        ...{ statistic: 0, threshold: 0, reference_count: 1000, live_count: 600, dimensions: 8 },
        ...{ mean_norm: 0, reference_mean_norm: 0 },
      },
    );
  });

  test('is not reported without a reference, without vectors, or when the dimensions differ', () => {
    const base = reference(rows(1, 100));
    assert.deepEqual(embeddingDrift(undefined, windowOf(rows(2, 10))), []);
    assert.deepEqual(embeddingDrift(base, new EmbeddingWindow('embedding')), []);
    assert.deepEqual(embeddingDrift(base, undefined), []);
    assert.deepEqual(embeddingDrift(base, windowOf([rowOf([1, 0])])), []);
  });

  test('a reference read back from JSON is checked, naming what is wrong', () => {
    const base = reference(rows(1, 10));
    assert.deepEqual(parseEmbeddingReference(JSON.parse(JSON.stringify(base))), base);
    assert.throws(() => parseEmbeddingReference({ ...base, mean: [1] }), /must hold 8 numbers/);
    assert.throws(() => parseEmbeddingReference({ ...base, dimensions: 0 }), /positive integer/);
    assert.throws(() => parseEmbeddingReference('x'), /dimensions/);
  });
});

describe('embedding drift in a model version’s monitor', () => {
  const MODEL = { name: 'embed', version: '1' };
  const LENGTH: Feature = { name: 'text.length', kind: 'numeric', source: 'input', read: () => 10 };
  const profile: ReferenceProfile = {
    ...{ format: 1, model: 'embed', version: '1', source: 'a test', rows: 1000 },
    features: { 'text.length': { kind: 'numeric', values: [10, 10, 10] } },
    embedding: reference(rows(1, 1000)),
  };
  const items = Array.from({ length: 600 }, () => ({ text: 'x' }));
  const monitor = (output: string | undefined) =>
    new QualityMonitor(
      MODEL,
      [LENGTH],
      profile,
      { windowItems: 600, windowMs: 3_600_000, now: () => 0 },
      'reject',
      output,
    );

  test('a shifted window is flagged on `embedding` alone, and counts in the dataset drift share', () => {
    const watched = monitor('embedding');
    watched.observe(items, rows(5, 600, 1.5));
    const report = watched.report();
    const flagged = report.features.filter((feature) => feature.drifted).map((feature) => feature.name);
    assert.deepEqual(flagged, ['embedding']);
    assert.deepEqual(report.dataset_drift, { drifted: true, share: 0.5, threshold: 0.5 });
  });

  test('a model without an embedding output keeps no vectors and reports no embedding feature', () => {
    const unwatched = monitor(undefined);
    unwatched.observe(items, rows(5, 600, 1.5));
    assert.deepEqual(
      unwatched.report().features.map((feature) => feature.name),
      ['text.length'],
    );
    assert.equal(unwatched.sampleOf('last_closed')?.embedding, undefined);
  });

  test('a window’s sample carries its embedding statistics, for a reference captured from it', () => {
    const watched = monitor('embedding');
    watched.observe(items, rows(6, 600));
    const sample = watched.sampleOf('last_closed');
    assert.equal(sample?.embedding?.count, 600);
    assert.equal(sample?.embedding?.dimensions, 8);
  });
});
