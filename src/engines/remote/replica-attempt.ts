/**
 * One attempt on one replica, and how its outcome is reported once to everything that
 * learns from it: the replica's counts, the balancer (Peak-EWMA, ejection, breaker) and
 * the replica's concurrency limit, whose permit the attempt holds until it settles — a
 * stream only until its first body chunk.
 *
 *   outcome                        balancer        concurrency limit
 *   2xx, not streaming             ok              RTT = time to response headers
 *   2xx, streaming                 ok              RTT = time to the first body chunk, slot freed then
 *   429                            ok (no failure) dropped: the replica says it is overloaded
 *   other 4xx                      ok              nothing (answered without doing the work)
 *   5xx, connection error, timeout failed          dropped
 *   cancelled (a hedge won)        ok              nothing
 *   the client left                failed          nothing
 *
 * A stream's RTT is its time to first token, not to headers (an LLM server sends those
 * before queueing), and its slot frees there because decoding length is the client's
 * choice, not load: docs/design-notes.md.
 */
import { pipeline, Transform, type Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Permit, PermitOutcome } from '../../control/adaptive-limit.ts';
import { SluiceError } from '../../core/errors.ts';
import type { ReplicaChoice } from './balancer.ts';
import { parseRetryAfterMs } from './resilience/retry-after.ts';
import { eitherSignal } from './either-signal.ts';
import type { AttemptResult } from './hedged-attempt.ts';
import { TOO_MANY_REQUESTS } from './rate-limited.ts';
import type { Replica, UpstreamCall } from './replica.ts';
import { classifyFailure, readSnippet } from './upstream-errors.ts';
import type { UpstreamResponse } from './upstream-response.ts';

/** One attempt's result, as metrics see it: an HTTP status, or the kind of failure. */
export interface AttemptEvent {
  readonly backend: string;
  readonly replica: string;
  readonly status: string;
}

/** A balancer's choice with the concurrency permit taken for it. */
export interface GatedChoice extends ReplicaChoice {
  readonly permit: Permit;
}

export interface AttemptContext {
  readonly backend: string;
  readonly replica: Replica;
  readonly call: UpstreamCall;
  /** Aborted when a hedge won the race and this attempt is no longer wanted. */
  readonly cancel: AbortSignal;
  readonly streaming: boolean;
  /** Whether latency feeds the concurrency limit (not for metadata GETs, whose latency says nothing about inference load). */
  readonly measured: boolean;
  readonly onAttempt: (event: AttemptEvent) => void;
  /** Latency to headers of a 2xx, for the hedge policy's p95; undefined when the call is not hedged. */
  readonly observeHeaders: ((latencyMs: number) => void) | undefined;
  /** A 429 asked for this much quiet (undefined: no usable Retry-After). */
  readonly onRateLimited: (retryAfterMs: number | undefined) => void;
}

/**
 * Runs the attempt. Its outcome feeds everything once: a 5xx or a connection failure as
 * failed; an answer (also a 429) as ok, settled by whoever reads it; and an attempt
 * cancelled because a hedge won as ok, with the time it had run as its latency — it did
 * not fail, so ejection and breakers must not count it, while Peak-EWMA still learns that
 * it was at least that slow. Rejects only when the client has gone.
 */
export async function runAttempt(choice: GatedChoice, context: AttemptContext): Promise<AttemptResult> {
  const { replica, call, cancel } = context;
  const where = `backend "${context.backend}" replica ${replica.host}`;
  const started = performance.now();
  const report = (status: string) => context.onAttempt({ backend: context.backend, replica: replica.host, status });
  let sample: PermitOutcome = 'ignore';
  let settled = false;
  const abort = eitherSignal(call.signal, cancel);
  const settle = (ok: boolean) => {
    if (settled) return;
    settled = true;
    abort.release();
    replica.settle(ok);
    choice.done({ ok, latencyMs: performance.now() - started });
    choice.permit.release(call.signal.aborted ? 'ignore' : ok ? sample : 'dropped');
  };
  try {
    const response = await replica.send({ ...call, signal: abort.signal });
    const headersMs = performance.now() - started;
    report(String(response.statusCode));
    if (response.statusCode < 300) context.observeHeaders?.(headersMs);
    if (response.statusCode >= 500) {
      const detail = await readSnippet(response.body);
      settle(false);
      return {
        retryable: true,
        failure: new SluiceError(
          'ERR_UPSTREAM_UNAVAILABLE',
          `${where} answered ${response.statusCode}${detail === '' ? '' : `: ${detail}`}`,
        ),
      };
    }
    let body: Readable = response.body;
    if (response.statusCode === TOO_MANY_REQUESTS) {
      sample = 'dropped';
      context.onRateLimited(parseRetryAfterMs(response.headers['retry-after'], Date.now()));
    } else if (response.statusCode < 300 && context.measured) {
      if (!context.streaming) sample = { rttMs: headersMs };
      else body = onFirstChunk(body, () => choice.permit.release({ rttMs: performance.now() - started }));
    }
    const upstream: UpstreamResponse = {
      statusCode: response.statusCode,
      headers: response.headers,
      body,
      where,
      startedAt: started,
      settle,
    };
    return { response: upstream };
  } catch (error) {
    if (cancel.aborted && !call.signal.aborted) {
      settle(true);
      // Counted, so the attempts metric shows the extra load hedging costs.
      report('cancelled');
      return {
        retryable: false,
        failure: new SluiceError('ERR_UPSTREAM_UNAVAILABLE', `${where} was cancelled: a hedge answered first`),
      };
    }
    settle(false);
    if (call.signal.aborted) {
      report('client_closed');
      throw error;
    }
    const classified = classifyFailure(error, where);
    report(classified.error.code === 'ERR_UPSTREAM_TIMEOUT' ? 'timeout' : 'error');
    return { retryable: classified.retryable, failure: classified.error };
  }
}

/**
 * The body as it came, noting when its first chunk arrives. `pipeline` carries the
 * upstream's errors (with their undici codes) to the reader, and destroying what the
 * reader holds destroys the upstream body, which aborts the upstream request.
 */
function onFirstChunk(body: Readable, seen: () => void): Readable {
  let first = true;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (first) {
        first = false;
        seen();
      }
      callback(null, chunk);
    },
  });
  pipeline(body, tap, () => {});
  return tap;
}
