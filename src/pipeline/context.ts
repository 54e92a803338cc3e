/** The typed per-request context that pipeline stages read and write. */
import type { Ticket } from '../core/ticket.ts';
import type { Caller, Tenant } from '../tenancy/tenant-directory.ts';
import type { InferenceRequest } from './request.ts';
import type { Answer, PreparedCall, SideRun, Target, TargetLog } from './target.ts';

export interface RequestContext {
  readonly requestId: string;
  readonly protocol: Protocol;
  /** On `performance.now()`'s scale. */
  readonly receivedAt: number;
  readonly request: InferenceRequest;
  readonly tenant: Tenant;
  /** Who sent it: the tenant and the key (its id, scopes, the models it may call). */
  readonly caller: Caller;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  readonly log: TargetLog;
  /** Set by resolve: the model version the request names. */
  target?: Target;
  /** Set by validate. */
  prepared?: PreparedCall;
  /** Set by admit. */
  ticket?: Ticket;
  /** Set by dispatch, or by a stage before it that answers on its own (a cache hit). */
  answer?: Answer;
  /** Models run for the request besides its target (the semantic cache's embedding): charged with its answer. */
  sideRuns?: SideRun[];
  /** Set by the limits stage: the limits past their soft ratio, sent as `x-sluice-budget-warning` (src/cost/limits). */
  budgetWarning?: string;
  /** What the request's headers asked of caches; undefined: nothing (src/cost/cache). */
  readonly cacheDirectives?: CacheDirectives;
  /** The request's headers, names in lower case, for a route's rules (src/cost/routing). */
  readonly headers?: RequestHeaders;
}

export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** `Cache-Control: no-cache` / `no-store`, and `x-sluice-cache: allow` (a sampled answer may be reused). */
export interface CacheDirectives {
  readonly noCache: boolean;
  readonly noStore: boolean;
  readonly allowSampled: boolean;
}

/** The API a request came in on (a metric label). */
export type Protocol = 'openai' | 'kserve-v1' | 'kserve-v2' | 'kserve-v2-grpc';

/** What a transport (HTTP, gRPC) knows of a call before the pipeline runs. */
export interface CallInfo {
  readonly requestId: string;
  readonly protocol: Protocol;
  /** On `performance.now()`'s scale. */
  readonly receivedAt: number;
  readonly signal: AbortSignal;
  readonly log: TargetLog;
  readonly cacheDirectives?: CacheDirectives;
  readonly headers?: RequestHeaders;
}

/**
 * `call.signal` may be a getter that makes the signal on first use: it is read through, not
 * copied. A class, not a literal: its getter lives on the prototype, and every field is set
 * at construction, so contexts share one shape and no closure is made per request.
 */
class PipelineContext implements RequestContext {
  readonly requestId: string;
  readonly protocol: Protocol;
  readonly receivedAt: number;
  readonly log: TargetLog;
  readonly cacheDirectives: CacheDirectives | undefined;
  readonly headers: RequestHeaders | undefined;
  readonly tenant: Tenant;
  target: Target | undefined = undefined;
  prepared: PreparedCall | undefined = undefined;
  ticket: Ticket | undefined = undefined;
  answer: Answer | undefined = undefined;
  sideRuns: SideRun[] | undefined = undefined;
  budgetWarning: string | undefined = undefined;

  constructor(
    private readonly call: CallInfo,
    readonly request: InferenceRequest,
    readonly caller: Caller,
  ) {
    this.requestId = call.requestId;
    this.protocol = call.protocol;
    this.receivedAt = call.receivedAt;
    this.log = call.log;
    this.cacheDirectives = call.cacheDirectives;
    this.headers = call.headers;
    this.tenant = caller.tenant;
  }

  get signal(): AbortSignal {
    return this.call.signal;
  }
}

export function createContext(call: CallInfo, request: InferenceRequest, caller: Caller): RequestContext {
  return new PipelineContext(call, request, caller);
}

export type AnsweredContext = RequestContext & { readonly target: Target; readonly answer: Answer };
