/** What sets one triage classifier apart from the other: its hashing, its network, its training and its cost. */
import type { TextHashPreprocessing } from '../../../engines/local/models/model-spec.ts';
import type { TextModelShape } from '../nn/text-model.ts';
import type { TextTrainOptions } from '../nn/text-trainer.ts';

export interface TriageVariant {
  readonly name: 'triage-small' | 'triage-large';
  readonly summary: string;
  readonly hashing: Pick<TextHashPreprocessing, 'buckets' | 'word_ngrams' | 'char_ngrams' | 'max_tokens'>;
  readonly shape: Omit<TextModelShape, 'buckets' | 'classes'>;
  readonly training: Omit<TextTrainOptions, 'seed' | 'log'>;
  readonly costPerItem: number;
}
