/**
 * The request fields Chat Completions and the legacy Completions share, with the types and
 * ranges the OpenAI API reference gives them (the `openai` package's
 * `ChatCompletionCreateParamsBase` and `CompletionCreateParamsBase`).
 */
import { boolean, integer, number, object, string, type Schema } from './schema-rules.ts';

/** `stop`: up to 4 sequences; one may be given as a plain string. An empty list means none, as servers read it. */
const STOP: Schema = {
  type: ['string', 'array'],
  items: string(),
  maxItems: 4,
  rule: 'must be a string or an array of up to 4 strings',
};

/** Token id → bias. Keys are JSON object keys, so ids arrive as decimal strings. */
const LOGIT_BIAS: Schema = {
  type: 'object',
  propertyNames: { pattern: '^[0-9]+$', rule: 'must be a token id (a whole number)' },
  additionalProperties: number(-100, 100),
  rule: 'must be an object of token ids to numbers from -100 to 100',
};

export const COMMON_FIELDS: Readonly<Record<string, Schema>> = {
  model: string({ minLength: 1 }),
  frequency_penalty: number(-2, 2),
  presence_penalty: number(-2, 2),
  logit_bias: LOGIT_BIAS,
  // 128 is the API reference's bound for both endpoints.
  n: integer(1, 128),
  seed: integer(),
  stop: STOP,
  stream: boolean,
  stream_options: object({ include_usage: boolean, include_obfuscation: boolean }),
  temperature: number(0, 2),
  top_p: number(0, 1),
  user: string(),
};
