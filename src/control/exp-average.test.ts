import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpAverage } from './exp-average.ts';

describe('ExpAverage', () => {
  it('is 0 before any sample', () => {
    assert.equal(new ExpAverage(600).current, 0);
  });

  it('is the plain mean during the warm-up', () => {
    const average = new ExpAverage(600, 4);
    assert.deepEqual(
      [10, 20, 30, 40].map((sample) => average.add(sample)),
      [10, 15, 20, 25],
    );
  });

  it('weighs each sample 2/(window+1) after the warm-up', () => {
    const average = new ExpAverage(9, 1);
    average.add(100);
    // factor 2/(9+1) = 0.2
    assert.equal(average.add(200), 120);
    assert.equal(average.add(120), 120);
  });

  it('warms up over no more samples than its window', () => {
    const average = new ExpAverage(3, 10);
    [10, 10, 10].forEach((sample) => average.add(sample));
    // factor 2/(3+1) = 0.5 from the fourth sample on
    assert.equal(average.add(20), 15);
  });

  it('scales outright', () => {
    const average = new ExpAverage(600);
    average.add(50);
    average.scale(0.9);
    assert.equal(average.current, 45);
  });

  it('rejects a window below 1', () => {
    assert.throws(() => new ExpAverage(0), RangeError);
  });
});
