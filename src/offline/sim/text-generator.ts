/**
 * Deterministic "model output": the text is a function of (seed, model, prompt), so the
 * same request always gets the same answer, streamed or not. The prompt's hash seeds a
 * PRNG that picks words from a fixed vocabulary, with a comma or full stop now and then.
 */
import { createRng, deriveSeed } from '../../core/seeded-rng.ts';

const VOCABULARY = [
  'the',
  'a',
  'model',
  'request',
  'token',
  'queue',
  'batch',
  'latency',
  'server',
  'client',
  'answer',
  'stream',
  'simulated',
  'signal',
  'river',
  'sluice',
  'gate',
  'water',
  'flow',
  'steady',
  'fast',
  'slow',
  'load',
  'under',
  'over',
  'through',
  'with',
  'and',
  'of',
  'to',
  'is',
  'runs',
  'waits',
  'keeps',
  'turns',
  'holds',
  'every',
  'each',
  'one',
  'many',
  'predictable',
  'bounded',
  'fair',
  'warm',
  'ready',
  'time',
  'first',
  'next',
  'last',
  'again',
] as const;

export const MIN_GENERATED_TOKENS = 10;
export const MAX_GENERATED_TOKENS = 200;

export interface GenerationInput {
  seed: number;
  model: string;
  prompt: string;
  /** When set, exactly this many tokens are generated (finish_reason "length"). */
  maxTokens?: number;
}

export interface Generation {
  tokens: string[];
  finishReason: 'stop' | 'length';
}

export function generateTokens(input: GenerationInput): Generation {
  const rng = createRng(deriveSeed(input.seed, `${input.model}\u0000${input.prompt}`));
  const natural = MIN_GENERATED_TOKENS + rng.int(MAX_GENERATED_TOKENS - MIN_GENERATED_TOKENS + 1);
  const count = input.maxTokens ?? natural;
  const tokens: string[] = [];
  for (let index = 0; index < count; index++) {
    const last = index === count - 1;
    const afterWord = index > 0 && !isPunctuation(tokens[index - 1] ?? '.');
    // A sentence that stops on its own ends with a full stop; a cut-off one ends mid-flow.
    if (last && input.maxTokens === undefined && afterWord) tokens.push('.');
    else if (!last && afterWord && rng.chance(0.12)) tokens.push(rng.chance(0.5) ? ',' : '.');
    else tokens.push(rng.pick(VOCABULARY));
  }
  return { tokens, finishReason: input.maxTokens === undefined ? 'stop' : 'length' };
}

function isPunctuation(token: string): boolean {
  return token === ',' || token === '.';
}
