/** The typed per-request context that pipeline stages read and write. */
import type { Ticket } from '../core/ticket.ts';
import type { Item } from '../engines/local/preprocess/index.ts';
import type { Tenant } from '../tenancy/tenant-directory.ts';
import type { RequestedLimits } from './admit.ts';
import type { Protocol } from '../observe/metrics.ts';
import type { ModelSpec } from '../engines/local/models/model-spec.ts';
import type { ServedModel } from '../engines/local/models/served-model.ts';
import type { Row } from '../core/tensors.ts';
import type { ItemLabel } from './validate-items.ts';

/** One inference request in protocol-neutral form, as the protocol adapters build it. */
export interface InferenceRequest {
  readonly model: string;
  readonly version: string | undefined;
  /** Reads the items out of the wire format, once the model (and so its inputs) is known. */
  readonly decode: (spec: ModelSpec) => readonly Item[];
  /** How the protocol names item `i` in error messages (`instances[3]`, `input[3]`, ...). */
  readonly itemLabel: ItemLabel;
  /** Priority and timeout the request asked for, if any. */
  readonly limits: RequestedLimits;
}

export interface InferenceTimings {
  /** Longest time any of the request's items waited in the batch queue. */
  queueMs: number;
  /** Longest batch execution among the request's items. */
  inferenceMs: number;
  totalMs: number;
}

export interface RequestContext {
  readonly requestId: string;
  readonly protocol: Protocol;
  readonly receivedAt: number;
  readonly request: InferenceRequest;
  readonly tenant: Tenant;
  /** Set by the validate stage. */
  model?: ServedModel;
  rows?: Row[];
  /** Set by the admit stage. */
  ticket?: Ticket;
  /** Set by the execute stage: one row of outputs per item, in item order. */
  outputs?: Row[];
  batchSizes?: number[];
  timings: InferenceTimings;
}

export function createContext(
  requestId: string,
  protocol: Protocol,
  request: InferenceRequest,
  tenant: Tenant,
  now: number,
): RequestContext {
  return { requestId, protocol, receivedAt: now, request, tenant, timings: { queueMs: 0, inferenceMs: 0, totalMs: 0 } };
}

export interface CompletedContext extends RequestContext {
  model: ServedModel;
  outputs: Row[];
}
