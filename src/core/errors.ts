/**
 * Every error sluice returns, in one registry: a stable code and its HTTP status.
 * Stages throw `SluiceError`; only the protocol adapters turn one into an
 * OpenAI or KServe error envelope.
 */

export const ERROR_CODES = {
  ERR_REQUEST_MALFORMED_JSON: 400,
  ERR_REQUEST_BODY_TOO_LARGE: 413,
  ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_REQUEST_INVALID: 400,
  ERR_REQUEST_EMPTY_INPUT: 400,
  ERR_REQUEST_PRIORITY: 400,
  ERR_REQUEST_TIMEOUT: 400,
  ERR_AUTH_MISSING_KEY: 401,
  ERR_AUTH_INVALID_KEY: 401,
  ERR_AUTH_KEY_REVOKED: 401,
  ERR_AUTH_KEY_EXPIRED: 401,
  /** The key is good but lacks the scope the route declares (src/http/route-scopes.ts). */
  ERR_AUTH_SCOPE: 403,
  ERR_AUTH_MODEL_FORBIDDEN: 403,
  /** A route with no scope in the table: denied by default. */
  ERR_AUTH_ROUTE_UNDECLARED: 403,
  ERR_ADMIN_INVALID: 400,
  ERR_ADMIN_NOT_FOUND: 404,
  ERR_ADMIN_CONFLICT: 409,
  /** The state store (SQLite or PostgreSQL) failed. */
  ERR_STORE_UNAVAILABLE: 503,
  ERR_MODEL_NOT_FOUND: 404,
  ERR_MODEL_VERSION_NOT_FOUND: 404,
  ERR_MODEL_NOT_READY: 503,
  ERR_MODEL_UNSUPPORTED_OPERATION: 400,
  /** A reference was asked of a window of live traffic that holds no answered items yet. */
  ERR_QUALITY_WINDOW_EMPTY: 409,
  /** A reference captured from live traffic cannot give a field the model fills from its reference: nothing was changed. */
  ERR_QUALITY_REFERENCE_UNUSABLE: 409,
  ERR_TENSOR_UNKNOWN_INPUT: 400,
  ERR_TENSOR_MISSING_INPUT: 400,
  ERR_TENSOR_DATATYPE: 400,
  ERR_TENSOR_SHAPE: 400,
  ERR_TENSOR_DATA: 400,
  ERR_TENSOR_UNKNOWN_OUTPUT: 400,
  ERR_ROUTE_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_SERVER_SHUTTING_DOWN: 503,
  ERR_BATCHER_CLOSED: 503,
  ERR_ADMISSION_QUEUE_FULL: 429,
  ERR_ADMISSION_PREDICTED_MISS: 429,
  /** Refused at the HTTP layer, before the body was read: the server as a whole is overloaded. */
  ERR_ADMISSION_OVERLOADED: 429,
  ERR_DEADLINE_EXCEEDED: 504,
  /** A tenant's or key's requests or tokens per minute are used up (src/cost/limits); Retry-After at the window's end. */
  ERR_RATE_LIMITED: 429,
  /** A tenant's or key's spend per day or per month is used up (src/cost/limits); Retry-After at the window's end. */
  ERR_BUDGET_EXCEEDED: 429,
  /** The shared limits store (Redis) is unreachable and the limit is fail_closed. */
  ERR_LIMITS_UNAVAILABLE: 503,
  ERR_INFERENCE_FAILED: 500,
  /** Remote backends (src/engines/remote): every replica tried failed to connect or answered 5xx. */
  ERR_UPSTREAM_UNAVAILABLE: 502,
  /** No replica of the backend can take the request: all failing their active health check, ejected, or behind open breakers. */
  ERR_UPSTREAM_NO_REPLICA: 503,
  /** Every replica of the backend that is up asked for a pause with `Retry-After` (429) that has not run out. */
  ERR_UPSTREAM_RATE_LIMITED: 429,
  /** Every replica of the backend that is up has as many requests in flight as its adaptive concurrency limit allows. */
  ERR_UPSTREAM_CONCURRENCY_LIMIT: 429,
  /** The upstream answered something that is not a valid answer: bad JSON, wrong content type, a truncated stream, a reset. */
  ERR_UPSTREAM_BAD_RESPONSE: 502,
  ERR_UPSTREAM_TIMEOUT: 504,
  /** The upstream refused the request (4xx); its own status and error body are passed through, so 400 here is nominal. */
  ERR_UPSTREAM_REJECTED: 400,
  ERR_INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * 5xx the server gives by design, not faults: while it starts, shuts down or closes a model,
 * when a request's deadline passes in a queue, when no replica of a backend can take it.
 * An error line with a stack for every one would bury real faults under thousands of them
 * during a deploy or under load; they are logged at info with their code.
 */
const BY_DESIGN_CODES: ReadonlySet<ErrorCode> = new Set([
  'ERR_SERVER_SHUTTING_DOWN',
  'ERR_MODEL_NOT_READY',
  'ERR_BATCHER_CLOSED',
  'ERR_DEADLINE_EXCEEDED',
  'ERR_UPSTREAM_NO_REPLICA',
]);

/** A server-side status that reports a fault, which operators need to see logged as an error. */
export function isServerFault(code: ErrorCode, status: number): boolean {
  return status >= 500 && !BY_DESIGN_CODES.has(code);
}

/**
 * The upstream cannot be reached or takes no more now (the 429s: it sheds), and nothing has
 * reached the client: another model may answer, and a readiness probe says "not ready".
 */
const UPSTREAM_UNAVAILABLE: ReadonlySet<ErrorCode> = new Set([
  'ERR_UPSTREAM_UNAVAILABLE',
  'ERR_UPSTREAM_NO_REPLICA',
  'ERR_UPSTREAM_RATE_LIMITED',
  'ERR_UPSTREAM_CONCURRENCY_LIMIT',
]);

export function isUpstreamUnavailable(code: ErrorCode): boolean {
  return UPSTREAM_UNAVAILABLE.has(code);
}

/** Load shed or refused by design (429, and the by-design 5xx): logged at info with its reason code. */
export function isShedding(code: ErrorCode, status: number): boolean {
  return status === 429 || (status >= 500 && BY_DESIGN_CODES.has(code));
}

/**
 * How an item's field broke its rule, as schema drift counts it: absent, not declared by the
 * model, null, of another type, outside its declared range, a category not declared, or
 * another rule of its schema (a pattern, a length, a unit not accepted).
 */
export const SCHEMA_FAILURE_KINDS = [
  'missing',
  'unknown',
  'null',
  'type_mismatch',
  'out_of_range',
  'new_category',
  'invalid',
] as const;
export type SchemaFailureKind = (typeof SCHEMA_FAILURE_KINDS)[number];

/** One rule a request breaks: the field path as the protocol writes it (`messages[2].content`) and the rule. */
export interface RequestFailure {
  readonly field: string;
  readonly rule: string;
  /** For a local model's items: the request field it concerns and how it broke, which data quality counts. */
  readonly schema?: { readonly input: string; readonly kind: SchemaFailureKind };
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** The request field or tensor the error is about, when there is one. */
  readonly field: string | undefined;
  /** For a 429: how long the client should wait before retrying; the HTTP layer sends it as `Retry-After`. */
  readonly retryAfterMs: number | undefined;
  /** Every rule the request breaks, when it was checked whole; `field` is the first one's, `message` lists them all. */
  readonly failures: readonly RequestFailure[] | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; cause?: unknown; retryAfterMs?: number; failures?: readonly RequestFailure[] } = {},
  ) {
    // A 4xx is an expected answer (bad input, a refusal under load), not a fault: nobody
    // reads its stack, and capturing one is a real share of a refusal's CPU under overload.
    const stackTraceLimit = Error.stackTraceLimit;
    if (ERROR_CODES[code] < 500) Error.stackTraceLimit = 0;
    try {
      super(message, options.cause === undefined ? undefined : { cause: options.cause });
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.name = 'SluiceError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.field = options.field;
    this.retryAfterMs = options.retryAfterMs;
    this.failures = options.failures;
  }
}

export function isSluiceError(error: unknown): error is SluiceError {
  return error instanceof SluiceError;
}

/** Any thrown value as a SluiceError; unknown failures become a 500 without leaking internals. */
export function toSluiceError(error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  return new SluiceError('ERR_INTERNAL', 'internal error', { cause: error });
}

/** What was thrown, as an Error (a thrown string or object wrapped), for logs and handlers that take one. */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
