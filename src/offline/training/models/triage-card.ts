/** The README.md model card of a triage classifier. */
import type { IntentExample } from '../data/intents.ts';
import type { TextModel } from '../nn/text-model.ts';
import { dataSection, REPRODUCE_SECTION } from './card-sections.ts';
import { integer, percent } from './markdown.ts';
import { perIntentTable, traitTable, type ClassifierReport } from './text-eval.ts';
import type { TriageVariant } from './triage-variant.ts';

export interface TriageCardInput {
  readonly variant: TriageVariant;
  readonly card: { golden_accuracy: number; golden_size: number; train_size: number; seed: number; parameters: number; flops_per_item: number; mean_tokens_per_item: number };
  readonly report: ClassifierReport;
  readonly golden: readonly IntentExample[];
  readonly model: TextModel;
}

export function triageReadme({ variant, card, report, golden, model }: TriageCardInput): string {
  const { hashing } = variant;
  const layers = [...model.body.map((layer) => `Gemm ${layer.inputs}→${layer.outputs} → ${layer.activation === 'relu' ? 'Relu' : 'Tanh'}`), `Gemm ${model.head.inputs}→${model.head.outputs} → Softmax`];
  return `# ${variant.name}

${variant.summary}

**Golden accuracy: ${percent(card.golden_accuracy)}** on ${card.golden_size} held-out messages (seed ${card.seed}).

## Intended use

Routing patient portal messages to the right queue: appointments, prescription refills, billing,
lab results, urgent symptoms, routine symptoms, records requests and everything else. It is a
demonstration model trained on synthetic data: use it to exercise sluice (batching, cost
accounting, the OpenAI and KServe APIs), not to triage real patients. In particular an
\`urgent_symptoms\` prediction must never be the only safeguard for a message that needs a clinician.

## Inputs and outputs

- Request field \`text\` (BYTES, one string per item).
- Preprocessing (in TypeScript, \`src/engines/local/preprocess/text-hash.ts\`): NFKC, lower case, punctuation
  removed; word n-grams of orders ${JSON.stringify(hashing.word_ngrams)}${hashing.char_ngrams > 0 ? ` and character ${hashing.char_ngrams}-grams of each word` : ''},
  FNV-1a hashed into ${integer(hashing.buckets)} buckets (0 = padding), at most ${hashing.max_tokens} ids per message.
- Output \`probabilities\`: float32 [batch, 8], in the order of \`labels\` in model.yaml.

## Architecture

Embedding ${integer(hashing.buckets)}×${model.shape.embeddingDim} → masked mean over the message's ids →
${layers.join(' → ')}. ${integer(card.parameters)} parameters.

Compute: about ${integer(card.flops_per_item)} floating-point operations per message at the golden set's
mean of ${card.mean_tokens_per_item} ids per message. The declared cost is ${variant.costPerItem} compute-unit${variant.costPerItem === 1 ? '' : 's'} per item.

${dataSection()}

Training: ${variant.training.epochs} epochs of Adam (batch ${variant.training.batchSize}, learning rate ${variant.training.learningRate},
${variant.training.embeddingLearningRate} for the embedding rows, decaying linearly to a tenth), token dropout ${variant.training.tokenDropout}.
Hyper-parameters were chosen on a development set generated like the golden set from its own stream
(\`npx tsx src/offline/training/dev-report.ts\`), never on the golden set.

## Metrics (golden set, computed with onnxruntime through the serving preprocessing)

Overall accuracy: **${percent(card.golden_accuracy)}** (${integer(card.golden_accuracy * card.golden_size)} of ${card.golden_size}).

${perIntentTable(report)}

By kind of message:

${traitTable(report, golden)}

## Limitations

- Synthetic English messages from a fixed set of templates: real messages are longer, messier and
  more varied; expect lower accuracy on them.
- A bag of n-grams: word order beyond ${hashing.word_ngrams.includes(2) ? 'adjacent pairs' : 'single words'} is invisible, so messages with two requests
  or a negation are the hardest case.
- Hash collisions: unrelated n-grams can share a bucket.
- The label of a message with several requests is its first (primary) request; urgent symptoms are never a side request.

${REPRODUCE_SECTION}
`;
}
