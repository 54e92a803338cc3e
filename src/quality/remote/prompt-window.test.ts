import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRng } from '../../core/seeded-rng.ts';
import { textWords } from '../../core/text.ts';
import { MAX_SAMPLED_TOKENS } from '../text-window.ts';
import { PromptWindow } from './prompt-window.ts';

const ENGLISH = 'when will my lab results be ready please call me about the visit next week'.split(' ');
const SPANISH = 'cuando estaran listos mis resultados por favor llame sobre la cita semana'.split(' ');

/** `count` prompts of 6 to 15 words, each word foreign with probability `foreign`. */
function prompts(seed: number, count: number, foreign = 0): string[][] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: 6 + rng.int(10) }, () => {
      const words = rng.next() < foreign ? SPANISH : ENGLISH;
      return words[rng.int(words.length)] as string;
    }),
  );
}

function windowOf(texts: readonly string[][], reference = new PromptWindow().reference(10)): PromptWindow {
  const window = new PromptWindow();
  for (const words of texts) window.observe(words, reference);
  return window;
}

describe('PromptWindow', () => {
  test('a reference made of a window: words five of every other prompt hold, none with a digit; the rate on the prompts in between', () => {
    // The vocabulary half: "a" and "d" in six prompts, "b" in four, "0142" in six (a digit: never kept).
    const half = [...Array.from({ length: 4 }, () => ['a', 'b', 'd', '0142']), ['a', 'd', '0142'], ['d', 'a', '0142']];
    const window = windowOf(half.flatMap((words) => [words, ['a', 'b']]));
    assert.deepEqual(window.reference(100), {
      vocabulary: ['a', 'd'],
      vocabulary_items: 6,
      held_out: { items: 6, tokens: 12, oov_tokens: 6, tokens_squared: 24, oov_squared: 6, tokens_oov: 12 },
    });
    assert.deepEqual(window.reference(1)?.vocabulary, ['a'], 'bounded by vocabulary_size, most frequent first');
    assert.equal(windowOf([['a'], ['b'], ['c']]).reference(100), undefined, 'fewer than four prompts');
  });

  test('prompts of the same words are not flagged; a quarter of foreign words is, with its counts', () => {
    const reference = windowOf(prompts(1, 300)).reference(10_000);
    assert.ok(reference !== undefined);
    const [same] = windowOf(prompts(2, 300), reference).test(reference);
    assert.equal(same?.name, 'prompt.oov_rate');
    assert.equal(same?.kind, 'text_oov');
    assert.equal(same?.drifted, false);
    assert.equal(same?.live_count, 300);
    const [shifted] = windowOf(prompts(3, 300, 0.25), reference).test(reference);
    assert.equal(shifted?.drifted, true);
    assert.ok(shifted !== undefined && shifted.rate > 0.2 && shifted.rate < 0.3, String(shifted?.rate));
    assert.equal(shifted?.vocabulary_size, ENGLISH.length);
  });

  test('a reference put in force mid-window restarts the counts; another reference is not tested', () => {
    const first = windowOf(prompts(1, 40)).reference(10_000);
    const second = windowOf(prompts(4, 40, 0.5)).reference(10_000);
    const window = new PromptWindow();
    for (const words of prompts(5, 30, 0.5)) window.observe(words, first);
    for (const words of prompts(6, 20, 0.5)) window.observe(words, second);
    assert.deepEqual(window.test(first), [], 'counted against another vocabulary');
    assert.equal(window.test(second)[0]?.live_count, 20);
    assert.equal(window.prompts, 50, 'every prompt sampled all the same');
  });

  test('without a prompt vocabulary in the reference the feature is untested, once the window saw prompts', () => {
    assert.deepEqual(new PromptWindow().untested(undefined), []);
    const [untested] = windowOf(prompts(1, 5), undefined).untested(undefined);
    assert.equal(untested?.name, 'prompt.oov_rate');
    assert.match(untested?.reason ?? '', /no vocabulary of prompts/);
  });

  test('the sample keeps at most 1,000 prompts of at most 128 words', () => {
    const long = textWords('word '.repeat(500));
    const window = windowOf(Array.from({ length: 1_500 }, () => [...long]));
    const reference = window.reference(10);
    assert.equal(window.prompts, 1_500);
    assert.equal(reference?.vocabulary_items, 500);
    assert.equal(reference?.held_out.items, 500);
    assert.equal(reference?.held_out.tokens, 500 * MAX_SAMPLED_TOKENS);
  });
});
