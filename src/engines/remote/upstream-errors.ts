/**
 * What an undici failure means for the client, and whether another replica may be
 * tried: connection failures may (nothing reached the upstream's model, or it never
 * answered), timeouts and bad answers may not (trying again would double the wait or
 * repeat the same mistake).
 */
import type { Readable } from 'node:stream';
import { SluiceError } from '../../core/errors.ts';

export interface ClassifiedFailure {
  readonly retryable: boolean;
  readonly error: SluiceError;
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** A failed attempt to reach `where` ("backend \"x\" replica 127.0.0.1:9000"). */
export function classifyFailure(error: unknown, where: string): ClassifiedFailure {
  const code = errorCodeOf(error);
  const reason = error instanceof Error ? error.message : String(error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    const phase =
      code === 'UND_ERR_HEADERS_TIMEOUT' ? 'did not send its response headers' : 'stalled while sending its response';
    return {
      retryable: false,
      error: new SluiceError('ERR_UPSTREAM_TIMEOUT', `${where} ${phase} in time`, { cause: error }),
    };
  }
  if (code !== undefined && CONNECTION_ERRORS.has(code)) {
    return {
      retryable: true,
      error: new SluiceError('ERR_UPSTREAM_UNAVAILABLE', `${where}: connection failed (${code}: ${reason})`, {
        cause: error,
      }),
    };
  }
  return {
    retryable: false,
    error: new SluiceError('ERR_UPSTREAM_BAD_RESPONSE', `${where}: bad response (${code ?? 'error'}: ${reason})`, {
      cause: error,
    }),
  };
}

/** A failure while reading a response body that had already begun. */
export function bodyFailure(error: unknown, where: string): SluiceError {
  const classified = classifyFailure(error, where);
  if (classified.error.code === 'ERR_UPSTREAM_TIMEOUT') return classified.error;
  return new SluiceError(
    'ERR_UPSTREAM_BAD_RESPONSE',
    `${where}: the response broke off (${errorCodeOf(error) ?? 'error'})`,
    { cause: error },
  );
}

/**
 * Stops reading a response body we no longer want. Destroying an undici body aborts its
 * request, which the body reports as an error event; nobody is listening any more, so
 * that error is expected and swallowed here rather than crashing the process.
 */
export function discardBody(body: NodeJS.ReadableStream & { destroy(): unknown }): void {
  body.on('error', () => {});
  body.destroy();
}

/** The start of an error body, for the message; a broken body only loses the detail. */
export async function readSnippet(body: Readable, limit = 300): Promise<string> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += String(chunk);
      if (text.length >= limit) break;
    }
  } catch {
    // the status already says what matters
  }
  discardBody(body);
  return upstreamErrorMessage(text).slice(0, limit);
}

/** An OpenAI error envelope's message, a KServe one's (`{"error": "..."}`), or the text itself. */
export function upstreamErrorMessage(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    const error = (parsed as { error?: unknown } | null)?.error;
    if (typeof error === 'string') return error;
    const message = (error as { message?: unknown } | null | undefined)?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: the raw text is the best description
  }
  return text.trim();
}
