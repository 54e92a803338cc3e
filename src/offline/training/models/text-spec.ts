/**
 * The model.yaml pieces every text model shares: one text request field, hashed
 * ids and a mask as graph inputs, padded batching, and realistic warm-up messages.
 */
import type { TextHashPreprocessing } from '../../../engines/local/models/model-spec.ts';
import type { ModelSpecDocument } from './artifacts.ts';

export const TEXT_FIELD = 'text';
export const IDS_TENSOR = 'input_ids';
export const MASK_TENSOR = 'attention_mask';

export function textHashSpec(hashing: Pick<TextHashPreprocessing, 'buckets' | 'word_ngrams' | 'char_ngrams' | 'max_tokens'>): TextHashPreprocessing {
  return { kind: 'text-hash', input: TEXT_FIELD, ...hashing, ids_tensor: IDS_TENSOR, mask_tensor: MASK_TENSOR };
}

export const TEXT_INPUTS: ModelSpecDocument['inputs'] = [
  { name: TEXT_FIELD, datatype: 'BYTES', shape: [], schema: { type: 'string', minLength: 1, maxLength: 20000 } },
];

export function textTensors(output: string, width: number): ModelSpecDocument['tensors'] {
  return {
    inputs: [
      { name: IDS_TENSOR, dtype: 'int64', shape: [-1, -1], pad_value: 0 },
      { name: MASK_TENSOR, dtype: 'float32', shape: [-1, -1], pad_value: 0 },
    ],
    outputs: [{ name: output, dtype: 'float32', shape: [-1, width] }],
  };
}

/** Padding is exact for these graphs (masked mean), so rows of any length share a batch. */
export const TEXT_BATCHING: ModelSpecDocument['batching'] = {
  max_batch_size: 32,
  max_queue_delay_ms: 2,
  preferred_batch_sizes: [8, 16, 32],
  ragged: 'pad',
};

/**
 * One instance: on the two-core machines we measure on there is one execution slot
 * (the event loop keeps the other core), so a second instance would only wait. Raise
 * max_instances where there are cores to spare.
 */
export const TEXT_INSTANCES: ModelSpecDocument['instances'] = {
  min_instances: 1,
  max_instances: 1,
  target_ongoing_requests: 64,
  upscale_delay_s: 5,
  downscale_delay_s: 60,
};

export const TEXT_WARMUP: ModelSpecDocument['warmup'] = {
  samples: [
    { [TEXT_FIELD]: 'Hi, I need to move my appointment with Dr. Patel to Friday afternoon.' },
    { [TEXT_FIELD]: "Could you send a refill of my lisinopril to the CVS on Main Street? I'm almost out." },
    { [TEXT_FIELD]: 'My father has had crushing chest pressure for the last twenty minutes and is sweating, what should we do?' },
  ],
};

/**
 * Approximate floating-point operations for one item of `tokens` ids: the masked
 * pool (a multiply and an add per embedding value) plus 2·in·out per dense layer.
 */
export function textFlopsPerItem(tokens: number, embeddingDim: number, layers: ReadonlyArray<{ inputs: number; outputs: number }>): number {
  const pool = 2 * tokens * embeddingDim + embeddingDim;
  const dense = layers.reduce((sum, layer) => sum + 2 * layer.inputs * layer.outputs + layer.outputs, 0);
  return Math.round(pool + dense);
}
