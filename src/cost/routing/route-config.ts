/**
 * `routes` in the configuration (docs/cost.md#cascades-and-rules): names clients call that
 * are not models. A cascade asks its models in turn, an item going on while the model
 * asked is unsure of it; rules choose one model by what the request is. The shape is
 * checked here, at load; the models a route names are checked once they are known
 * (`checkRoutes`, route-checks.ts).
 */
import { resolve } from 'node:path';
import { z } from 'zod';

const NAME = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." or "-"');
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/** Header names as Node reads them: in lower case (zod's own message for a record key names no rule). */
const HeadersSchema = z.record(z.string(), z.array(z.string()).min(1)).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers))
    if (!HEADER_NAME.test(name))
      ctx.addIssue({ code: 'custom', path: [name], message: 'a header name, in lower case' });
});

const CascadeStageSchema = z.strictObject({
  model: z.string().min(1),
  /** An item whose top class is less probable than this goes on to the next model; the last model has none. */
  min_confidence: z.number().min(0).optional(),
  /** An item this model labels with one of these goes on however sure it is (its answer fails the check). */
  escalate_labels: z.array(z.string().min(1)).min(1).optional(),
});

/** Every condition given must hold; a rule without any is refused. */
const WhenSchema = z
  .strictObject({
    /** The longest item's text (its string fields together), or a document's prompt, in characters. */
    max_input_chars: z.number().int().min(0).optional(),
    min_input_chars: z.number().int().min(0).optional(),
    /** The tenants (a tier is a list of them) whose requests match. */
    tenant: z.array(z.string().min(1)).min(1).optional(),
    /** Requests that ask for a deadline (`x-request-timeout-ms`, KServe v2 `parameters.timeout`) this short or shorter. */
    max_timeout_ms: z.number().int().min(1).optional(),
    /** Request headers and the values each may have (one of them). */
    header: HeadersSchema.optional(),
  })
  .superRefine((when, ctx) => {
    if (Object.values(when).every((condition) => condition === undefined))
      ctx.addIssue({ code: 'custom', message: 'a rule needs at least one condition' });
    const { min_input_chars: min, max_input_chars: max } = when;
    if (min !== undefined && max !== undefined && min > max)
      ctx.addIssue({ code: 'custom', path: ['max_input_chars'], message: `must be ≥ min_input_chars (${min})` });
  });

const RuleSchema = z.strictObject({ when: WhenSchema, model: z.string().min(1) });

const RouteSchema = z
  .strictObject({
    name: NAME,
    /** Two or more models, cheapest first. */
    cascade: z.array(CascadeStageSchema).optional(),
    /** Tried in order: the first that matches chooses the model. */
    rules: z.array(RuleSchema).min(1).optional(),
    /** The model when no rule matches. */
    default: z.string().min(1).optional(),
  })
  .superRefine((route, ctx) => {
    if ((route.cascade === undefined) === (route.rules === undefined))
      ctx.addIssue({ code: 'custom', message: 'a route has either "cascade" or "rules" (with "default")' });
    if (route.rules !== undefined && route.default === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: 'required with "rules": the model when none matches',
      });
    if (route.cascade !== undefined && route.default !== undefined)
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'only a route with "rules" has a default' });
    if (route.cascade !== undefined) checkCascade(route.cascade, ctx);
  });

function checkCascade(stages: ReadonlyArray<z.infer<typeof CascadeStageSchema>>, ctx: z.RefinementCtx): void {
  if (stages.length < 2) ctx.addIssue({ code: 'custom', path: ['cascade'], message: 'needs two models or more' });
  const seen = new Set<string>();
  stages.forEach((stage, index) => {
    const last = index === stages.length - 1;
    const path = ['cascade', index];
    if (seen.has(stage.model))
      ctx.addIssue({ code: 'custom', path: [...path, 'model'], message: `"${stage.model}" is listed twice` });
    seen.add(stage.model);
    if (!last && stage.min_confidence === undefined)
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'min_confidence'],
        message: 'required: below it an item goes on to the next model',
      });
    if (last && stage.min_confidence !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'min_confidence'],
        message: 'the last model answers every item it is given: it has no min_confidence',
      });
    if (last && stage.escalate_labels !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'escalate_labels'],
        message: 'the last model answers every item it is given: it has no escalate_labels',
      });
  });
}

export const RoutesSchema = z
  .array(RouteSchema)
  .superRefine((routes, ctx) => {
    const seen = new Set<string>();
    routes.forEach((route, index) => {
      if (seen.has(route.name))
        ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `route "${route.name}" is listed twice` });
      seen.add(route.name);
    });
  })
  .optional();

export type RouteConfig = z.infer<typeof RouteSchema>;
export type RuleConditions = z.infer<typeof WhenSchema>;

/**
 * A cascade's model: an item it is less sure of than `minConfidence`, or labels with one of
 * `escalateLabels`, goes on (the last model has neither and answers all).
 */
export interface CascadeStageSpec {
  readonly model: string;
  readonly minConfidence: number | undefined;
  readonly escalateLabels?: ReadonlySet<string>;
}

export interface RuleSpec {
  readonly when: RuleConditions;
  readonly model: string;
}

/** A route as the serving code reads it. */
export type RouteSpec =
  | { readonly kind: 'cascade'; readonly name: string; readonly stages: readonly CascadeStageSpec[] }
  | { readonly kind: 'rules'; readonly name: string; readonly rules: readonly RuleSpec[]; readonly default: string };

/** The route the embedded default models are served with, when `routes` is not set (see `servedRoutes`). */
export const DEFAULT_TRIAGE_ROUTE: RouteConfig = Object.freeze({
  name: 'triage',
  cascade: [{ model: 'triage-small', min_confidence: 0.9 }, { model: 'triage-large' }],
});

/**
 * The routes to serve: the configured ones, or, when `routes` is absent and the default
 * repository gets the embedded models built into it, the `triage` cascade over them.
 */
export function servedRoutes(
  routes: readonly RouteConfig[] | undefined,
  models: { readonly repository: string; readonly build_defaults: boolean },
  defaultRepository: string,
  cwd = process.cwd(),
): RouteSpec[] {
  const defaults = models.build_defaults && resolve(cwd, models.repository) === resolve(cwd, defaultRepository);
  return (routes ?? (defaults ? [DEFAULT_TRIAGE_ROUTE] : [])).map(toSpec);
}

export function toSpec(route: RouteConfig): RouteSpec {
  if (route.cascade !== undefined)
    return {
      kind: 'cascade',
      name: route.name,
      stages: route.cascade.map((stage) => ({
        model: stage.model,
        minConfidence: stage.min_confidence,
        ...(stage.escalate_labels === undefined ? {} : { escalateLabels: new Set(stage.escalate_labels) }),
      })),
    };
  if (route.rules === undefined || route.default === undefined)
    throw new Error(`route "${route.name}" has neither a cascade nor rules with a default (the schema checks it)`);
  return { kind: 'rules', name: route.name, rules: route.rules, default: route.default };
}
