/**
 * Errors on the wire. Stages throw SluiceError; this is the only place that knows
 * what each protocol's error body looks like.
 */
import type { FastifyError } from 'fastify';
import { SluiceError, toSluiceError, type RequestFailure } from '../core/errors.ts';
import type { Protocol } from '../pipeline/context.ts';

export type WireProtocol = Protocol | 'admin';

export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string;
    /** Sluice's addition when a request was checked whole: each failure as its own param and message. */
    failures?: Array<{ param: string; message: string }>;
  };
}

export interface KServeErrorBody {
  error: string;
}

/** What the wire shows of an error: a SluiceError, or the admission gate's plain refusal. */
export interface WireError {
  readonly code: SluiceError['code'];
  readonly status: number;
  readonly message: string;
  readonly field?: string | undefined;
  readonly retryAfterMs?: number | undefined;
  readonly failures?: readonly RequestFailure[] | undefined;
}

export function errorBody(protocol: WireProtocol, error: WireError): OpenAIErrorBody | KServeErrorBody {
  // Sluice's own admin API takes OpenAI's structured form: the code and the field are in the body.
  if (protocol !== 'openai' && protocol !== 'admin') return { error: error.message };
  const body: OpenAIErrorBody = {
    error: {
      message: error.message,
      type: openAIErrorType(error.status),
      param: error.field ?? null,
      code: error.code.toLowerCase(),
    },
  };
  // An extra key: OpenAI's clients keep the error object as it came and read only the keys they know.
  if (error.failures !== undefined) {
    body.error.failures = error.failures.map((failure) => ({ param: failure.field, message: failure.rule }));
  }
  return body;
}

function openAIErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The headers every error carries: its registry code and, for a 429, when to retry. */
export function errorHeaders(error: WireError): Record<string, string> {
  const headers: Record<string, string> = { 'x-sluice-error-code': error.code };
  if (error.retryAfterMs !== undefined) {
    headers['retry-after'] = retryAfterSeconds(error.retryAfterMs);
    headers['retry-after-ms'] = String(Math.ceil(error.retryAfterMs));
  }
  return headers;
}

/**
 * errorHeaders' fields for a refusal written straight to Node's response, with the body's
 * type and the request id, as one literal of a fixed shape: the admission screen sends one
 * for every refusal, and spreading errorHeaders' object into another made Node's header
 * loop a few µs dearer each time.
 */
export function refusalHeaders(refusal: WireError & { readonly retryAfterMs: number }, requestId: string) {
  return {
    'x-sluice-error-code': refusal.code,
    'retry-after': retryAfterSeconds(refusal.retryAfterMs),
    'retry-after-ms': String(Math.ceil(refusal.retryAfterMs)),
    'content-type': 'application/json; charset=utf-8',
    'x-request-id': requestId,
  };
}

/** Retry-After is whole seconds (RFC 9110); the precise figure rides along in `retry-after-ms`. */
function retryAfterSeconds(retryAfterMs: number): string {
  return String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
}

/** Fastify's own request errors (body parsing, limits) in the registry's terms. */
export function fromFastifyError(error: FastifyError | SluiceError | Error): SluiceError {
  if (error instanceof SluiceError) return error;
  const code = (error as FastifyError).code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SluiceError('ERR_REQUEST_BODY_TOO_LARGE', 'request body is larger than the server accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SluiceError(
        'ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE',
        'request body must be JSON (content-type: application/json)',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new SluiceError('ERR_REQUEST_MALFORMED_JSON', 'request body is empty; a JSON object is required');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new SluiceError('ERR_REQUEST_MALFORMED_JSON', `request body is not valid JSON: ${error.message}`);
  }
  const status = (error as FastifyError).statusCode;
  if (error instanceof SyntaxError || (status === 400 && /JSON/i.test(error.message))) {
    return new SluiceError('ERR_REQUEST_MALFORMED_JSON', `request body is not valid JSON: ${error.message}`);
  }
  if (status !== undefined && status >= 400 && status < 500)
    return new SluiceError('ERR_REQUEST_INVALID', error.message);
  return toSluiceError(error);
}

/** Which envelope a URL gets when the failure happens before any route claims it. */
export function protocolOfUrl(url: string): WireProtocol {
  if (url.startsWith('/v2')) return 'kserve-v2';
  if (/^\/v1\/models\/[^/]+:predict/.test(url)) return 'kserve-v1';
  if (url.startsWith('/v1')) return 'openai';
  return 'admin';
}
