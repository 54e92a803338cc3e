/**
 * Fault injection. Each request to a model endpoint draws its fate from a PRNG seeded
 * by `seed`, so a run with the same seed and the same request order fails the same way.
 * Setting `seed` (at start or through POST /sim/faults) restarts that stream.
 */
import { z } from 'zod';
import { createRng, deriveSeed, type Rng } from '../../core/seeded-rng.ts';

const rate = z.number().min(0).max(1);

export const faultsUpdateSchema = z.strictObject({
  error_rate: rate.optional(),
  slow_factor: z.number().positive().optional(),
  hang_rate: rate.optional(),
  reset_rate: rate.optional(),
  rate_limit_rate: rate.optional(),
  seed: z.number().int().optional(),
});

export type FaultsUpdate = z.infer<typeof faultsUpdateSchema>;

export interface Faults {
  /** Fraction of requests answered 500. */
  error_rate: number;
  /** Multiplies every latency. */
  slow_factor: number;
  /** Fraction of requests accepted and never answered. */
  hang_rate: number;
  /** Fraction of requests whose connection is destroyed (after the headers when streaming). */
  reset_rate: number;
  /** Fraction of requests answered 429 with `Retry-After: 1`. */
  rate_limit_rate: number;
  seed: number;
}

export const NO_FAULTS: Readonly<Faults> = Object.freeze({
  error_rate: 0,
  slow_factor: 1,
  hang_rate: 0,
  reset_rate: 0,
  rate_limit_rate: 0,
  seed: 1,
});

export type FaultKind = 'rate_limit' | 'error' | 'hang' | 'reset';

/** In the order they are drawn; the first that fires wins. */
const DRAW_ORDER: readonly FaultKind[] = ['rate_limit', 'error', 'hang', 'reset'];

export class FaultInjector {
  private current: Faults;
  private rng: Rng;
  private readonly injected: Record<FaultKind, number> = { rate_limit: 0, error: 0, hang: 0, reset: 0 };

  constructor(initial: Partial<Faults> = {}) {
    this.current = { ...NO_FAULTS, ...initial };
    this.rng = createRng(deriveSeed(this.current.seed, 'faults'));
  }

  get faults(): Readonly<Faults> {
    return { ...this.current };
  }

  update(update: FaultsUpdate): Readonly<Faults> {
    const defined = Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined));
    this.current = { ...this.current, ...defined };
    if (update.seed !== undefined) this.rng = createRng(deriveSeed(update.seed, 'faults'));
    return this.faults;
  }

  /** The fault this request suffers, if any. One uniform draw per kind, always all four. */
  draw(): FaultKind | undefined {
    let chosen: FaultKind | undefined;
    for (const kind of DRAW_ORDER) {
      const fires = this.rng.next() < this.rateOf(kind);
      if (fires && chosen === undefined) chosen = kind;
    }
    if (chosen !== undefined) this.injected[chosen]++;
    return chosen;
  }

  counts(): Readonly<Record<FaultKind, number>> {
    return { ...this.injected };
  }

  private rateOf(kind: FaultKind): number {
    const f = this.current;
    return { rate_limit: f.rate_limit_rate, error: f.error_rate, hang: f.hang_rate, reset: f.reset_rate }[kind];
  }
}
