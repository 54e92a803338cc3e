/**
 * The one interface every model answers through: a local model version, a remote model,
 * or a composition of targets (fallbacks now; cascades, canary splits and shadow pairs
 * later). The pipeline resolves a target, prepares the request for it, and dispatches;
 * it never asks which kind of target it holds.
 *
 *   prepare(request) ─► PreparedCall ─► run(dispatch) ─► Answer (rows | document | stream | rejection)
 */
import type { SluiceError } from '../core/errors.ts';
import type { Row } from '../core/tensors.ts';
import type { Ticket } from '../core/ticket.ts';
import type { Writable } from 'node:stream';
import type { ModelAdjustments } from './adjustments.ts';
import type { TicketScheduling } from './admit.ts';
import type { ModelDescription } from './model-description.ts';
import type { InferenceRequest, Item } from './request.ts';

/** The few log calls a target makes (pino's signature). */
export interface TargetLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface Target {
  readonly name: string;
  readonly version: string;
  /** Who serves it, as `/v1/models` shows it (`sluice` for local models, the backend's name for remote ones). */
  readonly owner: string;
  /** Priority levels and timeouts for the admit stage. */
  readonly scheduling: TicketScheduling;
  /** Takes traffic now; when not, `state` says why. */
  readonly ready: boolean;
  readonly state: string;
  /** The model's fields and outputs, when sluice knows them (local models). */
  readonly description: ModelDescription | undefined;
  /**
   * Checks the request and does the work that needs no slot (decoding, preprocessing).
   * `asker` is for targets that choose by who asks (a route's rules); others ignore it.
   */
  prepare(request: InferenceRequest, asker?: Asker): Promise<PreparedCall>;
  /**
   * The model's metadata in the Open Inference Protocol's schema (name, versions, platform,
   * inputs, outputs, parameters): sluice's own for a model it knows the inside of, the
   * upstream's (a document, or its refusal) for a proxy of a server that has it.
   */
  metadata(context: ProbeContext, known: { readonly versions: readonly string[] }): Promise<Answer>;
  /** Whether the model is ready, asking its server where there is one; the version when it is known. */
  probeReady(context: ProbeContext): Promise<Readiness>;
  /** Load statistics (batches, queues, sheds, instances), when the target keeps them. */
  statistics(): Readonly<Record<string, unknown>> | undefined;
}

/** Who sends a request, as a route's rules read it (a RequestContext is one). */
export interface Asker {
  readonly tenant: { readonly name: string };
  /** The request's headers (gRPC: its text metadata), names in lower case; undefined where there are none. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
}

export interface PreparedCall {
  run(dispatch: Dispatch): Promise<Answer>;
  /** The items as the model reads them, once decoded and checked (local models): what data quality watches. */
  readonly items?: readonly Item[];
  /** What validation changed in them (normalised, filled, sent to a fallback), per model; undefined: nothing. */
  readonly adjustments?: readonly ModelAdjustments[];
  /** The same call on some of the items only, rows in the order given (a per-item cache runs its misses). */
  forItems?(indices: readonly number[]): PreparedCall;
  /**
   * The models this call may run, when it is not simply its target: a rule's chosen model,
   * or every stage of a cascade (an item may reach each). Budgets reserve what they may cost.
   */
  readonly mayRun?: readonly Target[];
}

/** What the dispatch stage hands a prepared call. */
export interface Dispatch {
  readonly ticket: Ticket;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  readonly requestId: string;
  readonly log: TargetLog;
  /** When the request arrived, on `performance.now()`'s scale. */
  readonly receivedAt: number;
  /** The same request's ticket for another target's scheduling (a composition's other arms). */
  ticketFor(scheduling: TicketScheduling): Ticket;
}

/**
 * The same dispatch with another ticket or signal (a composition's arm, a shared run). Read
 * through, not spread: a dispatch's signal may be a getter that makes it on first use.
 */
export function dispatchWith(dispatch: Dispatch, change: { ticket?: Ticket; signal?: AbortSignal }): Dispatch {
  const { ticket = dispatch.ticket, signal } = change;
  return {
    ticket,
    get signal() {
      return signal ?? dispatch.signal;
    },
    requestId: dispatch.requestId,
    log: dispatch.log,
    receivedAt: dispatch.receivedAt,
    ticketFor: (scheduling) => dispatch.ticketFor(scheduling),
  };
}

export type ProbeContext = Pick<Dispatch, 'signal' | 'requestId' | 'log'>;

export interface Readiness {
  readonly ready: boolean;
  /** Undefined where the model's server chooses the version (a remote KServe v2 model not pinned). */
  readonly version: string | undefined;
}

/** Who answered, and how: set by the target that actually ran the request. */
export interface Provenance {
  readonly model: string;
  readonly version: string;
  /** The route decision: `direct`, `fallback:<model>`, `cache-hit`, `cascade:<n>`, `rule:<n>`; later `canary:<arm>`. */
  readonly route: string;
  /** Time spent in the model or the upstream, the part of the total that is not sluice's. */
  readonly engineMs: number;
}

export type Answer = RowsAnswer | DocumentAnswer | StreamAnswer | RejectionAnswer;

/** A local model's outputs, one row per item, in item order. */
export interface RowsAnswer {
  readonly kind: 'rows';
  readonly provenance: Provenance;
  readonly model: ModelDescription;
  readonly rows: readonly Row[];
  /** Longest wait in the batch queue among the request's items. */
  readonly queueMs: number;
  /** Rows read from the per-item cache, not run by the model (src/cost/cache); absent: none. */
  readonly cachedItems?: number;
  /** Who answered each item, in item order, when items of one request may be answered by different models (a cascade). */
  readonly itemProvenance?: readonly ItemProvenance[];
  /** Each model that ran for the answer and on how many items, when more than one did (a cascade): what each is charged. */
  readonly runs?: readonly ModelRun[];
}

export type ItemProvenance = Pick<Provenance, 'model' | 'version' | 'route'>;

/** A model run beside a request's answer (the semantic cache's embedding): a local model's items, or a remote one's tokens. */
export type SideRun = ModelRun | TokenRun;

export interface TokenRun {
  readonly model: string;
  readonly version: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface ModelRun {
  readonly model: string;
  readonly version: string;
  readonly cost: ModelDescription['cost'];
  /** Items the model was given, and how many of them its per-item cache answered. */
  readonly items: number;
  readonly cachedItems: number;
}

/** A JSON answer in the request's own API family (a remote model's). */
export interface DocumentAnswer {
  readonly kind: 'document';
  readonly provenance: Provenance;
  readonly status: number;
  readonly document: Readonly<Record<string, unknown>>;
}

/** A stream of server-sent events, relayed to `sink` once its head is written. */
export interface StreamAnswer {
  readonly kind: 'stream';
  readonly provenance: Provenance;
  relay(sink: Writable, control: RelayControl): Promise<StreamEnd>;
  /** Closes the stream unread (the request failed before it was relayed). */
  discard(): void;
}

export interface RelayControl {
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** The data of the last event of a stream that fails midway, in the client's error envelope. */
  readonly errorEvent: (failure: SluiceError) => unknown;
}

export interface StreamEnd {
  /** The stream reached its end marker. */
  readonly completed: boolean;
  readonly clientGone: boolean;
  /** What an OpenAI generation stream said of itself on the way (a remote model's); undefined for others. */
  readonly summary?: StreamSummary;
}

/** Known only once a stream has ended: its usage comes in its last chunks. */
export interface StreamSummary {
  /** The upstream's `usage.prompt_tokens`, when the stream reported usage. */
  readonly promptTokens: number | undefined;
  /** The upstream's `usage.completion_tokens`, else the streamed text counted with sluice's tokenizer. */
  readonly completionTokens: number;
  /** Each choice's `finish_reason`. */
  readonly finishReasons: readonly string[];
  /** Why the stream failed midway, when it did (the client got it as the stream's last event). */
  readonly failure: SluiceError | undefined;
}

/** The model's server refused the request (4xx): its status, its body and its Retry-After. */
export interface RejectionAnswer {
  readonly kind: 'rejection';
  readonly provenance: Provenance;
  readonly status: number;
  /** The body as the server sent it. */
  readonly text: string;
  readonly failure: SluiceError;
  readonly retryAfter: string | undefined;
}
