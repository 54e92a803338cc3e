/**
 * The cost ledger as a stage of the pipeline's observe slot: each answered request is
 * charged to its tenant, key, model, version and day (ledger.add, a map update). A local
 * model's rows are charged at once; a remote answer whose usage must be counted, and a
 * stream (whose usage is known only once relayed, to its end or to where its client left),
 * are charged on a later turn, off the request's path. Refused and failed requests cost
 * nothing. An answer is charged to the model and version its provenance names (the one
 * that answered, after a fallback), at that model's declared cost or prices; a cascade's,
 * to each model that ran, for the items it ran (one charge each, on the same turn).
 */
import type { PipelineStage } from '../../pipeline/pipeline.ts';
import { REUSED_ROUTES } from '../cache/cache-policy.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import type {
  DocumentAnswer,
  ModelRun,
  Provenance,
  RowsAnswer,
  SideRun,
  StreamAnswer,
  StreamEnd,
  TargetLog,
} from '../../pipeline/target.ts';
import { DEFAULT_ITEM_UNIT, UNPRICED, hitCharge, itemCharge, tokenCharge, type Charge } from './charge.ts';
import type { Price } from './ledger-config.ts';
import { answerTokens, reportedTokens, streamTokens, type Tokens } from './remote-tokens.ts';
import type { ChargeKey, UsageLedger } from './usage-ledger.ts';

/** What charging needs: prices, and where a charge that could not be counted is logged. */
export interface ChargeDeps {
  /** Remote models' prices, by sluice name; a model not here is unpriced. */
  readonly prices: ReadonlyMap<string, Price>;
  readonly log: Pick<TargetLog, 'warn'>;
}

export interface LedgerStageDeps extends ChargeDeps {
  readonly ledger: Pick<UsageLedger, 'add'>;
  /** The UTC day now, YYYY-MM-DD. */
  readonly day: () => string;
}

/** Hears an answered request's charge, at once or on a later turn (streams, counted usage). */
export type ChargeListener = (context: RequestContext, answer: Answered, charge: Charge) => void;

/** The key's id for a caller without one (auth off). */
export const ANONYMOUS_KEY = 'anonymous';

export function ledgerStage(deps: LedgerStageDeps): PipelineStage {
  const add: ChargeListener = (context, answer, charge) =>
    deps.ledger.add(chargeKey(deps.day, context, answer), charge);
  return { name: 'cost-ledger', run: (context) => void chargeAnswer(deps, context, add) };
}

/**
 * The request's charges, handed to `charged` once known: a charge per model that ran (the
 * answer's; a cascade's stages; models run beside it), on this turn, and for a remote answer
 * whose tokens must be counted, or a stream (replaced by one that tells it when relayed),
 * one more on a later turn. Returns whether that later charge is to come.
 */
export function chargeAnswer(deps: ChargeDeps, context: RequestContext, charged: ChargeListener): boolean {
  const { answer } = context;
  const settle = (made: Answered, charge: Charge) => charged(context, made, charge);
  for (const run of context.sideRuns ?? []) settle(chargedTo(answer?.provenance, run), runCharge(deps, run));
  if (answer?.kind === 'rows') chargeRows(deps, answer, settle);
  else if (answer?.kind === 'document') return chargeDocument(deps, context, answer, settle);
  else if (answer?.kind === 'stream') {
    context.answer = chargedStream(deps, context, answer, settle);
    return true;
  }
  return false;
}

type Settle = (answer: Answered, charge: Charge) => void;

/** A rows answer's charge, or one for each model that ran for it (a cascade), to that model and version. */
function chargeRows(deps: ChargeDeps, answer: RowsAnswer, settle: Settle): void {
  const items = answer.rows.length;
  const { cost } = answer.model;
  const { provenance, runs } = answer;
  if (REUSED_ROUTES.has(provenance.route)) return settle(answer, hitCharge(cost.unit ?? DEFAULT_ITEM_UNIT, items));
  if (runs === undefined) return settle(answer, itemCharge(cost, items, answer.cachedItems ?? 0));
  for (const run of runs) settle(chargedTo(provenance, run), runCharge(deps, run));
}

/** One model's run: a local model's items at its cost (a cascade's stage, an embedding), a remote one's tokens at its price. */
function runCharge(deps: ChargeDeps, run: SideRun): Charge {
  return 'cost' in run
    ? itemCharge(run.cost, run.items, run.cachedItems)
    : tokenCharge(deps.prices.get(run.model), run.inputTokens, run.outputTokens);
}

function chargedTo(provenance: Provenance | undefined, run: Pick<ModelRun, 'model' | 'version'>): Answered {
  const route = provenance?.route ?? 'direct';
  return { provenance: { route, engineMs: 0, ...provenance, model: run.model, version: run.version } };
}

/** Charges a document answer; true when its charge comes on a later turn (its tokens counted there). */
function chargeDocument(deps: ChargeDeps, context: RequestContext, answer: DocumentAnswer, settle: Settle): boolean {
  if (answer.status >= 400) return false;
  const { model, route } = answer.provenance;
  const price = deps.prices.get(model);
  const reported = reportedTokens(context.request, answer.document);
  if (REUSED_ROUTES.has(route)) settle(answer, hitCharge(price?.currency ?? UNPRICED, 0));
  // An Open Inference upstream has no tokens: the request is counted, at no cost.
  else if (context.request.family !== 'openai') settle(answer, tokenCharge(undefined, 0, 0));
  else if (reported !== undefined) settle(answer, charged(price, reported));
  else {
    later(deps, answer, settle, async () => charged(price, await answerTokens(context.request, answer.document)));
    return true;
  }
  return false;
}

/** The stream, charged once relayed: complete, failed midway, or cut off by its client, for what was sent. */
function chargedStream(deps: ChargeDeps, context: RequestContext, stream: StreamAnswer, settle: Settle): StreamAnswer {
  const price = deps.prices.get(stream.provenance.model);
  const ended = (end: StreamEnd | undefined) =>
    later(deps, stream, settle, async () => charged(price, await streamTokens(context.request, end?.summary)));
  return {
    ...stream,
    relay: (sink, control) =>
      stream.relay(sink, control).then(
        (end) => (ended(end), end),
        (error: unknown) => {
          ended(undefined);
          throw error;
        },
      ),
  };
}

function charged(price: Price | undefined, tokens: Tokens): Charge {
  return tokenCharge(price, tokens.input, tokens.output);
}

export type Answered = Pick<RowsAnswer, 'provenance'>;

/** Counting yields to the event loop: it starts on the next turn, after the answer is on its way. */
function later(deps: ChargeDeps, answer: Answered, settle: Settle, charge: () => Promise<Charge>): void {
  setImmediate(() => {
    charge()
      .then((made) => settle(answer, made))
      .catch((error: unknown) =>
        deps.log.warn({ err: error, model: answer.provenance.model }, 'cost ledger: usage not counted'),
      );
  });
}

function chargeKey(day: () => string, context: RequestContext, answer: Answered): ChargeKey {
  const { caller } = context;
  const { model, version } = answer.provenance;
  return { tenant: caller.tenant.name, key: caller.key?.id ?? ANONYMOUS_KEY, model, version, day: day() };
}
