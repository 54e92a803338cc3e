import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generationRequestFailures } from './check.ts';

const BASE = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const LONG = 'x'.repeat(65);

/** Each field's values that pass, and values that fail with the whole message they get ("" when none). */
interface FieldCase {
  readonly field: string;
  readonly good: readonly unknown[];
  readonly bad: ReadonlyArray<readonly [unknown, string]>;
  /** Other fields the values need (`logprobs: true` beside `top_logprobs`). */
  readonly with?: Readonly<Record<string, unknown>>;
}

function message(body: Readonly<Record<string, unknown>>): string {
  return generationRequestFailures('chat', body)
    .map((failure) => `${failure.field}: ${failure.rule}`)
    .join('; ');
}

const FUNCTION_TOOL = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } };

const CASES: readonly FieldCase[] = [
  { field: 'model', good: ['gpt-4o', 'org/model:v1'], bad: [['', 'model: must be a non-empty string, got ""']] },
  {
    field: 'temperature',
    good: [0, 0.7, 2, null],
    bad: [
      ['hot', 'temperature: must be a number from 0 to 2, got "hot"'],
      [2.5, 'temperature: must be a number from 0 to 2, got 2.5'],
      [-0.1, 'temperature: must be a number from 0 to 2, got -0.1'],
    ],
  },
  {
    field: 'top_p',
    good: [0, 0.95, 1, null],
    bad: [
      [1.1, 'top_p: must be a number from 0 to 1, got 1.1'],
      ['1', 'top_p: must be a number from 0 to 1, got "1"'],
    ],
  },
  {
    field: 'n',
    good: [1, 128, null],
    bad: [
      [0, 'n: must be an integer from 1 to 128, got 0'],
      [1.5, 'n: must be an integer from 1 to 128, got 1.5'],
      [129, 'n: must be an integer from 1 to 128, got 129'],
    ],
  },
  ...['max_tokens', 'max_completion_tokens'].map((field) => ({
    field,
    good: [1, 4096, null],
    bad: [
      [0, `${field}: must be an integer of at least 1, got 0`],
      [2.5, `${field}: must be an integer of at least 1, got 2.5`],
      ['10', `${field}: must be an integer of at least 1, got "10"`],
    ] as const,
  })),
  ...['frequency_penalty', 'presence_penalty'].map((field) => ({
    field,
    good: [-2, 0, 1.5, 2, null],
    bad: [
      [-2.1, `${field}: must be a number from -2 to 2, got -2.1`],
      [true, `${field}: must be a number from -2 to 2, got true`],
    ] as const,
  })),
  {
    field: 'logit_bias',
    good: [{}, { '50256': -100, '1': 100, '7': 0.5 }, null],
    bad: [
      [{ hello: 1 }, 'logit_bias.hello: must be a token id (a whole number), got "hello"'],
      [{ '50256': 101 }, 'logit_bias["50256"]: must be a number from -100 to 100, got 101'],
      [[1, 2], 'logit_bias: must be an object of token ids to numbers from -100 to 100, got an array of 2 items'],
    ],
  },
  { field: 'logprobs', good: [true, false, null], bad: [[1, 'logprobs: must be true or false, got 1']] },
  {
    field: 'top_logprobs',
    with: { logprobs: true },
    good: [0, 20, null],
    bad: [
      [21, 'top_logprobs: must be an integer from 0 to 20, got 21'],
      [-1, 'top_logprobs: must be an integer from 0 to 20, got -1'],
    ],
  },
  { field: 'top_logprobs', good: [null], bad: [[5, 'top_logprobs: requires "logprobs": true']] },
  {
    field: 'stop',
    good: ['\n', ['a', 'b', 'c', 'd'], [], null],
    bad: [
      [['a', 'b', 'c', 'd', 'e'], 'stop: must be a string or an array of up to 4 strings, got an array of 5 items'],
      [['a', 1], 'stop[1]: must be a string, got 1'],
      [5, 'stop: must be a string or an array of up to 4 strings, got 5'],
    ],
  },
  { field: 'stream', good: [true, false, null], bad: [['yes', 'stream: must be true or false, got "yes"']] },
  {
    field: 'stream_options',
    with: { stream: true },
    good: [{ include_usage: true }, { include_obfuscation: false }, {}, null],
    bad: [
      [{ include_usage: 'yes' }, 'stream_options.include_usage: must be true or false, got "yes"'],
      ['usage', 'stream_options: must be an object, got "usage"'],
    ],
  },
  {
    field: 'stream_options',
    good: [null],
    bad: [[{ include_usage: true }, 'stream_options: is only allowed with "stream": true']],
  },
  {
    field: 'seed',
    good: [0, -5, 1234567890123, null],
    bad: [
      [1.5, 'seed: must be an integer, got 1.5'],
      ['42', 'seed: must be an integer, got "42"'],
    ],
  },
  { field: 'user', good: ['user-1', null], bad: [[5, 'user: must be a string, got 5']] },
  {
    field: 'tools',
    good: [
      [FUNCTION_TOOL, { type: 'function', function: { name: 'f-2', description: 'd', strict: true } }],
      [
        {
          type: 'custom',
          custom: { name: 'x', format: { type: 'grammar', grammar: { definition: 'a', syntax: 'lark' } } },
        },
      ],
      null,
    ],
    bad: [
      [
        [{ type: 'function', function: { name: 'get weather' } }],
        'tools[0].function.name: must be 1 to 64 letters, digits, "_" or "-", got "get weather"',
      ],
      [[{ type: 'function' }], 'tools[0].function: is required'],
      [[{ type: 'retrieval' }], 'tools[0].type: must be "function" or "custom", got "retrieval"'],
      [
        [{ type: 'function', function: { name: 'f', parameters: 'none' } }],
        'tools[0].function.parameters: must be a JSON schema (an object), got "none"',
      ],
      [FUNCTION_TOOL, 'tools: must be an array of tools, got an object'],
    ],
  },
  {
    field: 'tool_choice',
    with: { tools: [FUNCTION_TOOL] },
    good: [
      'none',
      'auto',
      'required',
      { type: 'function', function: { name: 'get_weather' } },
      { type: 'custom', custom: { name: 'x' } },
      { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [FUNCTION_TOOL] } },
      null,
    ],
    bad: [
      ['sometimes', 'tool_choice: must be "none", "auto", "required" or an object naming a tool, got "sometimes"'],
      [3, 'tool_choice: must be "none", "auto", "required" or an object naming a tool, got 3'],
      [{ type: 'function' }, 'tool_choice.function: is required'],
      [{ type: 'function', function: {} }, 'tool_choice.function.name: is required'],
      [
        { type: 'allowed_tools', allowed_tools: { mode: 'some', tools: [] } },
        'tool_choice.allowed_tools.mode: must be "auto" or "required", got "some"',
      ],
    ],
  },
  {
    field: 'functions',
    good: [[{ name: 'f', parameters: { type: 'object' } }], null],
    bad: [
      [[{}], 'functions[0].name: is required'],
      [[], 'functions: must be an array of functions, got an empty array'],
    ],
  },
  {
    field: 'function_call',
    good: ['none', 'auto', { name: 'f' }, null],
    bad: [
      ['always', 'function_call: must be "none", "auto" or {"name"}, got "always"'],
      [{}, 'function_call.name: is required'],
    ],
  },
  {
    field: 'response_format',
    good: [
      { type: 'text' },
      { type: 'json_object' },
      { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      // Servers' own formats pass to the upstream (vLLM's structural tags).
      { type: 'structural_tag', structures: [] },
      null,
    ],
    bad: [
      [{ type: 'json_schema' }, 'response_format.json_schema: is required'],
      [
        { type: 'json_schema', json_schema: { name: 'an answer' } },
        'response_format.json_schema.name: must be 1 to 64 letters, digits, "_" or "-", got "an answer"',
      ],
      [{}, 'response_format.type: is required'],
      ['json', 'response_format: must be an object with a "type" ("text", "json_object", "json_schema"), got "json"'],
    ],
  },
  {
    field: 'metadata',
    good: [{ team: 'a' }, null],
    bad: [
      [{ team: 1 }, 'metadata.team: must be a string of at most 512 characters, got 1'],
      [
        Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])),
        'metadata: must be an object of at most 16 strings, got an object',
      ],
      [{ [LONG]: 'v' }, `metadata.${LONG}: must be a key of at most 64 characters, got "${LONG.slice(0, 40)}…"`],
    ],
  },
  {
    field: 'modalities',
    good: [['text'], ['text', 'audio'], null],
    bad: [[['video'], 'modalities[0]: must be "text" or "audio", got "video"']],
  },
  {
    field: 'audio',
    good: [{ format: 'wav', voice: 'alloy' }, { format: 'mp3', voice: { id: 'voice_1' } }, null],
    bad: [
      [
        { format: 'ogg', voice: 'alloy' },
        'audio.format: must be "wav", "aac", "mp3", "flac", "opus" or "pcm16", got "ogg"',
      ],
      [{ format: 'wav' }, 'audio.voice: is required'],
    ],
  },
  {
    field: 'prediction',
    good: [{ type: 'content', content: 'x' }, { type: 'content', content: [{ type: 'text', text: 'x' }] }, null],
    bad: [[{ type: 'content' }, 'prediction.content: is required']],
  },
  // Enumerations that grow with new models: any string is the upstream's to judge.
  ...['reasoning_effort', 'service_tier', 'verbosity', 'prompt_cache_retention'].map((field) => ({
    field,
    good: ['low', 'a-value-from-next-year', null],
    bad: [[3, `${field}: must be a string, got 3`]] as const,
  })),
  ...['parallel_tool_calls', 'store'].map((field) => ({
    field,
    good: [true, false],
    bad: [['yes', `${field}: must be true or false, got "yes"`]] as const,
  })),
  {
    field: 'safety_identifier',
    good: ['hash-1', null],
    bad: [[LONG, `safety_identifier: must be a string of at most 64 characters, got "${LONG.slice(0, 40)}…"`]],
  },
  {
    field: 'web_search_options',
    good: [{ search_context_size: 'low', user_location: { type: 'approximate', approximate: { city: 'Oslo' } } }],
    bad: [
      [
        { user_location: { type: 'exact', approximate: {} } },
        'web_search_options.user_location.type: must be "approximate", got "exact"',
      ],
    ],
  },
  {
    field: 'moderation',
    good: [{ model: 'omni-moderation-latest', policy: { input: { mode: 'block' } } }, null],
    bad: [[{ policy: {} }, 'moderation.model: is required']],
  },
  {
    field: 'prompt_cache_options',
    good: [{ mode: 'explicit', ttl: '30m' }],
    bad: [[{ mode: 'always' }, 'prompt_cache_options.mode: must be "implicit" or "explicit", got "always"']],
  },
];

for (const { field, good, bad, with: others = {} } of CASES) {
  test(`chat "${field}"${Object.keys(others).length > 0 ? ` beside ${JSON.stringify(others)}` : ''}: good values pass, bad ones are named`, () => {
    for (const value of good) assert.equal(message({ ...BASE, ...others, [field]: value }), '', JSON.stringify(value));
    for (const [value, expected] of bad) assert.equal(message({ ...BASE, ...others, [field]: value }), expected);
  });
}

test('a chat request needs a model and messages', () => {
  assert.equal(message({}), 'model: is required; messages: is required');
  assert.equal(message({ model: 'm', messages: null }), 'messages: must be a non-empty array of messages, got null');
});
