/**
 * Metrics of the remote backends, on the server's registry: attempts by outcome, requests
 * in flight per replica (filled at scrape time from `stats()`), and, for streams, time to
 * first token and output tokens.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { scrapeTimeCounter, scrapeTimeGauge } from '../../observe/scrape-time-metrics.ts';
import type { AttemptEvent } from './remote-backend.ts';
import type { RemoteModels } from './remote-models.ts';

const TTFT_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class RemoteMetrics {
  private readonly attempts: Counter<'backend' | 'replica' | 'status'>;
  private readonly timeToFirstToken: Histogram<'model'>;
  private readonly outputTokens: Counter<'model'>;

  constructor(registry: Registry) {
    this.attempts = new Counter({
      name: 'sluice_upstream_requests_total',
      help: 'Attempts sent to remote backends, by replica and outcome: the HTTP status, "error" (connection) or "timeout".',
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
    this.outputTokens = new Counter({
      name: 'sluice_output_tokens_total',
      help: "Streams from remote models: tokens generated (the upstream's usage when it sends it, else content chunks).",
      labelNames: ['model'] as const,
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
        remote.stats().flatMap(({ name, hedging }) =>
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
      read: () => remote.stats().flatMap((backend) => backend.replicas.map((replica) => [{ backend: backend.name, replica: new URL(replica.url).host }, replica.inFlight] as const)),
    });
  }

  attempt(event: AttemptEvent): void {
    this.attempts.inc({ backend: event.backend, replica: event.replica, status: event.status });
  }

  stream(model: string, firstTokenSeconds: number | undefined, tokens: number): void {
    if (firstTokenSeconds !== undefined) this.timeToFirstToken.observe({ model }, firstTokenSeconds);
    if (tokens > 0) this.outputTokens.inc({ model }, tokens);
  }
}
