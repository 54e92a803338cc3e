import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../core/seeded-rng.ts';
import { TextSummary, Vocabulary, tokenize } from './text-summary.ts';

const known = ['the', 'patient', 'reports', 'chest', 'pain', 'since', 'monday', "don't", 'fever', 'no', '12'];
const vocabulary = new Vocabulary(known);

/** Sentences from the vocabulary with about one word in `oovEvery` made up. */
function texts(seed: number, n: number, oovEvery: number): string[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: 1 + rng.int(20) }, () =>
      rng.int(oovEvery) === 0 ? `zz${rng.int(1000)}` : rng.pick(known),
    ).join(rng.pick([' ', ', ', ' - '])),
  );
}

function summaryOf(items: readonly string[]): TextSummary {
  const summary = new TextSummary(vocabulary);
  for (const text of items) summary.add(text);
  return summary;
}

/** Exact token and OOV counts, by the same tokenisation. */
function exactCounts(items: readonly string[]): { tokens: number; oov: number } {
  const tokens = items.flatMap((text) => tokenize(text));
  return { tokens: tokens.length, oov: tokens.filter((token) => !vocabulary.has(token)).length };
}

describe('the text summary', () => {
  it('tokenises as the text models do: lowercase, split on anything not a letter, mark or digit', () => {
    assert.deepEqual(tokenize('The PATIENT’s follow-up: $120.50, naïve café!'), [
      'the',
      "patient's",
      'follow',
      'up',
      '120',
      '50',
      'naïve',
      'café',
    ]);
    assert.deepEqual(tokenize('  ...  '), []);
  });

  it('counts tokens and out-of-vocabulary tokens exactly', () => {
    const items = texts(1, 5_000, 10);
    const summary = summaryOf(items);
    const reference = exactCounts(items);
    assert.equal(summary.tokens, reference.tokens);
    assert.equal(summary.oovTokens, reference.oov);
    assert.equal(summary.oovRate, reference.oov / reference.tokens);
    assert.ok(summary.oovRate > 0.07 && summary.oovRate < 0.13, `${summary.oovRate}`);
    assert.equal(summary.count, 5_000);
  });

  it('keeps the length distribution in characters and in tokens', () => {
    const summary = summaryOf(['no', 'no fever', "the patient reports chest pain since monday, don't"]);
    assert.deepEqual(summary.tokensPerText.quantiles(3), [1, 2, 8]);
    assert.deepEqual(summary.characters.quantiles(3), [2, 8, 50]);
    assert.ok(Number.isNaN(new TextSummary(vocabulary).oovRate));
  });

  it('merged from two windows equals one window of both', () => {
    const a = texts(2, 3_000, 10);
    const b = texts(3, 2_000, 3);
    const merged = summaryOf(a);
    merged.merge(summaryOf(b));
    const single = summaryOf([...a, ...b]);
    assert.equal(merged.tokens, single.tokens);
    assert.equal(merged.oovTokens, single.oovTokens);
    assert.equal(merged.count, single.count);
    // Lengths are small integers: the sketches agree within their rank error (here exactly, at the median).
    assert.equal(merged.tokensPerText.quantile(0.5), single.tokensPerText.quantile(0.5));
    assert.equal(merged.characters.min, single.characters.min);
    assert.equal(merged.characters.max, single.characters.max);
  });

  it('round-trips through JSON text, given the same vocabulary', () => {
    const summary = summaryOf(texts(4, 2_000, 5));
    const copy = TextSummary.fromJSON(JSON.parse(JSON.stringify(summary)), vocabulary);
    assert.deepEqual(copy.toJSON(), summary.toJSON());
    const other = new Vocabulary(['something', 'else']);
    assert.throws(() => TextSummary.fromJSON(summary.toJSON(), other), /kept against vocabulary/);
    assert.throws(() => summary.merge(new TextSummary(other)), /different vocabularies/);
  });

  it('fingerprints a vocabulary by its normalised tokens, whatever their order or case', () => {
    assert.equal(new Vocabulary(['Fever', 'NO']).fingerprint, new Vocabulary(['no', 'fever']).fingerprint);
    assert.notEqual(new Vocabulary(['no']).fingerprint, new Vocabulary(['no', 'fever']).fingerprint);
  });
});

describe('text summary memory over a million texts', () => {
  it('holds two bounded length sketches and two counters, checked every 100 000 texts', () => {
    // A pool of short texts, cycled: the summary's size depends on lengths, not on which words.
    const pool = Array.from({ length: 1_000 }, (_, i) => `${known[i % 11]} ${i % 3 === 0 ? `zz${i}` : 'no'}`);
    const summary = new TextSummary(vocabulary);
    for (let i = 1; i <= 1_000_000; i++) {
      summary.add(pool[i % pool.length] as string);
      if (i % 100_000 !== 0) continue;
      const held = summary.characters.retained + summary.tokensPerText.retained;
      const bytes = JSON.stringify(summary).length;
      assert.ok(held <= 1_600 && bytes <= 40_000, `at ${i}: ${held} values, ${bytes} bytes of JSON`);
    }
    assert.equal(summary.count, 1_000_000);
    assert.equal(summary.oovTokens, exactCounts(pool).oov * 1_000);
  });
});
