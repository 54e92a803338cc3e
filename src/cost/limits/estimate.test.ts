import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { completionTokens } from './estimate.ts';

const settings = { default_completion_tokens: 1024, completion_tokens: { chat: 256 } };
const chat = (document: Record<string, unknown>) => ({ operation: 'chat' as const, document });

describe('completion estimates', () => {
  test('a request reserves its max_tokens, or max_completion_tokens first, times n', () => {
    assert.equal(completionTokens(chat({ max_tokens: 50 }), settings, 'chat'), 50);
    assert.equal(completionTokens(chat({ max_tokens: 50, max_completion_tokens: 20 }), settings, 'chat'), 20);
    assert.equal(completionTokens(chat({ max_tokens: 50, n: 3 }), settings, 'chat'), 150);
  });

  test('without max_tokens a request reserves its model default, else the global default', () => {
    assert.equal(completionTokens(chat({}), settings, 'chat'), 256);
    assert.equal(completionTokens(chat({}), settings, 'other'), 1024);
  });

  test('an embedding reserves no completion', () => {
    assert.equal(completionTokens({ operation: 'embed', document: {} }, settings, 'chat'), 0);
  });
});
