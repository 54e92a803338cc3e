/**
 * Misra–Gries frequent items for one categorical feature of a live window, mergeable as in
 * Agarwal et al., "Mergeable summaries" (2012).
 *
 * Counters are kept for at most 2k values. When a new value would make 2k + 1, the (k+1)-th
 * largest count c is subtracted from every counter and those at or below zero are dropped, which
 * leaves at most k. Each such purge takes c from at least k + 1 counters, so the total
 * subtracted from any one value (`maxError`) is at most `dropped / (k + 1)`, where `dropped` is
 * the weight no counter holds any more. Hence for every value v, kept or not:
 *
 *   estimate(v).lower ≤ true count of v ≤ estimate(v).lower + maxError ≤ … + total / (k + 1)
 *
 * A merge adds the counters and purges the same way; the errors add, and so does the bound.
 * Waiting for 2k before purging makes the purge's sort cost O(log k) per new value amortised.
 */
import { z } from 'zod';

export const DEFAULT_FREQUENT_K = 64;
export const DEFAULT_MAX_VALUE_LENGTH = 256;

const itemsJson = z.object({
  kind: z.literal('misra-gries'),
  version: z.literal(1),
  k: z.number().int().min(1).max(65_536),
  maxValueLength: z.number().int().min(1),
  total: z.number().min(0),
  maxError: z.number().min(0),
  counters: z.array(z.tuple([z.string(), z.number().positive()])),
});

export type FrequentItemsJson = z.infer<typeof itemsJson>;

/** A value's count is in [lower, upper]; `lower` is the counter kept for it (0 when none is). */
export interface ItemEstimate {
  readonly value: string;
  readonly lower: number;
  readonly upper: number;
}

export interface FrequentItemsOptions {
  /** Values guaranteed a counter if their share is above 1/(k+1). Default 64: at most 128 counters. */
  readonly k?: number;
  /** Longer values are cut to this many UTF-16 units, so a counter's size is bounded too. Default 256. */
  readonly maxValueLength?: number;
}

export class FrequentItems {
  readonly k: number;
  readonly maxValueLength: number;
  private counters = new Map<string, number>();
  private weight = 0;
  private offset = 0;

  constructor(options: FrequentItemsOptions = {}) {
    this.k = options.k ?? DEFAULT_FREQUENT_K;
    this.maxValueLength = options.maxValueLength ?? DEFAULT_MAX_VALUE_LENGTH;
    if (!Number.isInteger(this.k) || this.k < 1) throw new RangeError(`k must be a positive integer, got ${this.k}`);
  }

  /** Total weight added. */
  get total(): number {
    return this.weight;
  }

  /** Weight no counter holds: values that fell out (or were never kept), summed. */
  get dropped(): number {
    return Math.max(0, this.weight - sum(this.counters.values()));
  }

  /** The most any value's count can be above its counter; at most dropped / (k + 1). */
  get maxError(): number {
    return this.offset;
  }

  /** Counters held now: the sketch's size, at most 2k. */
  get size(): number {
    return this.counters.size;
  }

  add(value: string, weight = 1): void {
    if (!(weight > 0 && Number.isFinite(weight))) throw new RangeError(`weight must be positive, got ${weight}`);
    const key = value.length > this.maxValueLength ? value.slice(0, this.maxValueLength) : value;
    this.weight += weight;
    this.counters.set(key, (this.counters.get(key) ?? 0) + weight);
    if (this.counters.size > 2 * this.k) this.purge();
  }

  merge(other: FrequentItems): void {
    if (other.k !== this.k || other.maxValueLength !== this.maxValueLength) {
      throw new RangeError('cannot merge frequent-item sketches of different k or value length');
    }
    for (const [value, count] of other.counters) this.counters.set(value, (this.counters.get(value) ?? 0) + count);
    this.weight += other.weight;
    this.offset += other.offset;
    if (this.counters.size > 2 * this.k) this.purge();
  }

  /** Bounds on one value's count; a value never kept gets [0, maxError], so "new" is decided with a margin. */
  estimate(value: string): ItemEstimate {
    const key = value.length > this.maxValueLength ? value.slice(0, this.maxValueLength) : value;
    const lower = this.counters.get(key) ?? 0;
    return { value: key, lower, upper: lower + this.offset };
  }

  /** Every kept value with its bounds, largest first (ties by value, so the order is stable). */
  estimates(): ItemEstimate[] {
    return [...this.counters]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([value, lower]) => ({ value, lower, upper: lower + this.offset }));
  }

  toJSON(): FrequentItemsJson {
    return {
      kind: 'misra-gries',
      version: 1,
      k: this.k,
      maxValueLength: this.maxValueLength,
      total: this.weight,
      maxError: this.offset,
      counters: this.estimates().map((item) => [item.value, item.lower]),
    };
  }

  static fromJSON(input: unknown): FrequentItems {
    const json = itemsJson.parse(input);
    const sketch = new FrequentItems({ k: json.k, maxValueLength: json.maxValueLength });
    for (const [value, count] of json.counters) {
      if (value.length > json.maxValueLength || sketch.counters.has(value)) {
        throw new RangeError(`frequent-items counter ${JSON.stringify(value.slice(0, 40))} is too long or repeated`);
      }
      sketch.counters.set(value, count);
    }
    sketch.weight = json.total;
    sketch.offset = json.maxError;
    // Counters holding more than was ever added would make every bound a lie.
    if (sketch.dropped === 0 && sum(sketch.counters.values()) > json.total * (1 + 1e-9)) {
      throw new RangeError('frequent-items counters add up to more than the total');
    }
    if (sketch.counters.size > 2 * sketch.k) sketch.purge();
    return sketch;
  }

  /** Subtracts the (k+1)-th largest count from every counter and drops those left at zero or below. */
  private purge(): void {
    // A typed array sorts numerically without a comparator, several times faster on this hot path.
    const counts = Float64Array.from(this.counters.values()).sort();
    const cut = counts[counts.length - 1 - this.k] ?? 0;
    if (cut <= 0) return;
    for (const [value, count] of this.counters) {
      if (count <= cut) this.counters.delete(value);
      else this.counters.set(value, count - cut);
    }
    this.offset += cut;
  }
}

function sum(counts: Iterable<number>): number {
  let total = 0;
  for (const count of counts) total += count;
  return total;
}
