import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RuleSpec } from './route-config.ts';
import { documentChars, firstMatch, longestItemChars, matches, type RequestFeatures } from './rule-match.ts';

const request = (overrides: Partial<RequestFeatures> = {}): RequestFeatures => ({
  inputChars: () => 100,
  tenant: 'acme',
  timeoutMs: undefined,
  headers: { 'x-quality': 'high' },
  ...overrides,
});

describe('each condition of a rule', () => {
  const cases: Array<{ name: string; when: RuleSpec['when']; features: RequestFeatures; expected: boolean }> = [
    { name: 'max_input_chars holds at its bound', when: { max_input_chars: 100 }, features: request(), expected: true },
    { name: 'max_input_chars fails one past it', when: { max_input_chars: 99 }, features: request(), expected: false },
    { name: 'min_input_chars holds at its bound', when: { min_input_chars: 100 }, features: request(), expected: true },
    {
      name: 'min_input_chars fails one under it',
      when: { min_input_chars: 101 },
      features: request(),
      expected: false,
    },
    {
      name: 'tenant holds for a listed tenant',
      when: { tenant: ['gold', 'acme'] },
      features: request(),
      expected: true,
    },
    { name: 'tenant fails for another', when: { tenant: ['gold'] }, features: request(), expected: false },
    {
      name: 'tenant fails when the tenant is not known',
      when: { tenant: ['gold'] },
      features: request({ tenant: undefined }),
      expected: false,
    },
    {
      name: 'max_timeout_ms holds for a deadline as short',
      when: { max_timeout_ms: 50 },
      features: request({ timeoutMs: 50 }),
      expected: true,
    },
    {
      name: 'max_timeout_ms fails for a longer deadline',
      when: { max_timeout_ms: 50 },
      features: request({ timeoutMs: 51 }),
      expected: false,
    },
    {
      name: 'max_timeout_ms fails when no deadline is asked',
      when: { max_timeout_ms: 50 },
      features: request(),
      expected: false,
    },
    {
      name: 'header holds for one of its values',
      when: { header: { 'x-quality': ['low', 'high'] } },
      features: request(),
      expected: true,
    },
    {
      name: 'header fails for another value',
      when: { header: { 'x-quality': ['low'] } },
      features: request(),
      expected: false,
    },
    {
      name: 'header fails when absent',
      when: { header: { 'x-tier': ['gold'] } },
      features: request(),
      expected: false,
    },
    {
      name: 'header holds when any value of a repeated header is listed',
      when: { header: { 'x-quality': ['low'] } },
      features: request({ headers: { 'x-quality': ['high', 'low'] } }),
      expected: true,
    },
    {
      name: 'every condition of one rule must hold',
      when: { tenant: ['acme'], max_input_chars: 10 },
      features: request(),
      expected: false,
    },
  ];
  for (const { name, when, features, expected } of cases)
    test(name, () => assert.equal(matches(when, features), expected));
});

describe('firstMatch', () => {
  const rules: RuleSpec[] = [
    { when: { max_input_chars: 20 }, model: 'small' },
    { when: { tenant: ['gold'] }, model: 'large' },
    { when: { max_input_chars: 200 }, model: 'medium' },
  ];

  test('the first rule that matches wins, even when a later one matches too', () => {
    assert.equal(firstMatch(rules, request({ inputChars: () => 10, tenant: 'gold' })), 0);
    assert.equal(firstMatch(rules, request({ inputChars: () => 150, tenant: 'gold' })), 1);
    assert.equal(firstMatch(rules, request({ inputChars: () => 150 })), 2);
  });

  test('no rule matching means the default (undefined)', () => {
    assert.equal(firstMatch(rules, request({ inputChars: () => 500 })), undefined);
  });

  test('the input is measured once, and only when a rule reads its length', () => {
    let measured = 0;
    const inputChars = () => (measured++, 150);
    firstMatch(rules, request({ inputChars }));
    assert.equal(measured, 1);
    measured = 0;
    firstMatch([{ when: { tenant: ['acme'] }, model: 'x' }], request({ inputChars }));
    assert.equal(measured, 0);
  });
});

describe('input length', () => {
  test("an item's string fields count together, and a batch is as long as its longest item", () => {
    assert.equal(longestItemChars([{ text: 'abc' }, { text: 'abcdef', note: 'xy', age: 40 }]), 8);
    assert.equal(longestItemChars([]), 0);
  });

  test('characters are counted, not UTF-16 units: an emoji is one', () => {
    assert.equal(longestItemChars([{ text: 'héllo 👋' }]), 7);
  });

  test("a document's messages, content parts, prompt and input count; its other fields do not", () => {
    const chat = {
      model: 'a-long-model-name',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'hello' }] },
      ],
    };
    assert.equal(documentChars(chat), 13);
    assert.equal(documentChars({ prompt: ['ab', 'cd'] }), 4);
    assert.equal(documentChars({ input: 'abc' }), 3);
  });
});
