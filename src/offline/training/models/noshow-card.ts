/** The README.md model card of the no-show model. */
import type { TabularPreprocessing } from '../../../engines/local/models/model-spec.ts';
import { tabularFeatureCount } from '../../../engines/local/preprocess/tabular.ts';
import type { TabularTrainOptions } from '../nn/tabular-trainer.ts';
import { REPRODUCE_SECTION } from './card-sections.ts';
import { markdownTable, percent } from './markdown.ts';

export interface NoshowCardInput {
  readonly summary: string;
  readonly preprocessing: TabularPreprocessing;
  readonly training: Omit<TabularTrainOptions, 'seed' | 'log'>;
  readonly card: {
    golden_auc: number;
    golden_accuracy: number;
    golden_base_rate: number;
    golden_majority_accuracy: number;
    golden_hidden_model_auc: number;
    golden_size: number;
    train_size: number;
    parameters: number;
    flops_per_item: number;
  };
}

export function noshowReadme({ summary, preprocessing, training, card }: NoshowCardInput): string {
  const fields = markdownTable(
    ['field', 'encoding'],
    preprocessing.fields.map((field) => {
      if (field.kind === 'numeric') return [`\`${field.name}\``, `(x − ${field.mean.toFixed(3)}) / ${field.std.toFixed(3)}`];
      if (field.kind === 'boolean') return [`\`${field.name}\``, '0 or 1'];
      return [`\`${field.name}\``, `one-hot over ${field.categories.join(', ')}`];
    }),
  );
  return `# noshow-risk

${summary}

## Intended use

Demonstrating tabular models in sluice (KServe v2 requests with typed fields, cheap batched
inference). The data is synthetic: the model knows nothing about any real clinic's patients.

## Inputs and outputs

Request fields: \`age\` (FP32, 0–120), \`lead_time_days\` (FP32, 0–365, days between booking and visit),
\`prior_no_shows\` (INT64, 0–50), \`reminder_sent\` (BOOL), \`weekday\` (mon…sun), \`channel\`
(phone, web, referral). \`src/engines/local/preprocess/tabular.ts\` turns them into the float32 \`features\` tensor:

${fields}

Output \`probability\`: float32 [batch, 1], the probability of a no-show.

## Architecture and training

Gemm ${tabularFeatureCount(preprocessing)}→${training.hidden.join('→')} → Relu → Gemm ${training.hidden.at(-1) ?? 0}→1 → Sigmoid; ${card.parameters} parameters, about
${card.flops_per_item} floating-point operations per item; declared cost 0.2 compute-units. Binary cross-entropy,
Adam (learning rate ${training.learningRate}, batch ${training.batchSize}, L2 ${training.weightDecay}), ${training.epochs} epochs on ${card.train_size} records.

## Data

Synthetic records from \`src/offline/training/data/noshow-generator.ts\`. Each outcome is drawn from a hidden
logistic model whose log-odds are non-linear in the fields: risk grows with the logarithm of the lead
time and saturates with prior no-shows, peaks for young adults and rises again for the very old,
reminders help most for appointments booked weeks ahead, and Mondays, Fridays and web bookings carry
extra risk. The golden set (\`golden.jsonl\`) is drawn from a separate random stream.

## Metrics (golden set, ${card.golden_size} records, through onnxruntime)

| metric | value |
| --- | --- |
| ROC AUC | ${card.golden_auc.toFixed(3)} |
| accuracy at threshold 0.5 | ${percent(card.golden_accuracy)} |
| base rate (share of no-shows) | ${percent(card.golden_base_rate)} |
| accuracy of always predicting the majority class | ${percent(card.golden_majority_accuracy)} |
| ROC AUC of the hidden model itself (the ceiling) | ${card.golden_hidden_model_auc.toFixed(3)} |

## Limitations

- Outcomes are random given the fields: no model can be much better than the hidden one above.
- Accuracy at 0.5 says little with a ${percent(card.golden_base_rate)} base rate; rank by probability or pick a threshold for the cost of a missed no-show.
- Synthetic data only; real no-show behaviour depends on far more than six fields.

${REPRODUCE_SECTION}
`;
}
