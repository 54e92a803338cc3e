/**
 * The `model.yaml` document: everything sluice needs to serve one model version.
 *
 * Two layers of inputs are declared on purpose:
 *  - `inputs` are the request fields clients send (KServe v2 input names, KServe v1
 *    instance keys, the OpenAI `input` string), each with a JSON schema;
 *  - `tensors` are the ONNX graph's own inputs and outputs, checked at load time
 *    against the session's metadata.
 * `preprocessing` turns the first into the second, in TypeScript, on the serving path.
 */
import { z } from 'zod';
import { V2_DATATYPES } from '../../../core/tensors.ts';
import { fieldRuleIssues, FillSpec, ModelQualitySpec, NormalizeSpec } from '../normalize/field-rules-spec.ts';

/** The highest word n-gram order a text model may use. */
export const MAX_WORD_NGRAM = 4;

export { V2_DATATYPES, type V2Datatype } from '../../../core/tensors.ts';

const dimension = z.number().int().min(-1);
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." or "-"');

export const RequestInputSpec = z.strictObject({
  name,
  datatype: z.enum(V2_DATATYPES),
  /** Per-item shape, without the batch dimension; -1 marks a variable dimension. */
  shape: z.array(dimension).default([]),
  /** JSON schema of one item's value for this field (validated with ajv). */
  schema: z.record(z.string(), z.unknown()).optional(),
  /** Applied before the schema is checked (docs/model-yaml.md#normalisation-and-partial-data). */
  normalize: NormalizeSpec.optional(),
  /** The value of the field when an item lacks it, under `quality.partial_data.policy: impute`. */
  fill: FillSpec.optional(),
});
export type RequestInputSpec = z.infer<typeof RequestInputSpec>;

export const TensorSpec = z.strictObject({
  name,
  dtype: z.enum(['float32', 'float64', 'int64', 'int32', 'bool']),
  /** Full shape including the batch dimension first; -1 marks a variable dimension. */
  shape: z.array(dimension).min(1),
  /** Value used to pad variable dimensions when rows of different lengths share a batch. */
  pad_value: z.number().default(0),
});
export type TensorSpec = z.infer<typeof TensorSpec>;

export const TextHashPreprocessing = z.strictObject({
  kind: z.literal('text-hash'),
  /** The request field holding the text. */
  input: name,
  /** Number of hash buckets; id 0 is reserved for padding. */
  buckets: z.number().int().min(2),
  word_ngrams: z.array(z.number().int().min(1).max(MAX_WORD_NGRAM)).min(1),
  /** Character n-gram length inside words (0 = off). */
  char_ngrams: z.number().int().min(0).max(6).default(0),
  max_tokens: z.number().int().min(1),
  ids_tensor: name,
  mask_tensor: name,
});

export const TabularField = z.discriminatedUnion('kind', [
  z.strictObject({ name, kind: z.literal('numeric'), mean: z.number(), std: z.number().positive() }),
  z.strictObject({ name, kind: z.literal('boolean') }),
  z.strictObject({ name, kind: z.literal('categorical'), categories: z.array(z.string()).min(1) }),
]);
export type TabularField = z.infer<typeof TabularField>;

export const TabularPreprocessing = z.strictObject({
  kind: z.literal('tabular'),
  /** Fields in feature order: numeric → 1 standardised value, boolean → 0/1, categorical → one-hot. */
  fields: z.array(TabularField).min(1),
  features_tensor: name,
});

/** Request inputs are fed to the graph as they are (names and dtypes must match `tensors.inputs`). */
export const NoPreprocessing = z.strictObject({ kind: z.literal('none') });

export const Preprocessing = z.discriminatedUnion('kind', [TextHashPreprocessing, TabularPreprocessing, NoPreprocessing]);
export type Preprocessing = z.infer<typeof Preprocessing>;
export type TextHashPreprocessing = z.infer<typeof TextHashPreprocessing>;
export type TabularPreprocessing = z.infer<typeof TabularPreprocessing>;

export const BatchingSpec = z.strictObject({
  max_batch_size: z.number().int().min(1).default(1),
  max_queue_delay_ms: z.number().min(0).default(0),
  preferred_batch_sizes: z.array(z.number().int().min(1)).default([]),
  /**
   * Rows whose variable dimensions differ: `pad` them to the longest row in the batch
   * (only correct when the graph masks padding, as the text models do), or `group`
   * so that only rows of identical shape share a batch (always correct; the default).
   */
  ragged: z.enum(['pad', 'group']).default('group'),
});
export type BatchingSpec = z.infer<typeof BatchingSpec>;

/** Triton's queue policy names: a bounded queue per priority level, 1 = highest. */
export const SchedulingSpec = z.strictObject({
  priority_levels: z.number().int().min(1).max(16).default(3),
  default_priority_level: z.number().int().min(1).default(2),
  /**
   * Rows a priority level may hold waiting; beyond it requests are shed with 429. Under
   * saturation Node reads requests in bursts of hundreds per event-loop turn, so a bound
   * much below a burst sheds work the model would finish in time (docs/design-notes.md).
   */
  max_queue_size: z.number().int().min(1).default(2048),
  /** The longest a request may take; a request may ask for less, never more. */
  default_timeout_ms: z.number().int().min(1).default(10_000),
});
export type SchedulingSpec = z.infer<typeof SchedulingSpec>;

/** Ray Serve's autoscaling names; each instance is one ONNX Runtime session. */
export const InstancesSpec = z.strictObject({
  min_instances: z.number().int().min(1).default(1),
  max_instances: z.number().int().min(1).default(1),
  /** Rows queued or running per instance that the autoscaler aims for. */
  target_ongoing_requests: z.number().positive().default(64),
  upscale_delay_s: z.number().min(0).default(5),
  downscale_delay_s: z.number().min(0).default(60),
  upscaling_factor: z.number().positive().default(1),
  downscaling_factor: z.number().positive().default(1),
  metrics_interval_s: z.number().positive().default(1),
  look_back_period_s: z.number().positive().default(10),
});
export type InstancesSpec = z.infer<typeof InstancesSpec>;

/** Batches executing at once, bounded by a limit that adapts to measured latency (Gradient2). */
export const ConcurrencySpec = z.strictObject({
  adaptive: z.boolean().default(true),
  min_limit: z.number().int().min(1).default(1),
  /** Upper bound on concurrent batches across all instances. */
  max_limit: z.number().int().min(1).default(4),
});
export type ConcurrencySpec = z.infer<typeof ConcurrencySpec>;

export const WarmupSpec = z.strictObject({
  /** Example items (request fields) used to build warm-up batches; zero-filled inputs when absent. */
  samples: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
  /** Batch sizes to warm up; defaults to every size the batcher will use. */
  batch_sizes: z.array(z.number().int().min(1)).optional(),
});

export const ModelSpec = z
  .strictObject({
    name,
    version: z.union([z.string().regex(/^[0-9]+$/, 'digits only'), z.number().int().min(1)]).transform(String),
    task: z.enum(['text-classification', 'text-embedding', 'tabular-classification', 'tensor']),
    description: z.string().default(''),
    onnx: z.string().default('model.onnx'),
    inputs: z.array(RequestInputSpec).min(1),
    preprocessing: Preprocessing.default({ kind: 'none' }),
    tensors: z.strictObject({ inputs: z.array(TensorSpec).min(1), outputs: z.array(TensorSpec).min(1) }),
    /** Class names, in the order of the probability output, for classifiers. */
    labels: z.array(z.string()).optional(),
    batching: BatchingSpec.default({ max_batch_size: 1, max_queue_delay_ms: 0, preferred_batch_sizes: [], ragged: 'group' }),
    warmup: WarmupSpec.optional(),
    scheduling: SchedulingSpec.prefault({}),
    instances: InstancesSpec.prefault({}),
    concurrency: ConcurrencySpec.prefault({}),
    /** Declared cost of one item, in the cost unit the operator chooses (e.g. compute-units). */
    cost: z.strictObject({ per_item: z.number().min(0), unit: z.string().default('compute-units') }).default({ per_item: 0, unit: 'compute-units' }),
    /** Free-form model card facts (accuracy on the golden set, training seed, sizes). */
    card: z.record(z.string(), z.unknown()).default({}),
    /** Data quality rules of the model: what happens to items with fields missing. */
    quality: ModelQualitySpec.prefault({}),
  })
  .superRefine((spec, ctx) => {
    for (const issue of fieldRuleIssues(spec)) ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
    if (spec.scheduling.default_priority_level > spec.scheduling.priority_levels) {
      ctx.addIssue({ code: 'custom', path: ['scheduling', 'default_priority_level'], message: `exceeds priority_levels ${spec.scheduling.priority_levels}` });
    }
    if (spec.instances.min_instances > spec.instances.max_instances) {
      ctx.addIssue({ code: 'custom', path: ['instances', 'min_instances'], message: `exceeds max_instances ${spec.instances.max_instances}` });
    }
    if (spec.concurrency.min_limit > spec.concurrency.max_limit) {
      ctx.addIssue({ code: 'custom', path: ['concurrency', 'min_limit'], message: `exceeds max_limit ${spec.concurrency.max_limit}` });
    }
    for (const size of spec.batching.preferred_batch_sizes) {
      if (size > spec.batching.max_batch_size) {
        ctx.addIssue({ code: 'custom', path: ['batching', 'preferred_batch_sizes'], message: `${size} exceeds max_batch_size ${spec.batching.max_batch_size}` });
      }
    }
  });
export type ModelSpec = z.infer<typeof ModelSpec>;
