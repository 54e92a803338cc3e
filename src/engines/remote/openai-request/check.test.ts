import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import type { CompletionCreateParams } from 'openai/resources/completions';
import { SluiceError } from '../../../core/errors.ts';
import { checkGenerationRequest, generationRequestFailures } from './check.ts';

/** The body as the client puts it on the wire. */
function wire(params: object): Readonly<Record<string, unknown>> {
  return JSON.parse(JSON.stringify(params)) as Record<string, unknown>;
}

function refusal(operation: 'chat' | 'complete', body: Readonly<Record<string, unknown>>): SluiceError {
  try {
    checkGenerationRequest(operation, body);
  } catch (error) {
    assert.ok(error instanceof SluiceError);
    return error;
  }
  assert.fail('the request was not refused');
}

const HI = [{ role: 'user', content: 'hi' }];

test('every failure of a request is reported at once, in the order of the body: the first names the param', () => {
  const error = refusal('chat', {
    model: 'm',
    temperature: 'hot',
    messages: [{ role: 'user', content: 'ok' }, { role: 'assistant' }, { role: 'user', content: 7 }],
    max_tokens: 0,
  });
  assert.equal(error.code, 'ERR_REQUEST_INVALID');
  assert.equal(error.status, 400);
  assert.deepEqual(error.failures, [
    { field: 'temperature', rule: 'must be a number from 0 to 2, got "hot"' },
    { field: 'messages[1].content', rule: 'is required unless the message has tool_calls or function_call' },
    { field: 'messages[2].content', rule: 'must be a string or a non-empty array of content parts, got 7' },
    { field: 'max_tokens', rule: 'must be an integer of at least 1, got 0' },
  ]);
  assert.equal(error.field, 'temperature');
  assert.equal(
    error.message,
    'temperature: must be a number from 0 to 2, got "hot"; ' +
      'messages[1].content: is required unless the message has tool_calls or function_call; ' +
      'messages[2].content: must be a string or a non-empty array of content parts, got 7; ' +
      'max_tokens: must be an integer of at least 1, got 0',
  );
});

test('a field is blamed once, for its own value, before any rule across fields', () => {
  assert.deepEqual(generationRequestFailures('chat', { model: 'm', messages: HI, top_logprobs: 99 }), [
    { field: 'top_logprobs', rule: 'must be an integer from 0 to 20, got 99' },
  ]);
});

test('a valid request passes untouched and throws nothing', () => {
  const body = { model: 'm', messages: HI, temperature: 0.3 };
  const before = JSON.stringify(body);
  checkGenerationRequest('chat', body);
  assert.equal(JSON.stringify(body), before);
});

test('fields the API reference does not name pass through, at the top and inside messages and tools', () => {
  const extensions = {
    model: 'm',
    messages: [{ role: 'user', content: 'hi', cache_control: { type: 'ephemeral' } }],
    tools: [{ type: 'function', function: { name: 'f', extra: 1 } }],
    top_k: 40,
    min_p: 0.05,
    repetition_penalty: 1.1,
    guided_json: { type: 'object' },
    chat_template_kwargs: { enable_thinking: false },
  };
  assert.deepEqual(generationRequestFailures('chat', extensions), []);
  assert.deepEqual(
    generationRequestFailures('complete', { model: 'm', prompt: 'x', top_k: 'forty', ignore_eos: 1 }),
    [],
  );
});

test('a value is shown short: long strings cut, objects and arrays named', () => {
  const error = refusal('chat', {
    model: 'm',
    messages: HI,
    user: 42,
    stop: 'x'.repeat(5).split(''),
    seed: 'y'.repeat(100),
  });
  assert.deepEqual(error.failures, [
    { field: 'user', rule: 'must be a string, got 42' },
    { field: 'stop', rule: 'must be a string or an array of up to 4 strings, got an array of 5 items' },
    { field: 'seed', rule: `must be an integer, got "${'y'.repeat(40)}…"` },
  ]);
});

test('a body of hundreds of bad messages lists the first 50 and counts the rest', () => {
  const error = refusal('chat', { model: 'm', messages: Array.from({ length: 120 }, () => ({ role: 'user' })) });
  assert.equal(error.failures?.length, 50);
  assert.ok(error.message.endsWith('; messages[49].content: is required; and 70 more'), error.message.slice(-80));
});

const TOOL = {
  type: 'function' as const,
  function: { name: 'lookup', description: 'd', parameters: { type: 'object', properties: {} }, strict: true },
};

/** Every field of ChatCompletionCreateParams set, as the official client types them. */
const CHAT_EVERYTHING: ChatCompletionCreateParamsNonStreaming = {
  model: 'gpt-4o',
  messages: [
    { role: 'developer', content: 'Answer briefly.' },
    { role: 'system', content: [{ type: 'text', text: 'You are terse.' }], name: 'rules' },
    {
      role: 'user',
      name: 'ann',
      content: [
        { type: 'text', text: 'What is this?', prompt_cache_breakpoint: { mode: 'explicit' } },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'high' } },
        { type: 'input_audio', input_audio: { data: 'AAAA', format: 'mp3' } },
        { type: 'file', file: { file_data: 'data:application/pdf;base64,AAAA', filename: 'a.pdf' } },
      ],
    },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } },
        { id: 'call_2', type: 'custom', custom: { name: 'grammar', input: 'a' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'result' }] },
    { role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }], refusal: null, audio: { id: 'audio_1' } },
    { role: 'assistant', function_call: { name: 'lookup', arguments: '{}' } },
    { role: 'function', name: 'lookup', content: 'old-style result' },
  ],
  audio: { format: 'wav', voice: 'alloy' },
  frequency_penalty: 0.5,
  function_call: { name: 'lookup' },
  functions: [{ name: 'lookup', parameters: { type: 'object' } }],
  logit_bias: { '50256': -100 },
  logprobs: true,
  max_completion_tokens: 256,
  max_tokens: 256,
  metadata: { team: 'search' },
  modalities: ['text', 'audio'],
  moderation: { model: 'omni-moderation-latest', policy: { input: { mode: 'score' }, output: null } },
  n: 2,
  parallel_tool_calls: false,
  prediction: { type: 'content', content: [{ type: 'text', text: 'draft' }] },
  presence_penalty: -0.5,
  prompt_cache_key: 'k',
  prompt_cache_options: { mode: 'explicit', ttl: '30m' },
  prompt_cache_retention: '24h',
  reasoning_effort: 'low',
  response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
  safety_identifier: 'user-hash',
  seed: 42,
  service_tier: 'flex',
  stop: ['\n\n'],
  store: false,
  stream: false,
  temperature: 0.2,
  tool_choice: { type: 'function', function: { name: 'lookup' } },
  tools: [
    TOOL,
    {
      type: 'custom',
      custom: { name: 'grammar', format: { type: 'grammar', grammar: { definition: 'x', syntax: 'lark' } } },
    },
  ],
  top_logprobs: 3,
  top_p: 0.9,
  user: 'u',
  verbosity: 'low',
  web_search_options: {
    search_context_size: 'medium',
    user_location: { type: 'approximate', approximate: { city: 'Oslo', country: 'NO', timezone: 'Europe/Oslo' } },
  },
};

const CHAT_STREAM: ChatCompletionCreateParamsStreaming = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'hi' }],
  stream: true,
  stream_options: { include_usage: true, include_obfuscation: false },
  response_format: { type: 'json_object' },
};

const TOOL_CHOICES: readonly ChatCompletionToolChoiceOption[] = [
  'none',
  'auto',
  'required',
  { type: 'custom', custom: { name: 'grammar' } },
  {
    type: 'allowed_tools',
    allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'lookup' } }] },
  },
];

const COMPLETIONS: readonly CompletionCreateParams[] = [
  {
    model: 'gpt-3.5-turbo-instruct',
    prompt: ['Say this', 'Say that'],
    best_of: 2,
    echo: true,
    frequency_penalty: 0,
    logit_bias: { '50256': -100 },
    logprobs: 2,
    max_tokens: 0,
    n: 2,
    presence_penalty: 0,
    seed: 1,
    stop: '\n',
    suffix: 'end',
    temperature: 1,
    top_p: 1,
    user: 'u',
  },
  { model: 'davinci-002', prompt: [[1, 2, 3], [4]], stream: true, stream_options: { include_usage: true } },
  { model: 'babbage-002', prompt: [50256, 42] },
  { model: 'babbage-002', prompt: null },
];

test("the official client's request shapes pass: every chat field, streaming, every tool choice, every prompt form", () => {
  assert.deepEqual(generationRequestFailures('chat', wire(CHAT_EVERYTHING)), []);
  assert.deepEqual(generationRequestFailures('chat', wire(CHAT_STREAM)), []);
  for (const toolChoice of TOOL_CHOICES) {
    const body = wire({ ...CHAT_STREAM, tools: [TOOL], tool_choice: toolChoice });
    assert.deepEqual(generationRequestFailures('chat', body), [], JSON.stringify(toolChoice));
  }
  for (const params of COMPLETIONS) assert.deepEqual(generationRequestFailures('complete', wire(params)), []);
});
