import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generationRequestFailures } from './check.ts';

const BASE = { model: 'm', prompt: 'Once upon a time' };

function message(body: Readonly<Record<string, unknown>>): string {
  return generationRequestFailures('complete', body)
    .map((failure) => `${failure.field}: ${failure.rule}`)
    .join('; ');
}

/** Each field's values that pass and values that fail with the whole message they get. */
const CASES: ReadonlyArray<{
  readonly field: string;
  readonly good: readonly unknown[];
  readonly bad: ReadonlyArray<readonly [unknown, string]>;
  readonly with?: Readonly<Record<string, unknown>>;
}> = [
  {
    field: 'prompt',
    good: ['x', '', ['a', 'b'], [1, 2, 50256], [[1], [2, 3]], null],
    bad: [
      [5, 'prompt: must be a string or a non-empty array of strings, token ids or arrays of token ids, got 5'],
      [
        [],
        'prompt: must be a string or a non-empty array of strings, token ids or arrays of token ids, got an empty array',
      ],
      [['a', 1], 'prompt: must hold one kind of element (strings, token ids or arrays of token ids)'],
      [[[1, -2]], 'prompt[0][1]: must be a token id (a whole number), got -2'],
      [
        [[]],
        'prompt[0]: must be a string, a token id (a whole number) or a non-empty array of token ids, got an empty array',
      ],
      [[1.5], 'prompt[0]: must be a string, a token id (a whole number) or a non-empty array of token ids, got 1.5'],
    ],
  },
  {
    field: 'max_tokens',
    // 0 with echo scores a prompt without generating: the API reference's minimum is 0 here.
    good: [0, 16, null],
    bad: [
      [-1, 'max_tokens: must be an integer of at least 0, got -1'],
      [16.5, 'max_tokens: must be an integer of at least 0, got 16.5'],
    ],
  },
  {
    field: 'logprobs',
    good: [0, 5, null],
    bad: [
      [6, 'logprobs: must be an integer from 0 to 5, got 6'],
      [true, 'logprobs: must be an integer from 0 to 5, got true'],
    ],
  },
  {
    field: 'best_of',
    good: [0, 1, 20, null],
    bad: [[21, 'best_of: must be an integer from 0 to 20, got 21']],
  },
  { field: 'best_of', with: { n: 3 }, good: [3, 5], bad: [[2, 'best_of: must be at least n (3), got 2']] },
  {
    field: 'best_of',
    with: { stream: true },
    good: [1],
    bad: [[3, 'best_of: must be at most 1 with "stream": true, got 3']],
  },
  { field: 'echo', good: [true, false, null], bad: [['yes', 'echo: must be true or false, got "yes"']] },
  { field: 'suffix', good: ['end', null], bad: [[1, 'suffix: must be a string, got 1']] },
  { field: 'temperature', good: [0, 2], bad: [['hot', 'temperature: must be a number from 0 to 2, got "hot"']] },
  { field: 'top_p', good: [0.5], bad: [[2, 'top_p: must be a number from 0 to 1, got 2']] },
  { field: 'n', good: [1, 128], bad: [[0, 'n: must be an integer from 1 to 128, got 0']] },
  { field: 'presence_penalty', good: [-2, 2], bad: [[3, 'presence_penalty: must be a number from -2 to 2, got 3']] },
  { field: 'frequency_penalty', good: [0], bad: [[-3, 'frequency_penalty: must be a number from -2 to 2, got -3']] },
  {
    field: 'logit_bias',
    good: [{ '50256': -100 }],
    bad: [[{ '50256': 'ban' }, 'logit_bias["50256"]: must be a number from -100 to 100, got "ban"']],
  },
  {
    field: 'stop',
    good: ['\n', ['.', '!']],
    bad: [
      [['1', '2', '3', '4', '5'], 'stop: must be a string or an array of up to 4 strings, got an array of 5 items'],
    ],
  },
  { field: 'seed', good: [7], bad: [[7.5, 'seed: must be an integer, got 7.5']] },
  { field: 'stream', good: [true, false], bad: [[1, 'stream: must be true or false, got 1']] },
  {
    field: 'stream_options',
    good: [null],
    bad: [[{ include_usage: true }, 'stream_options: is only allowed with "stream": true']],
  },
  { field: 'user', good: ['u'], bad: [[{}, 'user: must be a string, got an object']] },
];

for (const { field, good, bad, with: others = {} } of CASES) {
  const beside = Object.keys(others).length > 0 ? ` beside ${JSON.stringify(others)}` : '';
  test(`completion "${field}"${beside}: good values pass, bad ones are named`, () => {
    for (const value of good) assert.equal(message({ ...BASE, ...others, [field]: value }), '', JSON.stringify(value));
    for (const [value, expected] of bad) assert.equal(message({ ...BASE, ...others, [field]: value }), expected);
  });
}

test('a completion request needs a model and a prompt, unless it gives prompt embeddings (vLLM)', () => {
  assert.equal(message({}), 'model: is required; prompt: is required');
  assert.equal(message({ model: 'm', prompt_embeds: 'AAAA' }), '');
});

test('chat-only fields are not checked on completions, which have their own of the same name', () => {
  // `messages` means nothing to /v1/completions: it passes as an unknown field would.
  assert.equal(message({ ...BASE, messages: 'x', logprobs: 2, max_tokens: 0 }), '');
});
