/**
 * A cascade as one target: its first model answers every item; an item that model is less
 * sure of than its `min_confidence` goes on to the next, and so on, the last answering
 * what is left. A batch of 10 with 3 unsure items sends those 3 only, and the rows come
 * back in item order. Each model is asked through its own queue, with a ticket of its own
 * scheduling from the same arrival, so its load control applies as to any request.
 *
 *   items ─► model 1 ─► sure ─────────────────────────► rows, in item order
 *                  └──► unsure ─► model 2 ─► sure ──────┘
 *                                       └──► unsure ─► …
 *
 * The answer's route names the last model any item reached (`cascade:<n>`); each item's
 * own is in `itemProvenance`, and each model's work in `runs`, which the ledger charges.
 */
import type { Row } from '../../core/tensors.ts';
import type { InferenceRequest } from '../../pipeline/request.ts';
import type {
  Answer,
  Dispatch,
  ItemProvenance,
  ModelRun,
  PreparedCall,
  ProbeContext,
  Readiness,
  RowsAnswer,
  Target,
} from '../../pipeline/target.ts';
import type { TicketScheduling } from '../../pipeline/admit.ts';
import type { ModelDescription } from '../../pipeline/model-description.ts';
import { assembleInOrder, splitByConfidence, topConfidence, topLabel, type PlacedRows } from './escalation.ts';
import type { CascadeStageSpec } from './route-config.ts';
import { ROUTE_VERSION, type RouteModels } from './route-models.ts';
import { dispatchWith } from '../../pipeline/target.ts';

interface Stage {
  readonly target: Target;
  readonly minConfidence: number | undefined;
  readonly escalateLabels?: ReadonlySet<string>;
}

export class CascadeTarget implements Target {
  readonly owner = 'sluice';
  readonly version = ROUTE_VERSION;

  constructor(
    private readonly stages: readonly CascadeStageSpec[],
    private readonly models: RouteModels,
  ) {}

  get name(): string {
    return this.models.route;
  }
  get scheduling(): TicketScheduling {
    return this.first().scheduling;
  }
  get ready(): boolean {
    return this.models.readiness(this.names()).ready;
  }
  get state(): string {
    return this.models.readiness(this.names()).state;
  }
  get description(): ModelDescription | undefined {
    return this.models.find((this.stages[0] as CascadeStageSpec).model)?.description;
  }

  async prepare(request: InferenceRequest): Promise<PreparedCall> {
    // Versions are fixed for the request's whole run: a version loaded midway does not answer half of it.
    const stages = this.stages.map((stage) => ({ ...stage, target: this.models.target(stage.model) }));
    const first = await (stages[0] as Stage).target.prepare(request);
    return {
      run: (dispatch) => runCascade(request, stages, first, dispatch),
      mayRun: stages.map((stage) => stage.target),
    };
  }

  metadata(context: ProbeContext): Promise<Answer> {
    const cascade = this.stages.map((stage) => ({
      model: stage.model,
      min_confidence: stage.minConfidence,
      ...(stage.escalateLabels === undefined ? {} : { escalate_labels: [...stage.escalateLabels] }),
    }));
    return this.models.metadata(this.names()[0] as string, context, { kind: 'cascade', cascade });
  }

  probeReady(context: ProbeContext): Promise<Readiness> {
    return this.models.probeReady(this.names(), context);
  }

  statistics(): undefined {
    return undefined;
  }

  private names(): string[] {
    return this.stages.map((stage) => stage.model);
  }

  private first(): Target {
    return this.models.target((this.stages[0] as CascadeStageSpec).model);
  }
}

async function runCascade(
  request: InferenceRequest,
  stages: readonly Stage[],
  first: PreparedCall,
  dispatch: Dispatch,
): Promise<RowsAnswer> {
  const parts: Array<PlacedRows<ItemProvenance>> = [];
  const runs: ModelRun[] = [];
  let pending: number[] | undefined; // undefined: every item, before the first model counted them
  let reached: RowsAnswer | undefined;
  let engineMs = 0;
  let queueMs = 0;
  for (const [position, stage] of stages.entries()) {
    const prepared = position === 0 ? first : await stage.target.prepare(someItems(request, pending ?? []));
    const ticket = position === 0 ? dispatch.ticket : dispatch.ticketFor(stage.target.scheduling);
    const answer = rowsOf(await prepared.run(dispatchWith(dispatch, { ticket })), stage.target.name);
    const items = pending ?? answer.rows.map((_row, index) => index);
    engineMs += answer.provenance.engineMs;
    queueMs += answer.queueMs;
    reached = answer;
    const confidences = answer.rows.map((row) => topConfidence(row, answer.model));
    const checked = stage.escalateLabels;
    const failsCheck = (at: number) =>
      checked !== undefined && checked.has(topLabel(answer.rows[at] as Row, answer.model) ?? '');
    const { kept, escalated } = splitByConfidence(confidences, stage.minConfidence, failsCheck);
    const { model, version } = answer.provenance;
    runs.push({ model, version, cost: answer.model.cost, items: items.length, cachedItems: answer.cachedItems ?? 0 });
    const tag = { model, version, route: `cascade:${position + 1}` };
    parts.push({ items: kept.map((at) => items[at] as number), rows: kept.map((at) => answer.rows[at] as Row), tag });
    pending = escalated.map((at) => items[at] as number);
    if (pending.length === 0) break;
  }
  if (reached === undefined) throw new Error('a cascade always has a first model');
  const count = parts.reduce((sum, part) => sum + part.items.length, 0);
  const { rows, tags } = assembleInOrder(count, parts);
  const route = `cascade:${parts.length}`;
  const provenance = { ...reached.provenance, route, engineMs };
  return { kind: 'rows', provenance, model: reached.model, rows, queueMs, itemProvenance: tags, runs };
}

/** The request narrowed to some of its items, decoded from the wire again for the next model's own inputs. */
function someItems(request: InferenceRequest, indices: readonly number[]): InferenceRequest {
  const { items } = request;
  if (items === undefined) throw new Error('a cascade runs on items (its first model read them)');
  return {
    ...request,
    items: {
      decode: (model) => {
        const all = items.decode(model);
        return indices.map((index) => all[index] as (typeof all)[number]);
      },
      label: (position) => items.label(indices[position] as number),
    },
  };
}

/** A classifier answers with rows; anything else here is a route the start-time checks should have refused. */
function rowsOf(answer: Answer, model: string): RowsAnswer {
  if (answer.kind !== 'rows') throw new Error(`model "${model}" answered a cascade with a ${answer.kind}, not rows`);
  return answer;
}
