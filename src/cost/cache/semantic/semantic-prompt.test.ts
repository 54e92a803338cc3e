import assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentRequest } from '../cache-stage.fixtures.ts';
import { semanticPrompt } from './semantic-prompt.ts';

const scope = { model: 'chat', version: '1', tenant: 'acme' };
const chat = (document: Record<string, unknown>) => documentRequest({ model: 'chat', ...document }, 'chat');
const system = { role: 'system', content: 'You are the help desk of Acme.' };
const user = (content: unknown) => ({ role: 'user', content });

test("the user turns' text is embedded; the system prompt and every parameter are keyed exactly", () => {
  const base = semanticPrompt(chat({ messages: [system, user('Reset my password?')], max_tokens: 50 }), scope);
  assert.equal(base?.text, 'Reset my password?');
  const reworded = semanticPrompt(chat({ messages: [system, user('How do I reset it?')], max_tokens: 50 }), scope);
  assert.equal(reworded?.paramsKey, base?.paramsKey);
  const differing: ReadonlyArray<Record<string, unknown>> = [
    { messages: [system, user('Reset my password?')], max_tokens: 51 },
    { messages: [{ ...system, content: 'You are terse.' }, user('Reset my password?')], max_tokens: 50 },
    { messages: [user('Reset my password?')], max_tokens: 50 },
    { messages: [system, user('Reset my password?')], max_tokens: 50, response_format: { type: 'json_object' } },
    { messages: [system, user('Reset my password?')], max_tokens: 50, tools: [{ type: 'function' }] },
  ];
  for (const document of differing) assert.notEqual(semanticPrompt(chat(document), scope)?.paramsKey, base?.paramsKey);
  const otherTenant = semanticPrompt(chat({ messages: [system, user('Reset my password?')], max_tokens: 50 }), {
    ...scope,
    tenant: 'globex',
  });
  assert.notEqual(otherTenant?.paramsKey, base?.paramsKey);
  assert.equal(semanticPrompt(chat({ messages: [user('a'), user('b')] }), scope)?.text, 'a\n\nb');
});

test('a chat with assistant or tool turns, non-text content, or no words is not looked up', () => {
  const refused = [
    { messages: [user('hi'), { role: 'assistant', content: 'hello' }, user('and?')] },
    { messages: [{ role: 'tool', content: '42', tool_call_id: 'x' }] },
    { messages: [user([{ type: 'image_url', image_url: { url: 'data:' } }])] },
    { messages: [user('   ')] },
    { messages: 'not a list' },
  ];
  for (const document of refused) assert.equal(semanticPrompt(chat(document), scope), undefined);
  assert.equal(semanticPrompt(documentRequest({ input: 'x' }, 'embed'), scope), undefined);
});
