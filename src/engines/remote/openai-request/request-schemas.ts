/**
 * The Chat Completions and legacy Completions request bodies as the OpenAI API reference
 * defines them (the `openai` package's `ChatCompletionCreateParamsBase` and
 * `CompletionCreateParamsBase`, with the ranges their documentation states).
 *
 * Known fields are checked strictly; fields the reference does not name pass untouched, as
 * upstreams such as vLLM take their own (`top_k`, `repetition_penalty`). Values of
 * enumerations that grow with each new model (`reasoning_effort`, `service_tier`,
 * `verbosity`, a voice) are checked as strings only: the upstream knows which it supports,
 * and a gateway that lags behind the API must not refuse tomorrow's value.
 */
import { MESSAGES } from './chat-messages.ts';
import { COMMON_FIELDS } from './common-fields.ts';
import {
  arrayOf,
  body,
  boolean,
  integer,
  nullable,
  object,
  oneOf,
  string,
  stringOrObject,
  tagged,
  type Schema,
} from './schema-rules.ts';

/** Function and JSON schema names: "a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64". */
const NAME: Schema = {
  type: 'string',
  pattern: '^[a-zA-Z0-9_-]{1,64}$',
  rule: 'must be 1 to 64 letters, digits, "_" or "-"',
};
const JSON_SCHEMA: Schema = { type: 'object', rule: 'must be a JSON schema (an object)' };

const FUNCTION = object({ name: NAME, description: string(), parameters: JSON_SCHEMA, strict: nullable(boolean) }, [
  'name',
]);

const CUSTOM_FORMAT: Schema = {
  type: 'object',
  required: ['type'],
  properties: { type: oneOf(['text', 'grammar']) },
  ...tagged('type', {
    grammar: object(
      { grammar: object({ definition: string(), syntax: oneOf(['lark', 'regex']) }, ['definition', 'syntax']) },
      ['grammar'],
    ),
  }),
  rule: 'must be an object with a "type"',
};

const TOOL: Schema = {
  type: 'object',
  required: ['type'],
  properties: { type: oneOf(['function', 'custom']) },
  ...tagged('type', {
    function: object({ function: FUNCTION }, ['function']),
    custom: object({ custom: object({ name: string(), description: string(), format: CUSTOM_FORMAT }, ['name']) }, [
      'custom',
    ]),
  }),
  rule: 'must be a tool (an object with a "type")',
};

const NAMED: Schema = object({ name: string() }, ['name']);
/** Voices are added with new models: a name is checked as a string only. */
const VOICE = stringOrObject(
  string(),
  object({ id: string() }, ['id']),
  'must be a voice name or an object with an "id"',
);

const TOOL_CHOICE = stringOrObject(
  oneOf(['none', 'auto', 'required']),
  {
    required: ['type'],
    properties: { type: oneOf(['function', 'custom', 'allowed_tools']) },
    ...tagged('type', {
      function: object({ function: NAMED }, ['function']),
      custom: object({ custom: NAMED }, ['custom']),
      allowed_tools: object(
        {
          allowed_tools: object(
            {
              mode: oneOf(['auto', 'required']),
              tools: arrayOf({ type: 'object', rule: 'must be an object' }, 'must be an array of tools'),
            },
            ['mode', 'tools'],
          ),
        },
        ['allowed_tools'],
      ),
    }),
  },
  'must be "none", "auto", "required" or an object naming a tool',
);

/** Types are open: servers add their own formats (vLLM's `structural_tag`). */
const RESPONSE_FORMAT: Schema = {
  type: 'object',
  required: ['type'],
  properties: { type: string() },
  ...tagged('type', {
    json_schema: object(
      {
        json_schema: object({ name: NAME, description: string(), schema: JSON_SCHEMA, strict: nullable(boolean) }, [
          'name',
        ]),
      },
      ['json_schema'],
    ),
  }),
  rule: 'must be an object with a "type" ("text", "json_object", "json_schema")',
};

const TEXT_PARTS: Schema = {
  type: ['string', 'array'],
  items: object({ type: oneOf(['text']), text: string() }, ['type', 'text']),
  rule: 'must be a string or an array of text parts',
};

const METADATA: Schema = {
  type: 'object',
  maxProperties: 16,
  propertyNames: { maxLength: 64, rule: 'must be a key of at most 64 characters' },
  additionalProperties: string({ maxLength: 512 }),
  rule: 'must be an object of at most 16 strings',
};

const MODERATION_MODE = nullable(object({ mode: oneOf(['score', 'block']) }, ['mode']));

const LOCATION = object(
  {
    type: oneOf(['approximate']),
    approximate: object({ city: string(), country: string(), region: string(), timezone: string() }),
  },
  ['type', 'approximate'],
);

export const CHAT_REQUEST_SCHEMA: Schema = body(
  {
    ...COMMON_FIELDS,
    messages: MESSAGES,
    audio: object({ format: oneOf(['wav', 'aac', 'mp3', 'flac', 'opus', 'pcm16']), voice: VOICE }, ['format', 'voice']),
    function_call: stringOrObject(oneOf(['none', 'auto']), NAMED, 'must be "none", "auto" or {"name"}'),
    functions: arrayOf(FUNCTION, 'must be an array of functions', { min: 1, max: 128 }),
    logprobs: boolean,
    max_completion_tokens: integer(1),
    max_tokens: integer(1),
    metadata: METADATA,
    modalities: arrayOf(oneOf(['text', 'audio']), 'must be an array of "text" or "audio"'),
    moderation: object(
      { model: string(), policy: nullable(object({ input: MODERATION_MODE, output: MODERATION_MODE })) },
      ['model'],
    ),
    parallel_tool_calls: boolean,
    prediction: object({ type: oneOf(['content']), content: TEXT_PARTS }, ['type', 'content']),
    prompt_cache_key: string(),
    prompt_cache_options: object({ mode: oneOf(['implicit', 'explicit']), ttl: string() }),
    prompt_cache_retention: string(),
    reasoning_effort: string(),
    response_format: RESPONSE_FORMAT,
    safety_identifier: string({ maxLength: 64 }),
    service_tier: string(),
    store: boolean,
    tool_choice: TOOL_CHOICE,
    tools: arrayOf(TOOL, 'must be an array of tools'),
    top_logprobs: integer(0, 20),
    verbosity: string(),
    web_search_options: object({ search_context_size: string(), user_location: nullable(LOCATION) }),
  },
  ['model', 'messages'],
);

const TOKEN_ID: Schema = { type: 'integer', minimum: 0, rule: 'must be a token id (a whole number)' };

/** `prompt`: a string, strings, token ids, or arrays of token ids; one kind per prompt (cross-field-rules.ts). */
const PROMPT: Schema = {
  type: ['string', 'array'],
  items: {
    type: ['string', 'integer', 'array'],
    minimum: 0,
    items: TOKEN_ID,
    minItems: 1,
    rule: 'must be a string, a token id (a whole number) or a non-empty array of token ids',
  },
  minItems: 1,
  rule: 'must be a string or a non-empty array of strings, token ids or arrays of token ids',
};

export const COMPLETION_REQUEST_SCHEMA: Schema = body(
  {
    ...COMMON_FIELDS,
    prompt: PROMPT,
    best_of: integer(0, 20),
    echo: boolean,
    logprobs: integer(0, 5),
    // 0 is allowed here: with `echo` it scores a prompt without generating (the reference's minimum).
    max_tokens: integer(0),
    suffix: string(),
  },
  ['model'],
);
