/**
 * The semantic index in this process's memory: per bucket, its entries in the order added
 * (the oldest first out), each with its expiry. A bucket is one model's, whose TTL is one,
 * so expiries rise with the order added and the expired entries are always its oldest:
 * they are cut off the front when the bucket is read or added to; a bucket left empty is
 * deleted.
 */
import {
  bestMatch,
  type SemanticBounds,
  type SemanticEntry,
  type SemanticIndex,
  type SemanticMatch,
} from './semantic-index.ts';

interface StoredEntry extends SemanticEntry {
  readonly expiresAt: number;
}

export class MemorySemanticIndex implements SemanticIndex {
  private readonly buckets = new Map<string, StoredEntry[]>();

  /** `now`: milliseconds; tests move it. */
  constructor(private readonly now: () => number = Date.now) {}

  async nearest(
    bucket: string,
    paramsKey: string,
    vector: Float32Array,
    minSimilarity: number,
  ): Promise<SemanticMatch | undefined> {
    const entries = this.live(bucket);
    const candidates = entries.filter((entry) => entry.paramsKey === paramsKey);
    const best = bestMatch(candidates, vector, minSimilarity);
    return best === undefined ? undefined : { value: best.candidate.value, similarity: best.similarity };
  }

  async add(bucket: string, entry: SemanticEntry, bounds: SemanticBounds): Promise<void> {
    const entries = this.live(bucket);
    entries.push({ ...entry, expiresAt: this.now() + bounds.ttlMs });
    // A bucket emptied by expiry was deleted by live(): set it again.
    if (entries.length > bounds.maxEntries) entries.splice(0, entries.length - bounds.maxEntries);
    this.buckets.set(bucket, entries);
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }

  /** The bucket's unexpired entries, oldest first (the expired ones cut off it). */
  private live(bucket: string): StoredEntry[] {
    const now = this.now();
    const entries = this.buckets.get(bucket) ?? [];
    const firstLive = entries.findIndex((entry) => entry.expiresAt > now);
    if (firstLive === -1) {
      this.buckets.delete(bucket);
      return [];
    }
    entries.splice(0, firstLive);
    return entries;
  }
}
