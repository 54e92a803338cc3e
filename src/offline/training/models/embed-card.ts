/** The README.md model card of the embedding model. */
import type { TextModelShape } from '../nn/text-model.ts';
import type { TextTrainOptions } from '../nn/text-trainer.ts';
import { dataSection, REPRODUCE_SECTION } from './card-sections.ts';
import { integer, percent } from './markdown.ts';

export interface EmbedCardInput {
  readonly summary: string;
  readonly hashing: { buckets: number; word_ngrams: readonly number[]; char_ngrams: number; max_tokens: number };
  readonly shape: TextModelShape;
  readonly training: Omit<TextTrainOptions, 'seed' | 'log'>;
  readonly card: {
    golden_knn_accuracy: number;
    golden_mean_cosine_same_intent: number;
    golden_mean_cosine_other_intent: number;
    golden_size: number;
    seed: number;
    dimensions: number;
    parameters: number;
    flops_per_item: number;
    mean_tokens_per_item: number;
  };
}

export function embedReadme({ summary, hashing, shape, training, card }: EmbedCardInput): string {
  return `# embed

${summary}

## Intended use

Similarity search, de-duplication and clustering of patient portal messages, and serving the OpenAI
\`/v1/embeddings\` API in sluice's demos and benchmarks. Synthetic training data: not for real patients.

## Inputs and outputs

- Request field \`text\` (BYTES, one string per item).
- Preprocessing (\`src/engines/local/preprocess/text-hash.ts\`): NFKC, lower case, punctuation removed; word n-grams
  of orders ${JSON.stringify(hashing.word_ngrams)} and character ${hashing.char_ngrams}-grams of each word, FNV-1a hashed into
  ${integer(hashing.buckets)} buckets, at most ${hashing.max_tokens} ids per message.
- Output \`embedding\`: float32 [batch, ${card.dimensions}], each row of unit L2 norm, so a dot product is the cosine similarity.

## Architecture

Embedding ${integer(hashing.buckets)}×${shape.embeddingDim} → masked mean → Gemm ${shape.embeddingDim}→${card.dimensions} → Tanh →
x / (‖x‖ + 1e-12). ${integer(card.parameters)} parameters; about ${integer(card.flops_per_item)} floating-point operations per
message at the golden set's mean of ${card.mean_tokens_per_item} ids. Declared cost: 2 compute-units per item.

Training: the normalised vector, scaled by ${shape.normalizeScale ?? 1}, fed a linear 8-intent head (a cosine-softmax
classifier); ${training.epochs} epochs of Adam, token dropout ${training.tokenDropout}. The head is not exported.

${dataSection()}

## Metrics (golden set, ${card.golden_size} messages, through onnxruntime)

| metric | value |
| --- | --- |
| nearest neighbour (leave-one-out, cosine) has the same intent | ${percent(card.golden_knn_accuracy)} |
| mean cosine, same intent | ${card.golden_mean_cosine_same_intent.toFixed(3)} |
| mean cosine, different intents | ${card.golden_mean_cosine_other_intent.toFixed(3)} |

## Limitations

- The only notion of similarity it learned is "same intent": two refill requests for different drugs
  are close, and it knows nothing of topics outside the eight intents.
- Synthetic English data from templates; a bag of n-grams, blind to word order beyond adjacent pairs.

${REPRODUCE_SECTION}
`;
}
