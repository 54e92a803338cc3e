/**
 * Passive outlier ejection (Envoy's `consecutive_5xx`): a replica that fails
 * `consecutiveFailures` times in a row is taken out of rotation for
 * `baseEjectionMs * multiplier`, capped at `maxEjectionMs`. The multiplier grows with each
 * ejection, so a replica that keeps failing stays out longer, and shrinks by one for every
 * `baseEjectionMs` the replica spends back in rotation, so an old incident is forgiven.
 *
 * Never more than `maxEjectionPercent` of the replicas are out at once: ejecting every
 * replica turns a partial failure into a full outage. A blocked ejection is tried again on
 * the next failure, once another replica has come back.
 */
import { withDefaults } from './defaults.ts';
import type { NowSource } from '../../../core/clock.ts';

export interface EjectionOptions {
  /** Failures in a row that eject a replica. Default 5. */
  readonly consecutiveFailures?: number;
  /** First ejection length, ms; later ones are multiples. Default 30 s. */
  readonly baseEjectionMs?: number;
  /** Longest ejection, ms. Default 300 s. */
  readonly maxEjectionMs?: number;
  /** Most replicas out at once, percent of all. Default 50. */
  readonly maxEjectionPercent?: number;
}

export const EJECTION_DEFAULTS: Required<EjectionOptions> = {
  consecutiveFailures: 5,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 50,
};

interface ReplicaRecord {
  consecutiveFailures: number;
  multiplier: number;
  ejectedUntilMs: number;
  ejectionsTotal: number;
}

export interface EjectionReplicaStats {
  readonly index: number;
  /** Set only while ejected. */
  readonly ejectedUntilMs: number | undefined;
  readonly consecutiveFailures: number;
  readonly ejectionsTotal: number;
}

export interface EjectionStats {
  readonly ejectedNow: number;
  readonly ejectionsTotal: number;
  /** Ejections skipped because `maxEjectionPercent` replicas were already out. */
  readonly blockedByMaxPercent: number;
  readonly replicas: readonly EjectionReplicaStats[];
}

export class OutlierEjection {
  private readonly options: Required<EjectionOptions>;
  private readonly replicas: ReplicaRecord[];
  private blocked = 0;

  constructor(
    replicaCount: number,
    private readonly clock: NowSource,
    options: EjectionOptions = {},
  ) {
    this.options = withDefaults(EJECTION_DEFAULTS, options);
    if (!(replicaCount >= 1) || !(this.options.consecutiveFailures >= 1) || !(this.options.baseEjectionMs > 0)) {
      throw new RangeError('OutlierEjection needs replicas >= 1, consecutiveFailures >= 1 and baseEjectionMs > 0');
    }
    this.replicas = Array.from({ length: replicaCount }, () => ({
      consecutiveFailures: 0,
      multiplier: 0,
      ejectedUntilMs: 0,
      ejectionsTotal: 0,
    }));
  }

  isEjected(index: number): boolean {
    return (this.replicas[index]?.ejectedUntilMs ?? 0) > this.clock.now();
  }

  record(index: number, ok: boolean): void {
    const replica = this.replicas[index];
    if (replica === undefined) return;
    if (ok) {
      replica.consecutiveFailures = 0;
      return;
    }
    // Late answers from attempts sent before the ejection neither extend it nor count later.
    if (this.isEjected(index)) return;
    replica.consecutiveFailures += 1;
    if (replica.consecutiveFailures < this.options.consecutiveFailures) return;
    if (!this.roomToEject()) {
      this.blocked += 1;
      return;
    }
    this.eject(replica);
  }

  stats(): EjectionStats {
    const replicas = this.replicas.map((replica, index) => ({
      index,
      ejectedUntilMs: this.isEjected(index) ? replica.ejectedUntilMs : undefined,
      consecutiveFailures: replica.consecutiveFailures,
      ejectionsTotal: replica.ejectionsTotal,
    }));
    return {
      ejectedNow: replicas.filter((replica) => replica.ejectedUntilMs !== undefined).length,
      ejectionsTotal: replicas.reduce((sum, replica) => sum + replica.ejectionsTotal, 0),
      blockedByMaxPercent: this.blocked,
      replicas,
    };
  }

  private roomToEject(): boolean {
    const ejectedAfter = this.replicas.filter((_, index) => this.isEjected(index)).length + 1;
    return (ejectedAfter / this.replicas.length) * 100 <= this.options.maxEjectionPercent;
  }

  private eject(replica: ReplicaRecord): void {
    const now = this.clock.now();
    const { baseEjectionMs, maxEjectionMs } = this.options;
    // The previous ejection ended at ejectedUntilMs; forgive one step per base period since.
    const backMs = replica.ejectedUntilMs === 0 ? 0 : Math.max(0, now - replica.ejectedUntilMs);
    const forgiven = Math.floor(backMs / baseEjectionMs);
    replica.multiplier = Math.max(0, replica.multiplier - forgiven) + 1;
    replica.ejectedUntilMs = now + Math.min(maxEjectionMs, baseEjectionMs * replica.multiplier);
    replica.ejectionsTotal += 1;
    replica.consecutiveFailures = 0;
  }
}
