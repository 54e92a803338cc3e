/**
 * Admission refusals counted on the hot path and handed to prom-client at scrape time.
 * Under overload the gate refuses tens of thousands of requests a second, and each
 * `Counter.inc(labels)` validates and hashes its labels, too dear to pay per refusal.
 * Here a refusal costs one string key and a map lookup; the counters see the sums when
 * they are collected.
 */
export interface RefusalLabels {
  readonly protocol: string;
  readonly model: string;
  readonly version: string;
  readonly tenant: string;
}

interface Pending {
  readonly labels: RefusalLabels;
  count: number;
}

export class RefusalCounts {
  private pending = new Map<string, Pending>();

  add(labels: RefusalLabels): void {
    const key = `${labels.protocol}\u0000${labels.model}\u0000${labels.version}\u0000${labels.tenant}`;
    const entry = this.pending.get(key);
    if (entry === undefined) this.pending.set(key, { labels, count: 1 });
    else entry.count += 1;
  }

  /** Every count since the last drain, once. */
  drain(): Iterable<{ readonly labels: RefusalLabels; readonly count: number }> {
    const drained = this.pending.values();
    this.pending = new Map();
    return drained;
  }
}
