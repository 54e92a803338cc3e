/**
 * Event counts over the last `windowMs`, kept in a ring of time buckets so memory stays
 * constant at any request rate. The window slides one bucket at a time, so a count may
 * include up to one bucket's worth of events older than `windowMs`.
 *
 *   slot:   [0][1][2]...[B-1]      bucket id = floor(now / bucketMs); slot = id mod B
 *   a slot whose stored id is older than the current id - B + 1 is stale and reads as zero
 */
import type { NowSource } from '../../../core/clock.ts';

export class SlidingCounts<Series extends string> {
  private readonly bucketMs: number;
  private readonly ids: number[];
  private readonly counts: Map<Series, number[]>;

  constructor(
    private readonly clock: NowSource,
    readonly windowMs: number,
    series: readonly Series[],
    private readonly buckets = 10,
  ) {
    if (!(windowMs > 0) || !(buckets >= 1)) throw new RangeError('SlidingCounts needs windowMs > 0 and buckets >= 1');
    this.bucketMs = windowMs / buckets;
    this.ids = Array.from({ length: buckets }, () => Number.NEGATIVE_INFINITY);
    this.counts = new Map(series.map((name) => [name, Array.from({ length: buckets }, () => 0)]));
  }

  add(series: Series, amount = 1): void {
    const id = Math.floor(this.clock.now() / this.bucketMs);
    const slot = this.slotOf(id);
    if (this.ids[slot] !== id) {
      this.ids[slot] = id;
      for (const row of this.counts.values()) row[slot] = 0;
    }
    const row = this.counts.get(series) as number[];
    row[slot] = (row[slot] ?? 0) + amount;
  }

  total(series: Series): number {
    const oldest = Math.floor(this.clock.now() / this.bucketMs) - this.buckets + 1;
    const row = this.counts.get(series) as number[];
    let sum = 0;
    for (let slot = 0; slot < this.buckets; slot += 1) {
      if ((this.ids[slot] ?? Number.NEGATIVE_INFINITY) >= oldest) sum += row[slot] ?? 0;
    }
    return sum;
  }

  /** Forgets everything, e.g. when a breaker closes and old failures must not trip it again. */
  clear(): void {
    this.ids.fill(Number.NEGATIVE_INFINITY);
  }

  private slotOf(id: number): number {
    return ((id % this.buckets) + this.buckets) % this.buckets;
  }
}
