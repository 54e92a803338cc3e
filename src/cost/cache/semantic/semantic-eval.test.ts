import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_PAIRS } from '../../../cli/semantic-eval.ts';
import { parsePairs, scorePairs, sweepThresholds, thresholdTable } from './semantic-eval.ts';

test('the sweep counts paraphrase pairs at or above each threshold as hits and the others as false hits', async () => {
  const pairs = [
    { a: 'p1', b: 'x', paraphrase: true },
    { a: 'p2', b: 'x', paraphrase: true },
    { a: 'n1', b: 'x', paraphrase: false },
    { a: 'n2', b: 'x', paraphrase: false },
  ];
  const similarity: Record<string, number> = { p1: 0.99, p2: 0.9, n1: 0.95, n2: 0.5 };
  const scored = await scorePairs(pairs, async (a) => similarity[a] ?? 0);
  assert.deepEqual(sweepThresholds(scored, [0.9, 0.95, 0.99, 1]), [
    { threshold: 0.9, hitRate: 1, falseHitRate: 0.5 },
    { threshold: 0.95, hitRate: 0.5, falseHitRate: 0.5 },
    { threshold: 0.99, hitRate: 0.5, falseHitRate: 0 },
    { threshold: 1, hitRate: 0, falseHitRate: 0 },
  ]);
  const table = thresholdTable(sweepThresholds(scored, [0.95]), scored, 'embed');
  assert.match(table, /\| 0\.95 \| 50\.0% \| 50\.0% \|/);
  assert.match(table, /2 paraphrase pairs.*2 non-paraphrase pairs/);
});

test("the project's labelled set has 120 distinct pairs, half of them paraphrases", () => {
  const pairs = parsePairs(readFileSync(DEFAULT_PAIRS, 'utf8'), DEFAULT_PAIRS);
  assert.equal(pairs.length, 120);
  assert.equal(pairs.filter((pair) => pair.paraphrase).length, 60);
  assert.equal(new Set(pairs.map((pair) => `${pair.a}\u0000${pair.b}`)).size, 120);
});

test('a line without its fields is refused, naming the file and line', () => {
  assert.throws(() => parsePairs('{"a":"x","b":"y","paraphrase":true}\n{"a":"x"}\n', 'p.jsonl'), /p\.jsonl:2: needs/);
});
