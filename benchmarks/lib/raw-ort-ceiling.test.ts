import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { imageSmallModel } from '../../src/offline/bench-models/image-small.ts';
import { writeArtifacts } from '../../src/offline/training/models/artifacts.ts';
import { doublingSizes, measureRawCeiling, rawCeilingTable, summarise, type RawCeilingRow } from './raw-ort-ceiling.ts';

function row(batchSize: number, itemsPerS: number): RawCeilingRow {
  const batchMs = (1000 * batchSize) / itemsPerS;
  return { batchSize, batches: 1, itemsPerS, batchMs, itemMs: batchMs / batchSize, cpuItemMs: batchMs / batchSize };
}

describe('doublingSizes', () => {
  const cases: Array<[number, number[]]> = [
    [1, [1]],
    [2, [1, 2]],
    [32, [1, 2, 4, 8, 16, 32]],
    [48, [1, 2, 4, 8, 16, 32, 48]],
  ];
  for (const [max, sizes] of cases) {
    it(`measures ${sizes.join(', ')} for a max_batch_size of ${max}`, () =>
      assert.deepEqual(doublingSizes(max), sizes));
  }
});

describe('summarise', () => {
  it('takes the size with the most items/s as the best and divides it by batch 1', () => {
    const ceiling = summarise('m', 1, [row(1, 100), row(2, 180), row(4, 600), row(8, 500)]);
    assert.equal(ceiling.best.batchSize, 4);
    assert.equal(ceiling.gain, 6);
  });

  it('reports no gain when batching does not help', () => {
    const ceiling = summarise('m', 1, [row(1, 100), row(2, 90)]);
    assert.equal(ceiling.best.batchSize, 1);
    assert.equal(ceiling.gain, 1);
  });
});

describe('measureRawCeiling', () => {
  it('measures every doubling size of a model built by bench-models and prints a row for each', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sluice-raw-ceiling-'));
    try {
      const { dir } = await writeArtifacts(root, imageSmallModel(7));
      const ceiling = await measureRawCeiling(dir, { msPerSize: 40, rounds: 2, intraOpThreads: 1 });
      assert.deepEqual(
        ceiling.rows.map((measured) => measured.batchSize),
        [1, 2, 4, 8, 16],
      );
      assert.ok(ceiling.rows.every((measured) => measured.itemsPerS > 0 && measured.batches >= 1));
      assert.equal(ceiling.gain, ceiling.best.itemsPerS / (ceiling.rows[0]?.itemsPerS ?? 0));
      const tableRows = rawCeilingTable(ceiling)
        .split('\n')
        .filter((line) => /^(\*\*)?\d/.test(line));
      assert.equal(tableRows.length, ceiling.rows.length);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
