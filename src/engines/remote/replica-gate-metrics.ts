/**
 * What the replica gates say, exported at scrape time from the backends' `stats()`: health
 * (backends with health checks on), the concurrency limit (with adaptive concurrency on),
 * the Retry-After still to wait, and how often each replica was passed over, and why.
 */
import type { Registry } from 'prom-client';
import { scrapeTimeCounter, scrapeTimeGauge, type Reading } from '../../observe/scrape-time-metrics.ts';
import type { RemoteReplicaStats } from './remote-backend.ts';
import type { RemoteModels } from './remote-models.ts';
import type { PassedOver } from './replica-gates.ts';

type ReplicaLabels = 'backend' | 'replica';

/** One reading per replica for which `value` is defined. */
export function perReplica(
  remote: RemoteModels,
  value: (replica: RemoteReplicaStats) => number | undefined,
): Array<Reading<ReplicaLabels>> {
  return remote.stats().flatMap((backend) =>
    backend.replicas.flatMap((replica) => {
      const reading = value(replica);
      return reading === undefined
        ? []
        : [[{ backend: backend.name, replica: new URL(replica.url).host }, reading] as const];
    }),
  );
}

const PASSED_OVER_REASONS: ReadonlyArray<[keyof PassedOver, string]> = [
  ['unhealthy', 'unhealthy'],
  ['coolingDown', 'retry_after'],
  ['atLimit', 'concurrency_limit'],
];

export function watchReplicaGates(registry: Registry, remote: RemoteModels): void {
  const labelNames: ReplicaLabels[] = ['backend', 'replica'];
  scrapeTimeGauge(registry, {
    name: 'sluice_upstream_replica_healthy',
    help: 'Remote replicas with active health checks: 1 while in rotation, 0 once unhealthy_threshold probes in a row failed (until healthy_threshold pass).',
    labelNames,
    read: () =>
      perReplica(remote, (replica) => (replica.health === undefined ? undefined : Number(replica.health.healthy))),
  });
  scrapeTimeGauge(registry, {
    name: 'sluice_upstream_concurrency_limit',
    help: 'Remote replicas with adaptive concurrency: the attempts that may be in flight at once (compare sluice_upstream_inflight).',
    labelNames,
    read: () => perReplica(remote, (replica) => replica.concurrency?.limit),
  });
  scrapeTimeGauge(registry, {
    name: 'sluice_upstream_retry_after_seconds',
    help: 'Remote replicas that answered 429 with Retry-After: seconds left before they may be picked again (0: they may).',
    labelNames,
    read: () =>
      perReplica(remote, (replica) =>
        replica.retryAfter === undefined ? undefined : replica.retryAfter.remainingMs / 1000,
      ),
  });
  scrapeTimeCounter(registry, {
    name: 'sluice_upstream_passed_over_total',
    help: 'Picks that left a remote replica out, by why: failing its health check, waiting out a Retry-After, or at its concurrency limit.',
    labelNames: ['backend', 'replica', 'reason'],
    read: () =>
      remote
        .stats()
        .flatMap((backend) =>
          backend.replicas.flatMap((replica) =>
            PASSED_OVER_REASONS.map(
              ([key, reason]) =>
                [
                  { backend: backend.name, replica: new URL(replica.url).host, reason },
                  replica.passedOver[key],
                ] as const,
            ),
          ),
        ),
  });
}
