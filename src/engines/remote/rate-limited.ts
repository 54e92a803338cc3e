/**
 * An upstream 429 means "this replica is shedding load", not "this replica is broken": the
 * backend tries another replica when it can and keeps the 429 in hand, so that when none
 * can take the request the client still gets the upstream's own answer and `Retry-After`.
 * The live response is read into memory (it is small) and its attempt settled as not failed.
 */
import { Readable } from 'node:stream';
import { discardBody } from './upstream-errors.ts';
import type { UpstreamResponse } from './upstream-response.ts';

export const TOO_MANY_REQUESTS = 429;

const MAX_KEPT_BYTES = 64 * 1024;

/** Reads the 429's body and settles its attempt; the copy can be answered later. */
export async function keepRateLimited(response: UpstreamResponse): Promise<UpstreamResponse> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(buffer);
      size += buffer.length;
      if (size >= MAX_KEPT_BYTES) break;
    }
  } catch {
    // the status and Retry-After are what matter; a broken body only loses the detail
  }
  discardBody(response.body);
  response.settle(true);
  const kept = Buffer.concat(chunks);
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    where: response.where,
    startedAt: response.startedAt,
    body: Readable.from([kept]),
    settle: () => {},
  };
}

/** The same 429 with `Retry-After` set to `waitMs`, in whole seconds and at least 1 (RFC 9110). */
export function withRetryAfter(response: UpstreamResponse, waitMs: number): UpstreamResponse {
  const retryAfter = String(Math.max(1, Math.ceil(waitMs / 1000)));
  return { ...response, headers: { ...response.headers, 'retry-after': retryAfter } };
}
