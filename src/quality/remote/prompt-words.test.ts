import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { textWords } from '../../core/text.ts';
import { promptWords } from './prompt-words.ts';

describe('promptWords', () => {
  test("a chat's user turns, strings and text parts, in order; system, assistant and image parts left out", () => {
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
          ],
        },
      ],
    };
    assert.deepEqual(promptWords(document), ['when', 'is', 'my', 'follow', 'up', 'and', 'the', 'lab', 'results']);
  });

  test("a completion's prompt, a string or a list of strings; token ids are not words", () => {
    assert.deepEqual(promptWords({ prompt: 'Refill, please.' }), ['refill', 'please']);
    assert.deepEqual(promptWords({ prompt: ['one', [1, 2, 3], 'two'] }), ['one', 'two']);
  });

  test("one text answers the tokenizer's own array: split once for the model and the window", () => {
    const text = `a single user turn ${Math.random()}`;
    assert.equal(promptWords({ messages: [{ role: 'user', content: text }] }), textWords(text));
  });

  test('no user text (an embedding, a chat of tool turns, a malformed document) gives none', () => {
    assert.equal(promptWords({ input: 'embed me' }), undefined);
    assert.equal(promptWords({ messages: [{ role: 'tool', content: 'result' }, null, 'user'] }), undefined);
    assert.equal(promptWords({ messages: [{ role: 'user', content: 42 }] }), undefined);
  });
});
