import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generationRequestFailures } from './check.ts';

function message(messages: unknown): string {
  return generationRequestFailures('chat', { model: 'm', messages })
    .map((failure) => `${failure.field}: ${failure.rule}`)
    .join('; ');
}

const TEXT = { type: 'text', text: 'hello' };
const IMAGE = { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } };
const AUDIO = { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } };
const FILE = { type: 'file', file: { file_id: 'file-1' } };
const TOOL_CALL = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } };

/** Messages of every role in every shape the API reference gives them. */
const GOOD: ReadonlyArray<readonly [string, unknown]> = [
  [
    'system and developer text',
    [
      { role: 'system', content: 'be brief', name: 'ops' },
      { role: 'developer', content: [TEXT] },
    ],
  ],
  ['user parts of every kind', [{ role: 'user', content: [TEXT, IMAGE, AUDIO, FILE], name: 'ann' }]],
  [
    'a text part with a cache breakpoint',
    [{ role: 'user', content: [{ ...TEXT, prompt_cache_breakpoint: { mode: 'explicit' } }] }],
  ],
  // A part type OpenAI does not define is the server's own (vLLM's video_url): the upstream judges it.
  [
    'a server-defined part type',
    [{ role: 'user', content: [{ type: 'video_url', video_url: { url: 'https://x/v.mp4' } }] }],
  ],
  [
    'assistant text, refusal parts and null content with tool calls',
    [
      { role: 'assistant', content: [TEXT, { type: 'refusal', refusal: 'no' }] },
      {
        role: 'assistant',
        content: null,
        tool_calls: [TOOL_CALL, { id: 'c2', type: 'custom', custom: { name: 'x', input: 'y' } }],
      },
      { role: 'assistant', function_call: { name: 'f', arguments: '{}' } },
      { role: 'assistant', content: '', refusal: null, audio: { id: 'audio_1' } },
    ],
  ],
  [
    'a tool answer and a function answer',
    [
      { role: 'tool', content: 'sunny', tool_call_id: 'call_1' },
      { role: 'tool', content: [TEXT], tool_call_id: 'call_2' },
      { role: 'function', content: null, name: 'f' },
    ],
  ],
  ['fields the reference does not name', [{ role: 'assistant', content: 'x', reasoning_content: 'because' }]],
];

const BAD: ReadonlyArray<readonly [string, unknown, string]> = [
  ['no messages', [], 'messages: must be a non-empty array of messages, got an empty array'],
  ['not an array', 'hi', 'messages: must be a non-empty array of messages, got "hi"'],
  ['a message that is not an object', ['hi'], 'messages[0]: must be a message (an object with a "role"), got "hi"'],
  ['no role', [{ content: 'hi' }], 'messages[0].role: is required'],
  [
    'an unknown role',
    [{ role: 'assitant', content: 'hi' }],
    'messages[0].role: must be "system", "developer", "user", "assistant", "tool" or "function", got "assitant"',
  ],
  ['user content missing', [{ role: 'user' }], 'messages[0].content: is required'],
  [
    'user content of a wrong type',
    [{ role: 'user', content: 42 }],
    'messages[0].content: must be a string or a non-empty array of content parts, got 42',
  ],
  [
    'an empty part list',
    [{ role: 'user', content: [] }],
    'messages[0].content: must be a string or a non-empty array of content parts, got an empty array',
  ],
  ['a part without a type', [{ role: 'user', content: [{ text: 'x' }] }], 'messages[0].content[0].type: is required'],
  [
    'a part that is not an object',
    [{ role: 'user', content: ['x'] }],
    'messages[0].content[0]: must be a content part (an object with a "type"), got "x"',
  ],
  [
    'a text part without text',
    [{ role: 'user', content: [{ type: 'text' }] }],
    'messages[0].content[0].text: is required',
  ],
  [
    'an image part with a bad url and detail',
    [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 1, detail: 'ultra' } }] }],
    'messages[0].content[0].image_url.url: must be a string, got 1; messages[0].content[0].image_url.detail: must be "auto", "low" or "high", got "ultra"',
  ],
  [
    'an audio part of an unknown format',
    [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'ogg' } }] }],
    'messages[0].content[0].input_audio.format: must be "wav" or "mp3", got "ogg"',
  ],
  [
    'an image in a system message',
    [{ role: 'system', content: [IMAGE] }],
    'messages[0].content[0].type: must be a part type a system message takes ("text"), got "image_url"',
  ],
  [
    'a refusal part from the user',
    [{ role: 'user', content: [{ type: 'refusal', refusal: 'no' }] }],
    'messages[0].content[0].type: must be a part type a user message takes ("text", "image_url", "input_audio" or "file"), got "refusal"',
  ],
  [
    'an image from the assistant',
    [{ role: 'assistant', content: [IMAGE] }],
    'messages[0].content[0].type: must be a part type an assistant message takes ("text" or "refusal"), got "image_url"',
  ],
  [
    'an assistant message with nothing',
    [{ role: 'assistant' }],
    'messages[0].content: is required unless the message has tool_calls or function_call',
  ],
  [
    'a tool call without arguments',
    [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f' } }] }],
    'messages[0].tool_calls[0].function.arguments: is required',
  ],
  [
    'tool call arguments as an object',
    [{ role: 'assistant', tool_calls: [{ ...TOOL_CALL, function: { name: 'f', arguments: { city: 'Oslo' } } }] }],
    'messages[0].tool_calls[0].function.arguments: must be a string, got an object',
  ],
  [
    'a tool call of an unknown type',
    [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'retrieval' }] }],
    'messages[0].tool_calls[0].type: must be "function" or "custom", got "retrieval"',
  ],
  ['a tool answer without its call id', [{ role: 'tool', content: 'x' }], 'messages[0].tool_call_id: is required'],
  ['a function answer without a name', [{ role: 'function', content: 'x' }], 'messages[0].name: is required'],
  [
    'a name that is not a string',
    [{ role: 'user', content: 'x', name: 7 }],
    'messages[0].name: must be a string, got 7',
  ],
];

test('messages of every role and content shape of the API reference pass', () => {
  for (const [name, messages] of GOOD) assert.equal(message(messages), '', name);
});

for (const [name, messages, expected] of BAD) {
  test(`messages: ${name} is named with its path`, () => assert.equal(message(messages), expected));
}

test('each bad message is named by its index, all of them in one answer', () => {
  const messages = [
    { role: 'user', content: 'ok' },
    { role: 'user' },
    { role: 'tool', content: 'x' },
    { role: 'robot' },
  ];
  assert.equal(
    message(messages),
    'messages[1].content: is required; messages[2].tool_call_id: is required; messages[3].role: must be "system", "developer", "user", "assistant", "tool" or "function", got "robot"',
  );
});
