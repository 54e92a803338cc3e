import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countAnswerTokens, countChatPromptTokens, countCompletionPromptTokens } from './prompt-tokens.ts';
import { countTokens } from './token-counter.ts';

test('a chat prompt: 3 per message, role and content and name (+1), and 3 to prime the reply', async () => {
  const messages = [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', name: 'ann', content: 'hello world' },
  ];
  // system: 3 + "system" 1 + 6; user: 3 + "user" 1 + "hello world" 2 + name 1 + "ann" 1; reply 3.
  assert.equal(countTokens('ann'), 1);
  assert.equal(await countChatPromptTokens(messages), 10 + 8 + 3);
});

test('array-of-parts content counts its text parts and nothing else', async () => {
  const parts = [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Hello there,' },
        { type: 'image_url', image_url: { url: 'https://example.com/x.png' } },
        { type: 'text', text: ' friend!' },
      ],
    },
  ];
  const asString = [{ role: 'user', content: 'Hello there, friend!' }];
  // The two parts are counted apart: "Hello there," (3) and " friend!" (2), as the whole.
  assert.equal(await countChatPromptTokens(parts), 3 + 1 + 3 + 2 + 3);
  assert.equal(await countChatPromptTokens(parts), await countChatPromptTokens(asString));
});

test('what is not a list of messages counts as no prompt, and malformed messages are skipped', async () => {
  assert.equal(await countChatPromptTokens(undefined), 0);
  assert.equal(await countChatPromptTokens('hello'), 0);
  assert.equal(await countChatPromptTokens([null, 7, { role: 'user', content: null }]), 3 + (3 + 1));
});

test('a completions prompt or embeddings input: strings are counted, token arrays are their length', async () => {
  assert.equal(await countCompletionPromptTokens('once upon a time'), 4);
  assert.equal(await countCompletionPromptTokens(['I need a refill', 'Where are my lab results?']), 4 + 6);
  assert.equal(await countCompletionPromptTokens([15339, 1917, 0]), 3);
  assert.equal(await countCompletionPromptTokens([[1, 2], [3]]), 3);
  assert.equal(await countCompletionPromptTokens(undefined), 0);
});

test("an answer's tokens are its choices' message content or text", async () => {
  const chat = {
    choices: [
      { message: { role: 'assistant', content: 'Hello there, friend!' } },
      { message: { role: 'assistant', content: null } },
    ],
  };
  assert.equal(await countAnswerTokens(chat), 5);
  assert.equal(await countAnswerTokens({ choices: [{ text: 'once upon a time' }, { text: ' there was' }] }), 4 + 2);
  assert.equal(await countAnswerTokens({ data: [] }), 0);
});
