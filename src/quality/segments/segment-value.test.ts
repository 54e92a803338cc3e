import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketLabels, bucketOf, segmentReader, type SegmentSource } from './segment-value.ts';
import { checkSegmentModels, SegmentsSchema } from './segment-spec.ts';

const remote = (document: Record<string, unknown>, tenant = 'default'): SegmentSource => ({
  items: undefined,
  document,
  tenant,
});
const local = (items: Array<Record<string, unknown>>): SegmentSource => ({ items, document: {}, tenant: 'default' });

test('bucket bounds are inclusive and the last bucket is open above', () => {
  assert.deepEqual(bucketLabels([100, 1000]), ['0-100', '101-1000', '1001+']);
  const table: Array<[number, number]> = [
    [0, 0],
    [100, 0],
    [101, 1],
    [1000, 1],
    [1001, 2],
    [50_000, 2],
  ];
  for (const [length, bucket] of table) assert.equal(bucketOf([100, 1000], length), bucket, `length ${length}`);
});

test("a chat request's text length is its last user message's, in its bucket", () => {
  const read = segmentReader({ name: 'length', by: 'text_length', field: 'messages', buckets: [10, 100] });
  const messages = [
    { role: 'system', content: 'You are a very helpful assistant with a long system prompt.' },
    { role: 'user', content: 'short' },
    { role: 'assistant', content: 'ok' },
    { role: 'user', content: [{ type: 'text', text: 'a'.repeat(30) }] },
  ];
  assert.equal(read(remote({ messages })), '11-100');
  assert.equal(read(remote({ messages: messages.slice(0, 2) })), '0-10');
  assert.equal(read(remote({ prompt: 'no messages here' })), '(none)');
  assert.equal(read(remote({ messages: [{ role: 'user', content: 'x'.repeat(500) }] })), '101+');
});

test("a request of several texts is as long as its longest: a local model's items or a prompt list", () => {
  const read = segmentReader({ name: 'length', by: 'text_length', field: 'text', buckets: [10] });
  assert.equal(read(local([{ text: 'short' }, { text: 'a much longer message' }])), '11+');
  assert.equal(read(local([{ text: 'short' }, { other: 1 }])), '0-10');
  const prompts = segmentReader({ name: 'length', by: 'text_length', field: 'prompt', buckets: [10] });
  assert.equal(prompts(remote({ prompt: ['tiny', 'longer than ten'] })), '11+');
});

test("a field segment reads the first item's value, nested fields by dots, and (none) when it is missing", () => {
  const tier = segmentReader({ name: 'tier', by: 'field', field: 'metadata.tier' });
  assert.equal(tier(remote({ metadata: { tier: 'gold' } })), 'gold');
  assert.equal(tier(remote({ metadata: {} })), '(none)');
  const channel = segmentReader({ name: 'channel', by: 'field', field: 'channel' });
  assert.equal(channel(local([{ channel: 'sms' }, { channel: 'email' }])), 'sms');
  assert.equal(channel(local([{ channel: 3 }])), '3');
  assert.equal(channel(local([])), '(none)');
});

test('a language segment guesses from the text, and a tenant segment is the caller', () => {
  const language = segmentReader({ name: 'language', by: 'language', field: 'messages' });
  const messages = [{ role: 'user', content: 'Necesito saber cuándo están los resultados de la prueba.' }];
  assert.equal(language(remote({ messages })), 'es');
  assert.equal(language(remote({})), '(none)');
  assert.equal(segmentReader({ name: 'tenant', by: 'tenant' })(remote({}, 'acme')), 'acme');
});

test('the config refuses bucket lists that are empty, unordered or not whole numbers, naming the key', () => {
  const bad = [[], [100, 100], [1000, 100], [0, 10], [1.5]];
  for (const buckets of bad) {
    const result = SegmentsSchema.safeParse({ chat: [{ name: 'length', by: 'text_length', field: 'text', buckets }] });
    assert.equal(result.success, false, JSON.stringify(buckets));
    assert.deepEqual(result.error?.issues[0]?.path.slice(0, 3), ['chat', 0, 'buckets']);
  }
  const twice = SegmentsSchema.safeParse({
    chat: [
      { name: 't', by: 'tenant' },
      { name: 't', by: 'tenant' },
    ],
  });
  assert.deepEqual(twice.error?.issues[0]?.path, ['chat', 1, 'name']);
  assert.equal(SegmentsSchema.safeParse({ chat: [{ name: 'l', by: 'language' }] }).success, false);
});

test('a segment naming a model that is not served fails with its key', () => {
  const segments = {
    'sim-chat': [{ name: 't', by: 'tenant' as const }],
    ghost: [{ name: 't', by: 'tenant' as const }],
  };
  assert.throws(
    () => checkSegmentModels(segments, new Set(['sim-chat'])),
    /^Error: quality\.segments\.ghost: no model "ghost" is served \(served: sim-chat\)$/,
  );
  assert.doesNotThrow(() => checkSegmentModels(segments, new Set(['sim-chat', 'ghost'])));
});
