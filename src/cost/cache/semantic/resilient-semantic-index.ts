/** A semantic index whose failures never reach a request: a failed lookup is a miss, a failed add stores nothing. */
import type { OutageGuard } from '../resilient-cache-store.ts';
import type { SemanticBounds, SemanticEntry, SemanticIndex, SemanticMatch } from './semantic-index.ts';

export class ResilientSemanticIndex implements SemanticIndex {
  constructor(
    private readonly index: SemanticIndex,
    /** Shared with the response cache's store: one outage of one Redis, logged once. */
    private readonly guard: OutageGuard,
  ) {}

  nearest(
    bucket: string,
    paramsKey: string,
    vector: Float32Array,
    minSimilarity: number,
  ): Promise<SemanticMatch | undefined> {
    return this.guard.run(
      'semantic-lookup',
      () => this.index.nearest(bucket, paramsKey, vector, minSimilarity),
      () => undefined,
    );
  }

  add(bucket: string, entry: SemanticEntry, bounds: SemanticBounds): Promise<void> {
    return this.guard.run(
      'semantic-add',
      () => this.index.add(bucket, entry, bounds),
      () => undefined,
    );
  }

  close(): Promise<void> {
    return this.index.close();
  }
}
