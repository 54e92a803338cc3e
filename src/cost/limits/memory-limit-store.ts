/** Limit counters in this process's memory: exact for one process, each replica counting apart. */
import { decide, type CounterCheck, type CounterDelta, type LimitStore, type ReserveVerdict } from './limit-store.ts';

interface Counter {
  value: number;
  readonly expiresAtMs: number;
}

/** Expired counters are swept at most this often, so memory holds about one window of keys. */
const SWEEP_MS = 10_000;

export class MemoryLimitStore implements LimitStore {
  private readonly counters = new Map<string, Counter>();
  private sweptAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async reserve(checks: readonly CounterCheck[]): Promise<ReserveVerdict> {
    const now = this.now();
    this.sweep(now);
    const verdict = decide(
      checks,
      checks.map((check) => this.live(check.key, now)?.value ?? 0),
    );
    if (!verdict.admitted) return verdict;
    for (const check of checks) {
      const counter = this.live(check.key, now);
      if (counter === undefined) this.counters.set(check.key, { value: check.amount, expiresAtMs: check.expiresAtMs });
      else counter.value += check.amount;
    }
    return verdict;
  }

  async settle(deltas: readonly CounterDelta[]): Promise<void> {
    const now = this.now();
    for (const { key, delta } of deltas) {
      const counter = this.live(key, now);
      if (counter !== undefined) counter.value += delta;
    }
  }

  async close(): Promise<void> {
    this.counters.clear();
  }

  /** Counters held now (tests: memory stays bounded). */
  get size(): number {
    return this.counters.size;
  }

  private live(key: string, now: number): Counter | undefined {
    const counter = this.counters.get(key);
    if (counter === undefined || counter.expiresAtMs > now) return counter;
    this.counters.delete(key);
    return undefined;
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < SWEEP_MS) return;
    this.sweptAt = now;
    for (const [key, counter] of this.counters) if (counter.expiresAtMs <= now) this.counters.delete(key);
  }
}
