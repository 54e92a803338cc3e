/**
 * Metrics of the remote backends, on the server's registry: attempts by outcome, requests
 * in flight per replica (filled at scrape time from `stats()`), and per LLM request its
 * input and output tokens (with where the counts came from), time to first token and
 * output tokens per second (streams).
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { scrapeTimeCounter, scrapeTimeGauge } from '../../observe/scrape-time-metrics.ts';
import type { RemoteModels } from './remote-models.ts';
import type { AttemptEvent } from './replica-attempt.ts';
import { perReplica, watchReplicaGates } from './replica-gate-metrics.ts';

const TTFT_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** From a slow CPU-served model (a few a second) to a small one on a fast GPU (thousands). */
const TOKENS_PER_SECOND_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/** Where a token count came from: the upstream's `usage`, or sluice's tokenizer (src/engines/remote/tokens). */
export type TokenSource = 'upstream' | 'tokenizer';

/** What one remote OpenAI call measured (see docs/backends.md#observability). */
export interface RequestUsage {
  readonly model: string;
  readonly stream: boolean;
  readonly inputTokens: number;
  readonly inputSource: TokenSource;
  /** Undefined for embeddings, which generate nothing. */
  readonly output: { readonly tokens: number; readonly source: TokenSource } | undefined;
  /** Streams: to the first content chunk written. Otherwise: to the whole answer read. */
  readonly timeToFirstTokenSeconds: number | undefined;
  /** Streams that completed: output tokens / (end − first token). */
  readonly outputTokensPerSecond: number | undefined;
}

export class RemoteMetrics {
  private readonly attempts: Counter<'backend' | 'replica' | 'status'>;
  private readonly timeToFirstToken: Histogram<'model'>;
  private readonly inputTokens: Counter<'model' | 'source'>;
  private readonly outputTokens: Counter<'model' | 'source'>;
  private readonly outputTokensPerSecond: Histogram<'model'>;

  constructor(registry: Registry) {
    this.attempts = new Counter({
      name: 'sluice_upstream_requests_total',
      help: 'Attempts sent to remote backends, by replica and outcome: the HTTP status, "error" (connection), "timeout", "cancelled" (a hedge answered first) or "client_closed" (the client went away before the headers).',
      labelNames: ['backend', 'replica', 'status'] as const,
      registers: [registry],
    });
    this.timeToFirstToken = new Histogram({
      name: 'sluice_time_to_first_token_seconds',
      help: 'Streams from remote models: time from the request arriving to its first content chunk being written.',
      labelNames: ['model'] as const,
      buckets: TTFT_BUCKETS_SECONDS,
      registers: [registry],
    });
    this.inputTokens = new Counter({
      name: 'sluice_input_tokens_total',
      help: 'Remote models: prompt tokens, from the upstream\'s usage (source "upstream") or counted by sluice (source "tokenizer").',
      labelNames: ['model', 'source'] as const,
      registers: [registry],
    });
    this.outputTokens = new Counter({
      name: 'sluice_output_tokens_total',
      help: 'Remote models: tokens generated, from the upstream\'s usage (source "upstream") or counted by sluice (source "tokenizer").',
      labelNames: ['model', 'source'] as const,
      registers: [registry],
    });
    this.outputTokensPerSecond = new Histogram({
      name: 'sluice_output_tokens_per_second',
      help: 'Streams from remote models that completed: output tokens / time from the first content chunk to the end.',
      labelNames: ['model'] as const,
      buckets: TOKENS_PER_SECOND_BUCKETS,
      registers: [registry],
    });
  }

  /** Exports each replica's requests in flight and each backend's hedges; called once the remote models exist. */
  watch(registry: Registry, remote: RemoteModels): void {
    scrapeTimeCounter(registry, {
      name: 'sluice_upstream_hedges_total',
      help: 'Hedged copies sent to a second replica, and how many of them answered first ("won"); losers are cancelled.',
      labelNames: ['backend', 'outcome'],
      read: () =>
        remote
          .stats()
          .flatMap(({ name, hedging }) =>
            hedging === undefined
              ? []
              : [
                  [{ backend: name, outcome: 'won' }, hedging.won] as const,
                  [{ backend: name, outcome: 'lost' }, hedging.sent - hedging.won] as const,
                ],
          ),
    });
    scrapeTimeGauge(registry, {
      name: 'sluice_upstream_inflight',
      help: 'Attempts sent to a remote replica and not yet finished (streams included).',
      labelNames: ['backend', 'replica'],
      read: () => perReplica(remote, (replica) => replica.inFlight),
    });
    watchReplicaGates(registry, remote);
  }

  attempt(event: AttemptEvent): void {
    this.attempts.inc({ backend: event.backend, replica: event.replica, status: event.status });
  }

  usage(usage: RequestUsage): void {
    const { model } = usage;
    this.inputTokens.inc({ model, source: usage.inputSource }, usage.inputTokens);
    if (usage.output !== undefined) this.outputTokens.inc({ model, source: usage.output.source }, usage.output.tokens);
    // A non-streamed answer's "first token" is the whole answer: kept out of the streams' histogram.
    if (usage.stream && usage.timeToFirstTokenSeconds !== undefined)
      this.timeToFirstToken.observe({ model }, usage.timeToFirstTokenSeconds);
    if (usage.outputTokensPerSecond !== undefined)
      this.outputTokensPerSecond.observe({ model }, usage.outputTokensPerSecond);
  }
}
