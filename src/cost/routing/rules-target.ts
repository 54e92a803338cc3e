/**
 * A route whose rules choose one model per request (rule-match.ts): the first rule that
 * matches, else the default. The chosen model is asked as if named, through its own queue
 * and with a ticket of its own scheduling; the answer's route says why (`rule:<n>`, the
 * rule's position from 1, or `rule:default`).
 */
import type { TicketScheduling } from '../../pipeline/admit.ts';
import type { ModelDescription } from '../../pipeline/model-description.ts';
import type { InferenceRequest } from '../../pipeline/request.ts';
import type { Answer, Asker, PreparedCall, ProbeContext, Readiness, Target } from '../../pipeline/target.ts';
import type { RuleSpec } from './route-config.ts';
import { ROUTE_VERSION, type RouteModels } from './route-models.ts';
import { documentChars, firstMatch, longestItemChars, type RequestFeatures } from './rule-match.ts';
import { dispatchWith } from '../../pipeline/target.ts';

export class RulesTarget implements Target {
  readonly owner = 'sluice';
  readonly version = ROUTE_VERSION;

  constructor(
    private readonly rules: readonly RuleSpec[],
    private readonly fallback: string,
    private readonly models: RouteModels,
  ) {}

  get name(): string {
    return this.models.route;
  }
  get scheduling(): TicketScheduling {
    return this.models.target(this.fallback).scheduling;
  }
  get ready(): boolean {
    return this.models.readiness(this.names()).ready;
  }
  get state(): string {
    return this.models.readiness(this.names()).state;
  }
  get description(): ModelDescription | undefined {
    return this.models.find(this.fallback)?.description;
  }

  async prepare(request: InferenceRequest, asker?: Asker): Promise<PreparedCall> {
    const position = firstMatch(this.rules, this.features(request, asker));
    const target = this.models.target(
      position === undefined ? this.fallback : (this.rules[position] as RuleSpec).model,
    );
    const route = position === undefined ? 'rule:default' : `rule:${position + 1}`;
    const prepared = await target.prepare({ ...request, model: target.name, version: undefined }, asker);
    const run: PreparedCall['run'] = async (dispatch) => {
      const answer = await prepared.run(dispatchWith(dispatch, { ticket: dispatch.ticketFor(target.scheduling) }));
      return { ...answer, provenance: { ...answer.provenance, route } };
    };
    // The items and what validation changed in them stay: data quality watches the model that answers.
    const { items, adjustments } = prepared;
    return {
      run,
      mayRun: [target],
      ...(items === undefined ? {} : { items }),
      ...(adjustments === undefined ? {} : { adjustments }),
    };
  }

  metadata(context: ProbeContext): Promise<Answer> {
    return this.models.metadata(this.fallback, context, { kind: 'rules', rules: this.rules, default: this.fallback });
  }

  probeReady(context: ProbeContext): Promise<Readiness> {
    return this.models.probeReady(this.names(), context);
  }

  statistics(): undefined {
    return undefined;
  }

  private names(): string[] {
    return [...new Set([...this.rules.map((rule) => rule.model), this.fallback])];
  }

  private features(request: InferenceRequest, asker: Asker | undefined): RequestFeatures {
    return {
      inputChars: () => this.inputChars(request),
      tenant: asker?.tenant.name,
      timeoutMs: request.limits.timeoutMs,
      headers: asker?.headers,
    };
  }

  /**
   * A request's items as the first of the route's models that can read them reads them
   * (rules' models in order, then the default); without items, or when none of them can
   * (a remote model's document), the document's prompt.
   */
  private inputChars(request: InferenceRequest): number {
    const { items } = request;
    if (items !== undefined) {
      for (const name of this.names()) {
        const description = this.models.find(name)?.description;
        if (description === undefined) continue;
        try {
          return longestItemChars(items.decode(description));
        } catch {
          // Not this model's inputs: the chosen model refuses the request itself if it cannot read it.
        }
      }
    }
    return documentChars(request.document);
  }
}
