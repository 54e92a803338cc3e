/**
 * What the quarantine keeps of a refused request, and how it is made safe to keep. A request
 * is quarantined when the pipeline refused it for its data: the validate stage found rules it
 * breaks (a local model's items, an OpenAI body against its schema), or the decoding of its
 * tensors failed. The request path only notes the rejection (`rejectionOf`, no copying); the
 * writer turns it into an entry off the request path (`quarantineEntry`): failures bounded and
 * tied to their item, and everything redacted by the project's redactor before it is stored.
 */
import type { ErrorCode, RequestFailure, SluiceError } from '../../core/errors.ts';
import { redactValue } from '../../observe/redact/redactor.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import type { InferenceRequest, ItemLabel } from '../../pipeline/request.ts';
import type { QuarantineEntry, QuarantineFailure } from '../../state/store.ts';

/** A refused request as the request path notes it: references only, read when it is written. */
export interface Rejection {
  readonly model: string;
  readonly version: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly code: ErrorCode;
  readonly failures: readonly RequestFailure[];
  /** How the protocol names item i in a failure's field; undefined for a request without items (chat). */
  readonly label: ItemLabel | undefined;
  /** The request's body as its protocol writes it; a binary request's JSON form is only made when read. */
  readonly body: () => unknown;
}

/** What of a request's context a rejection reads. */
export interface RejectedContext {
  readonly target?: { readonly name: string; readonly version: string } | undefined;
  readonly prepared?: RequestContext['prepared'];
  readonly request: Pick<InferenceRequest, 'items' | 'document'>;
}

/** Failures kept per entry; `failuresTotal` counts them all. A 1,000-item batch can break thousands. */
export const MAX_FAILURES = 100;
/** The redactor's walk of a payload: a large body is cut (`[REDACTED:size]`) rather than scanned whole. */
const PAYLOAD_LIMITS = { maxDepth: 16, maxNodes: 2_000, maxChars: 16_384 };
/** A redacted payload longer than this as JSON (long keys, which the redactor keeps) is not kept. */
export const MAX_PAYLOAD_CHARS = 65_536;

/** Codes a request gets for its data when it carries no failure list (a tensor that cannot be decoded). */
const DATA_CODES: ReadonlySet<ErrorCode> = new Set([
  'ERR_REQUEST_INVALID',
  'ERR_REQUEST_EMPTY_INPUT',
  'ERR_TENSOR_UNKNOWN_INPUT',
  'ERR_TENSOR_MISSING_INPUT',
  'ERR_TENSOR_DATATYPE',
  'ERR_TENSOR_SHAPE',
  'ERR_TENSOR_DATA',
]);

/**
 * The rejection to quarantine, or undefined when the request was not refused for its data:
 * only a failure of the validate stage counts (a model was resolved, nothing was prepared), so
 * a refusal under load, an auth failure or a model's own error never lands here.
 */
export function rejectionOf(context: RejectedContext, failure: SluiceError, at: number): Rejection | undefined {
  const { target, prepared, request } = context;
  if (target === undefined || prepared !== undefined) return undefined;
  const listed = failure.failures !== undefined && failure.failures.length > 0;
  if (!listed && !DATA_CODES.has(failure.code)) return undefined;
  return {
    model: target.name,
    version: target.version,
    at,
    code: failure.code,
    failures: listed ? (failure.failures ?? []) : [{ field: failure.field ?? '', rule: failure.message }],
    label: request.items?.label,
    body: () => request.document,
  };
}

/** The entry to store: failures bounded and tied to their item, failures and payload redacted. */
export function quarantineEntry(rejection: Rejection): QuarantineEntry {
  const failures: QuarantineFailure[] = rejection.failures.slice(0, MAX_FAILURES).map((failure) => ({
    item: itemOf(failure.field, rejection.label),
    field: failure.field,
    rule: failure.rule,
  }));
  return {
    model: rejection.model,
    version: rejection.version,
    time: new Date(rejection.at).toISOString(),
    code: rejection.code,
    // A rule can quote the request (`unknown field "<name>"`): failures are redacted like the payload.
    failures: redactValue(failures) as QuarantineFailure[],
    failuresTotal: rejection.failures.length,
    payload: redactedPayload(rejection.body),
  };
}

function redactedPayload(body: () => unknown): unknown {
  let payload: unknown;
  try {
    payload = redactValue(body(), PAYLOAD_LIMITS);
    const text = JSON.stringify(payload);
    return text === undefined || text.length <= MAX_PAYLOAD_CHARS ? payload : '[REDACTED:size]';
  } catch {
    // A body the redactor hands back unserialisable (a bigint) or one that cannot be read.
    return '[REDACTED:unreadable]';
  }
}

/**
 * The item a failure's field names (`instances[3].age` → 3), checked against the protocol's
 * own label for that item; null when it names none (a chat message, the body as a whole).
 */
export function itemOf(field: string, label: ItemLabel | undefined): number | null {
  if (label === undefined) return null;
  const digits = /\d+/.exec(field)?.[0];
  const candidate = digits === undefined ? undefined : Number(digits);
  if (candidate !== undefined && Number.isSafeInteger(candidate) && names(field, label(candidate))) return candidate;
  // A protocol that names its single item without an index (`input` for one string).
  return names(field, label(0)) ? 0 : null;
}

function names(field: string, itemLabel: string): boolean {
  if (!field.startsWith(itemLabel)) return false;
  const next = field[itemLabel.length];
  return next === undefined || next === '.' || next === '[' || next === ':';
}
