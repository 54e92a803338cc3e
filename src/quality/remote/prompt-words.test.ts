import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { textWords } from '../../core/text.ts';
import { MAX_PROMPT_CHARS, promptWords } from './prompt-words.ts';

describe('promptWords', () => {
  test("a chat's newest user turn, a string or its text parts; earlier turns, system and images left out", () => {
    const document = {
      model: 'chat',
      messages: [
        { role: 'system', content: 'You are a clinic assistant.' },
        { role: 'user', content: 'When is my follow-up?' },
        { role: 'assistant', content: 'Tuesday.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'And the lab results?' },
            { type: 'image_url', image_url: { url: 'https://example.com/x.png' } },
            { type: 'text', text: 'Thanks!' },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [] },
        { role: 'tool', content: '{"ready": true}' },
      ],
    };
    assert.deepEqual(promptWords(document), ['and', 'the', 'lab', 'results', 'thanks']);
  });

  test("a completion's prompt, a string or a list of strings; token ids are not words", () => {
    assert.deepEqual(promptWords({ prompt: 'Refill, please.' }), ['refill', 'please']);
    assert.deepEqual(promptWords({ prompt: ['one', [1, 2, 3], 'two'] }), ['one', 'two']);
  });

  test("a short turn answers the tokenizer's own array: a text split once however often it is read", () => {
    const text = `a single user turn ${Math.random()}`;
    assert.equal(promptWords({ messages: [{ role: 'user', content: text }] }), textWords(text));
  });

  test('at most the first 128 words, read from the opening 1,024 characters cut at a space', () => {
    const many = Array.from({ length: 300 }, (_, index) => `w${index}`).join(' ');
    const words = promptWords({ prompt: many });
    assert.equal(words?.length, 128);
    assert.equal(words?.[127], 'w127');
    const word = 'abcdefghijklmnopqrstuvwxy';
    const long = `${`${word} `.repeat(39)}${'z'.repeat(40)}`;
    assert.ok(long.length > MAX_PROMPT_CHARS && 39 * 26 < MAX_PROMPT_CHARS, 'the cut falls inside the last word');
    assert.deepEqual(promptWords({ prompt: long }), Array(39).fill(word), 'not a piece of it');
    const unbroken = 'x'.repeat(5_000);
    assert.deepEqual(promptWords({ prompt: unbroken }), ['x'.repeat(MAX_PROMPT_CHARS)]);
  });

  test('no user text (an embedding, a chat of tool turns, a malformed document) gives none', () => {
    assert.equal(promptWords({ input: 'embed me' }), undefined);
    assert.equal(promptWords({ messages: [{ role: 'tool', content: 'result' }, null, 'user'] }), undefined);
    assert.equal(promptWords({ messages: [{ role: 'user', content: 42 }] }), undefined);
    assert.equal(promptWords({ prompt: [[1, 2]] }), undefined);
  });
});
