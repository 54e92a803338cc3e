import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openAiRequest } from '../../pipeline/context.fixtures.ts';
import type { InferenceRequest } from '../../pipeline/request.ts';
import { canonicalJson, itemKey, responseKey, type KeyScope } from './cache-key.ts';

const SCOPE: KeyScope = { model: 'chat', version: '1', tenant: 'acme' };
const CHAT = {
  model: 'chat',
  messages: [{ role: 'user', content: 'hello' }],
  temperature: 0,
  max_tokens: 16,
};

const chat = openAiRequest;

const base = responseKey(SCOPE, chat(CHAT));

const CHANGES_THE_ANSWER: ReadonlyArray<[string, KeyScope, InferenceRequest]> = [
  ['the model', { ...SCOPE, model: 'other' }, chat(CHAT)],
  ['the version', { ...SCOPE, version: '2' }, chat(CHAT)],
  ['the tenant', { ...SCOPE, tenant: 'globex' }, chat(CHAT)],
  ['no tenant (a shared model)', { ...SCOPE, tenant: undefined }, chat(CHAT)],
  ['a message', SCOPE, chat({ ...CHAT, messages: [{ role: 'user', content: 'hello!' }] })],
  ['a role', SCOPE, chat({ ...CHAT, messages: [{ role: 'system', content: 'hello' }] })],
  ['temperature', SCOPE, chat({ ...CHAT, temperature: 0.5 })],
  ['max_tokens', SCOPE, chat({ ...CHAT, max_tokens: 17 })],
  ['top_p', SCOPE, chat({ ...CHAT, top_p: 0.9 })],
  ['seed', SCOPE, chat({ ...CHAT, seed: 7 })],
  ['stop', SCOPE, chat({ ...CHAT, stop: ['\n'] })],
  ['n', SCOPE, chat({ ...CHAT, n: 2 })],
  ['presence_penalty', SCOPE, chat({ ...CHAT, presence_penalty: 1 })],
  ['frequency_penalty', SCOPE, chat({ ...CHAT, frequency_penalty: 1 })],
  ['logit_bias', SCOPE, chat({ ...CHAT, logit_bias: { '50256': -100 } })],
  ['logprobs', SCOPE, chat({ ...CHAT, logprobs: true })],
  ['tools', SCOPE, chat({ ...CHAT, tools: [{ type: 'function', function: { name: 'f' } }] })],
  ['response_format', SCOPE, chat({ ...CHAT, response_format: { type: 'json_object' } })],
  ['a field sluice does not know', SCOPE, chat({ ...CHAT, reasoning_effort: 'low' })],
  ['the operation', SCOPE, chat(CHAT, { operation: 'complete' })],
  ['the API family', SCOPE, chat(CHAT, { family: 'open-inference' })],
];

for (const [what, scope, request] of CHANGES_THE_ANSWER) {
  test(`a chat request whose ${what} differs has another response key`, () => {
    assert.notEqual(responseKey(scope, request), base);
  });
}

const CHANGES_NOTHING: ReadonlyArray<[string, InferenceRequest]> = [
  ['names its end user (user)', chat({ ...CHAT, user: 'u-42' })],
  ['says stream: false', chat({ ...CHAT, stream: false })],
  ['sets stream_options', chat({ ...CHAT, stream_options: { include_usage: true } })],
  ['asks the upstream to store it with metadata', chat({ ...CHAT, store: true, metadata: { a: 'b' } })],
  [
    'writes its fields in another order',
    chat({ max_tokens: 16, temperature: 0, messages: CHAT.messages, model: 'chat' }),
  ],
  ['pins the version it resolved to anyway', chat(CHAT, { version: '1' })],
  ['has other limits', chat(CHAT, { limits: { priority: 1, timeoutMs: 50 } })],
];

for (const [what, request] of CHANGES_NOTHING) {
  test(`a chat request that ${what} has the same response key`, () => {
    assert.equal(responseKey(SCOPE, request), base);
  });
}

test('an Open Inference request id does not change its response key, its inputs do', () => {
  const v2 = (document: Record<string, unknown>) => chat(document, { operation: 'predict', family: 'open-inference' });
  const inputs = [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }];
  const key = responseKey(SCOPE, v2({ id: 'a', inputs }));
  assert.equal(responseKey(SCOPE, v2({ id: 'b', inputs })), key);
  assert.notEqual(responseKey(SCOPE, v2({ id: 'a', inputs: [{ ...inputs[0], data: [2] }] })), key);
});

test('item keys differ by every field value, model, version and tenant, and not by field order', () => {
  const item = { text: 'late delivery', channel: 'email' };
  const key = itemKey(SCOPE, item);
  assert.equal(itemKey(SCOPE, { channel: 'email', text: 'late delivery' }), key);
  for (const other of [
    itemKey(SCOPE, { ...item, text: 'late delivery.' }),
    itemKey(SCOPE, { ...item, channel: 'chat' }),
    itemKey(SCOPE, { ...item, extra: 1 }),
    itemKey({ ...SCOPE, version: '2' }, item),
    itemKey({ ...SCOPE, model: 'x' }, item),
    itemKey({ ...SCOPE, tenant: 'globex' }, item),
  ])
    assert.notEqual(other, key);
});

test('canonical JSON sorts keys at every depth and tells typed arrays from plain ones and numbers from strings', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, 2], c: null } }), '{"a":{"c":null,"d":[1,2]},"b":1}');
  assert.notEqual(canonicalJson(new Float32Array([1, 2])), canonicalJson([1, 2]));
  assert.notEqual(canonicalJson(new Float32Array([1, 2])), canonicalJson(new Int32Array([1, 2])));
  assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: '1' }));
  assert.equal(canonicalJson({ a: undefined, b: 2 }), '{"b":2}');
  assert.equal(canonicalJson(new BigInt64Array([3n])), '{"$typed":"BigInt64Array","data":["3n"]}');
});
