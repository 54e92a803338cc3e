import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../../core/seeded-rng.ts';
import { addTypos, misspell } from './typos.ts';

describe('typos', () => {
  it('changes a word by one edit, keeping its first letter', () => {
    const rng = createRng(3);
    for (let index = 0; index < 200; index++) {
      const typo = misspell('prescription', rng);
      assert.ok(Math.abs(typo.length - 'prescription'.length) <= 1);
      assert.equal(typo[0], 'p');
    }
  });

  it('leaves short words and non-words alone', () => {
    assert.equal(addTypos('i am at 9am $120', 1, createRng(1)), 'i am at 9am $120');
  });
});
