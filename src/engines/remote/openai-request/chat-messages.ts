/**
 * `messages` of a chat completion request, as the `openai` package's
 * `ChatCompletionMessageParam` types them: one shape per role, content as a string or an
 * array of typed parts. Roles are a closed set; part types are open, since OpenAI-compatible
 * servers add their own (vLLM's `video_url`, `audio_url`): an unknown part type goes to the
 * upstream to judge, a known one is checked, and one a role does not take is refused.
 */
import { arrayOf, nullable, object, oneOf, quoted, string, tagged, type Schema } from './schema-rules.ts';

export const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;

const BREAKPOINT = object({ mode: oneOf(['explicit']) }, ['mode']);

const PART_FIELDS = {
  text: object({ text: string(), prompt_cache_breakpoint: BREAKPOINT }, ['text']),
  image_url: object(
    {
      image_url: object({ url: string(), detail: oneOf(['auto', 'low', 'high']) }, ['url']),
      prompt_cache_breakpoint: BREAKPOINT,
    },
    ['image_url'],
  ),
  input_audio: object(
    {
      input_audio: object({ data: string(), format: oneOf(['wav', 'mp3']) }, ['data', 'format']),
      prompt_cache_breakpoint: BREAKPOINT,
    },
    ['input_audio'],
  ),
  file: object(
    {
      file: object({ file_data: string(), file_id: string(), filename: string() }),
      prompt_cache_breakpoint: BREAKPOINT,
    },
    ['file'],
  ),
  refusal: object({ refusal: string() }, ['refusal']),
} as const satisfies Record<string, Schema>;

type PartType = keyof typeof PART_FIELDS;
const PART_TYPES = Object.keys(PART_FIELDS) as PartType[];

/** A content part of a message of `role`, which takes the `allowed` part types of OpenAI's. */
function part(role: string, allowed: readonly PartType[]): Schema {
  const refused = PART_TYPES.filter((type) => !allowed.includes(type));
  const article = role === 'assistant' ? 'an' : 'a';
  const typeRule = `must be a part type ${article} ${role} message takes (${quoted(allowed)})`;
  return {
    type: 'object',
    required: ['type'],
    properties: { type: { type: 'string', ...(refused.length > 0 && { not: { enum: refused } }), rule: typeRule } },
    ...tagged('type', Object.fromEntries(allowed.map((type) => [type, PART_FIELDS[type]]))),
    rule: 'must be a content part (an object with a "type")',
  };
}

function content(role: string, allowed: readonly PartType[]): Schema {
  const kinds = allowed.length === 1 ? `${allowed[0]} parts` : 'content parts';
  return {
    type: ['string', 'array'],
    items: part(role, allowed),
    minItems: 1,
    rule: `must be a string or a non-empty array of ${kinds}`,
  };
}

const TOOL_CALL: Schema = {
  type: 'object',
  required: ['id', 'type'],
  properties: { id: string(), type: oneOf(['function', 'custom']) },
  ...tagged('type', {
    function: object({ function: object({ name: string(), arguments: string() }, ['name', 'arguments']) }, [
      'function',
    ]),
    custom: object({ custom: object({ name: string(), input: string() }, ['name', 'input']) }, ['custom']),
  }),
  rule: 'must be a tool call (an object with an "id" and a "type")',
};

const NAME = string();

const ROLE_FIELDS: Readonly<Record<(typeof ROLES)[number], Schema>> = {
  system: object({ content: content('system', ['text']), name: NAME }, ['content']),
  developer: object({ content: content('developer', ['text']), name: NAME }, ['content']),
  user: object({ content: content('user', ['text', 'image_url', 'input_audio', 'file']), name: NAME }, ['content']),
  // Content may be left out when the message calls tools: a cross-field rule (cross-field-rules.ts).
  assistant: object({
    content: nullable(content('assistant', ['text', 'refusal'])),
    name: NAME,
    refusal: nullable(string()),
    tool_calls: arrayOf(TOOL_CALL, 'must be an array of tool calls'),
    function_call: nullable(object({ name: string(), arguments: string() }, ['name', 'arguments'])),
    audio: nullable(object({ id: string() }, ['id'])),
  }),
  tool: object({ content: content('tool', ['text']), tool_call_id: string() }, ['content', 'tool_call_id']),
  function: object({ content: nullable(string()), name: string() }, ['content', 'name']),
};

const MESSAGE: Schema = {
  type: 'object',
  required: ['role'],
  properties: { role: oneOf(ROLES) },
  ...tagged('role', ROLE_FIELDS),
  rule: 'must be a message (an object with a "role")',
};

export const MESSAGES: Schema = arrayOf(MESSAGE, 'must be a non-empty array of messages', { min: 1 });
