import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { textWords } from './text.ts';

describe('textWords', () => {
  it('splits the normalised text into words, none for a text without any', () => {
    assert.deepEqual(textWords('Follow-up on the “patient’s” $120.50 bill!'), [
      'follow',
      'up',
      'on',
      'the',
      "patient's",
      '120',
      '50',
      'bill',
    ]);
    assert.deepEqual(textWords('  -- '), []);
  });

  it('answers a text read again with the words it split before, and a long text afresh', () => {
    const text = `a message read twice ${Math.random()}`;
    assert.equal(textWords(text), textWords(text), 'the same array: split once');
    const long = `word `.repeat(1_000);
    assert.notEqual(textWords(long), textWords(long), 'a long text is not kept');
    assert.deepEqual(textWords(long), Array(1_000).fill('word'));
  });

  it('keeps a bounded number of texts, the oldest dropped first', () => {
    const first = `the first of many ${Math.random()}`;
    const kept = textWords(first);
    for (let index = 0; index < 300; index++) textWords(`filler ${index} ${Math.random()}`);
    assert.notEqual(textWords(first), kept, 'dropped after 256 newer texts');
    assert.deepEqual(textWords(first), kept);
  });
});
