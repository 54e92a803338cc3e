import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng, type Rng } from '../../../core/seeded-rng.ts';
import { encoding, encodingLoaded } from './encoding.ts';
import { countTokens, countTokensYielding, TokenCounter } from './token-counter.ts';

/** What js-tiktoken itself says, special-looking text counted as text. */
const library = (text: string) => encoding().encode(text, [], []).length;

test('known strings have their cl100k_base counts; the encoding is built by the first count, not on import', () => {
  assert.equal(encodingLoaded(), false);
  // Each pair checked against js-tiktoken's encode; the first two are also the
  // cl100k_base examples of OpenAI's cookbook.
  const known: Array<[string, number]> = [
    ['tiktoken is great!', 6],
    ['antidisestablishmentarianism', 6],
    ['hello world', 2],
    ['Hello, world!', 4],
    ['When will my lab results be ready?', 8],
    ['Über naïve café 😀', 6],
    ['東京は日本の首都です', 10],
    ['<|endoftext|>', 7],
    ['   ', 1],
    ['', 0],
  ];
  for (const [text, count] of known) {
    assert.equal(countTokens(text), count, JSON.stringify(text));
    assert.equal(library(text), count, `js-tiktoken on ${JSON.stringify(text)}`);
  }
});

/** Text like a chat answer: words, numbers, punctuation, newlines, accents, CJK and emoji. */
function randomText(rng: Rng, words: number): string {
  const vocabulary = [
    'the',
    'quick',
    'Brown',
    'fox',
    "don't",
    'naïve',
    '東京',
    '😀',
    '42',
    '3.14159',
    'https://example.com/a?b=c',
    '\n',
    '\n\n',
    '  ',
    '\t',
    ',',
    '.',
    '!?',
    '"',
    '(',
    ')',
    '-',
    "'s",
    '<|endoftext|>',
    'refill',
    'ünïcödé',
  ];
  let text = '';
  for (let index = 0; index < words; index += 1) text += (rng.chance(0.7) ? ' ' : '') + rng.pick(vocabulary);
  return text;
}

/** `text` in random pieces, as a stream's deltas would bring it (pieces may split emoji). */
function randomSplit(rng: Rng, text: string): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length;) {
    const length = 1 + rng.int(12);
    pieces.push(text.slice(start, start + length));
    start += length;
  }
  return pieces;
}

test('a text counts the same in one piece, in pieces, and as js-tiktoken counts it whole', () => {
  const rng = createRng(4);
  for (let round = 0; round < 200; round += 1) {
    const text = randomText(rng, 1 + rng.int(60));
    const counter = new TokenCounter();
    for (const piece of randomSplit(rng, text)) counter.push(piece);
    assert.equal(countTokens(text), library(text), JSON.stringify(text));
    assert.equal(counter.total(), library(text), `in pieces: ${JSON.stringify(text)}`);
  }
});

test('total() can be read mid-stream and counting goes on', () => {
  const counter = new TokenCounter();
  counter.push('Hello there');
  assert.equal(counter.total(), 2);
  counter.push(', friend!');
  assert.equal(counter.total(), library('Hello there, friend!'));
});

test('a run longer than 64 characters without a space is counted in slices: close, and the same however it arrives', () => {
  const rng = createRng(5);
  const texts = [
    'a'.repeat(2000),
    `see ${'x9'.repeat(500)} and ${'東京'.repeat(300)} or ${'😀'.repeat(100)}`,
    ' '.repeat(1000) + 'end',
  ];
  for (const text of texts) {
    const counter = new TokenCounter();
    for (const piece of randomSplit(rng, text)) counter.push(piece);
    assert.equal(counter.total(), countTokens(text));
    const exact = library(text);
    assert.ok(Math.abs(countTokens(text) - exact) <= Math.ceil(text.length / 64), `${countTokens(text)} vs ${exact}`);
  }
  // Merged whole, this one word would take minutes; it is counted as 1,562 slices of 64 and the rest.
  assert.equal(
    countTokens('b'.repeat(100_000)),
    Math.floor(100_000 / 64) * library('b'.repeat(64)) + library('b'.repeat(100_000 % 64)),
  );
});

test('the yielding count equals the sum of the texts counted one by one', async () => {
  const rng = createRng(6);
  const texts = [randomText(rng, 3000), '', 'I need a refill', randomText(rng, 10)];
  assert.equal(
    await countTokensYielding(texts),
    texts.reduce((sum, text) => sum + countTokens(text), 0),
  );
  assert.equal(await countTokensYielding([]), 0);
});
