/** Reading an upstream answer's body, whatever the dialect: bounded, and bad answers named. */
import { SluiceError } from '../../core/errors.ts';
import { parseJsonObject } from '../../core/json.ts';
import { bodyFailure, discardBody, upstreamErrorMessage } from './upstream-errors.ts';
import type { UpstreamResponse } from './upstream-response.ts';

/** Larger non-streaming answers are refused rather than buffered (streams are not buffered at all). */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
/** An error body's first bytes say all there is to say. */
const MAX_REJECTION_BYTES = 64 * 1024;

export interface UpstreamRejection {
  /** The body as the upstream sent it (possibly cut short). */
  readonly text: string;
  readonly failure: SluiceError;
  readonly retryAfter: string | undefined;
}

/** The whole body, refusing (502) an answer larger than `limit` bytes rather than buffering it. */
export async function readAll(upstream: UpstreamResponse, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      discardBody(upstream.body);
      throw new SluiceError('ERR_UPSTREAM_BAD_RESPONSE', `${upstream.where} answered more than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Settles the attempt as failed and says what was wrong with the answer. */
export function badResponse(upstream: UpstreamResponse, what: string): SluiceError {
  discardBody(upstream.body);
  upstream.settle(false);
  return new SluiceError('ERR_UPSTREAM_BAD_RESPONSE', `${upstream.where} ${what}`);
}

/** The JSON object the upstream answered, with `key` (if present) set to `name`; settles the attempt. */
export async function readJsonAnswer(
  upstream: UpstreamResponse,
  key: string,
  name: string,
): Promise<Record<string, unknown>> {
  const contentType = String(upstream.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(contentType))
    throw badResponse(upstream, `answered content-type "${contentType || 'none'}" where JSON was expected`);
  let text: string;
  try {
    text = (await readAll(upstream, MAX_ANSWER_BYTES)).toString('utf8');
  } catch (error) {
    upstream.settle(false);
    throw error instanceof SluiceError ? error : bodyFailure(error, upstream.where);
  }
  const answer = parseJsonObject(text);
  if (answer === undefined) throw badResponse(upstream, `answered invalid JSON: ${JSON.stringify(text.slice(0, 80))}`);
  upstream.settle(true);
  if (key in answer) answer[key] = name;
  return answer;
}

/** An upstream's 4xx: the client's fault, so the attempt settles as ok; its text, its error and its Retry-After. */
export async function readRejection(upstream: UpstreamResponse): Promise<UpstreamRejection> {
  const text = (await readAll(upstream, MAX_REJECTION_BYTES).catch(() => Buffer.alloc(0))).toString('utf8');
  upstream.settle(true);
  const failure = new SluiceError(
    'ERR_UPSTREAM_REJECTED',
    `${upstream.where} refused the request (${upstream.statusCode}): ${upstreamErrorMessage(text) || 'no detail'}`,
  );
  const retryAfter = upstream.headers['retry-after'];
  return { text, failure, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined };
}
