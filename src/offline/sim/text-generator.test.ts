import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateTokens } from './text-generator.ts';
import { countTokens, detokenize, tokenize } from './tokenizer.ts';

test('the tokenizer splits words and punctuation', () => {
  assert.deepEqual(tokenize("Hello, world! It's 42."), ['Hello', ',', 'world', '!', 'It', "'", 's', '42', '.']);
  assert.equal(countTokens('   '), 0);
});

test('generation is a function of seed, model and prompt, and re-tokenizes to its count', () => {
  const input = { seed: 1, model: 'sim-small', prompt: 'hello' };
  const first = generateTokens(input);
  assert.deepEqual(generateTokens(input), first);
  assert.notDeepEqual(generateTokens({ ...input, seed: 2 }).tokens, first.tokens);
  assert.notDeepEqual(generateTokens({ ...input, prompt: 'hello!' }).tokens, first.tokens);
  for (let seed = 0; seed < 50; seed++) {
    const { tokens, finishReason } = generateTokens({ ...input, seed });
    assert.ok(tokens.length >= 10 && tokens.length <= 200);
    assert.equal(finishReason, 'stop');
    assert.deepEqual(tokenize(detokenize(tokens)), tokens);
  }
  assert.deepEqual(generateTokens({ ...input, maxTokens: 3 }).tokens.length, 3);
  assert.equal(generateTokens({ ...input, maxTokens: 3 }).finishReason, 'length');
});
