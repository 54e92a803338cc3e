/**
 * The evidence for embedding drift's threshold (docs/quality.md#embedding-drift), on the
 * default `embed` model against its built reference profile: fresh draws of the data
 * generator stay well under the threshold at every window size, and shifted text lands
 * well over it. The vectors come from onnxruntime through the serving preprocessing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { deriveSeed } from '../src/core/seeded-rng.ts';
import { generateIntentExamples } from '../src/offline/training/data/intent-generator.ts';
import { EMBED_HASHING } from '../src/offline/training/models/embed.ts';
import { runTextModel } from '../src/offline/training/models/text-eval.ts';
import { textHashSpec } from '../src/offline/training/models/text-spec.ts';
import { embeddingThreshold, meanDistance } from '../src/quality/embedding-drift.ts';
import type { EmbeddingReference } from '../src/quality/embedding-reference.ts';
import { readProfile } from '../src/quality/reference-profile.ts';
import { VectorMoments } from '../src/quality/sketches/moments.ts';
import { defaultModelsDir } from './support/models.ts';

let onnx: Uint8Array;
let reference: EmbeddingReference;
before(async () => {
  const dir = join(await defaultModelsDir(), 'embed', '1');
  onnx = readFileSync(join(dir, 'model.onnx'));
  const embedding = readProfile(dir)?.embedding;
  assert.ok(embedding !== undefined, 'the built profile holds the embedding statistics');
  reference = embedding;
});

/** A window of `texts`: its distance from the reference and the threshold it is held to. */
async function windowOf(texts: readonly string[]): Promise<{ distance: number; threshold: number }> {
  const vectors = new VectorMoments(reference.dimensions);
  for (const vector of await runTextModel(onnx, texts, textHashSpec(EMBED_HASHING), 'embedding')) vectors.add(vector);
  return {
    distance: meanDistance(reference, vectors.mean()),
    threshold: embeddingThreshold(vectors.count, reference.count),
  };
}

const draw = (seed: number, count: number) =>
  generateIntentExamples({ seed: deriveSeed(seed, 'embedding-threshold'), count, split: 'golden' });

describe('the embedding drift threshold on the embed model', () => {
  for (const size of [600, 50]) {
    test(`twenty fresh draws of ${size} messages each stay under two thirds of the threshold`, async () => {
      for (let seed = 0; seed < 20; seed++) {
        const { distance, threshold } = await windowOf(draw(seed, size).map((example) => example.text));
        assert.ok(distance < (threshold * 2) / 3, `draw ${seed}: ${distance} against ${threshold}`);
      }
    });
  }

  test('an unrelated sentence appended, or one intent alone, lands over twice the threshold', async () => {
    const messages = draw(100, 3000);
    const appended = messages
      .slice(0, 600)
      .map((example) => `${example.text} Also, the quarterly budget needs the new depreciation figures by Thursday.`);
    const oneIntent = messages.filter((example) => example.label === 'billing').map((example) => example.text);
    for (const [name, texts] of [
      ['appended', appended],
      ['billing only', oneIntent],
    ] as const) {
      const { distance, threshold } = await windowOf(texts);
      assert.ok(distance > 2 * threshold, `${name}: ${distance} against ${threshold}`);
    }
  });
});
