/**
 * `quality.segments` in the configuration: per model, the input segments its errors and
 * latencies are broken down by (docs/quality.md#segments). The shape is checked with the
 * rest of the config; that every model named is served can only be checked once the
 * repository is loaded (`checkSegmentModels`).
 */
import { z } from 'zod';

/** A segment's name is a metric label value and a report key: short and plain. */
const segmentName = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'a lowercase name of letters, digits and _');
/** A request field: a local model's item field, or a remote request's top-level key; dots reach inside objects. */
const fieldPath = z.string().regex(/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/, 'a field name, dots for nested fields');

const buckets = z
  .array(z.number().int().positive())
  .min(1)
  .max(20)
  .refine((list) => list.every((bound, i) => i === 0 || bound > (list[i - 1] as number)), {
    message: 'bucket bounds must be strictly increasing',
  });

export const SegmentSpecSchema = z.discriminatedUnion('by', [
  /** Characters of the field's text, in buckets with these inclusive upper bounds (and one above the last). */
  z.strictObject({ name: segmentName, by: z.literal('text_length'), field: fieldPath, buckets }),
  /** The field's value as a category (at most MAX_SEGMENT_VALUES values by name; others share "(other)"). */
  z.strictObject({ name: segmentName, by: z.literal('field'), field: fieldPath }),
  /** A guess of the language of the field's text (language-guess.ts). */
  z.strictObject({ name: segmentName, by: z.literal('language'), field: fieldPath }),
  /** The caller's tenant. */
  z.strictObject({ name: segmentName, by: z.literal('tenant') }),
]);

export type SegmentSpec = z.infer<typeof SegmentSpecSchema>;

export const SegmentsSchema = z
  .record(z.string().min(1), z.array(SegmentSpecSchema).min(1).max(8))
  .default({})
  .superRefine((segments, ctx) => {
    for (const [model, specs] of Object.entries(segments)) {
      const seen = new Set<string>();
      specs.forEach((spec, index) => {
        if (seen.has(spec.name))
          ctx.addIssue({
            code: 'custom',
            path: [model, index, 'name'],
            message: `segment "${spec.name}" is declared twice`,
          });
        seen.add(spec.name);
      });
    }
  });

/** Every model with segments is served; else the key that names one that is not, as `quality.segments.<model>`. */
export function checkSegmentModels(
  segments: Readonly<Record<string, readonly SegmentSpec[]>>,
  served: ReadonlySet<string>,
): void {
  const unknown = Object.keys(segments).filter((model) => !served.has(model));
  if (unknown.length === 0) return;
  const [first] = unknown;
  throw new Error(
    `quality.segments.${first}: no model "${first}" is served (served: ${[...served].sort().join(', ') || 'none'})`,
  );
}
