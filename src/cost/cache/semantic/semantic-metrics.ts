/** The semantic cache's counters in /metrics, per chat model: lookups, hits and their similarity, stores, failures. */
import { Counter, Histogram, type Registry } from 'prom-client';

export class SemanticCacheMetrics {
  readonly lookups: Counter<'model'>;
  readonly hits: Counter<'model'>;
  readonly stores: Counter<'model'>;
  /** Prompts whose embedding failed: answered as a miss. */
  readonly embeddingErrors: Counter<'model'>;
  readonly similarity: Histogram<'model'>;

  constructor(registry: Registry) {
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['model'] as const, registers: [registry] });
    this.lookups = counter('sluice_cache_semantic_lookups_total', 'Chat prompts looked up in the semantic cache.');
    this.hits = counter(
      'sluice_cache_semantic_hits_total',
      'Chat prompts answered from a similar earlier prompt (x-sluice-route: semantic-hit).',
    );
    this.stores = counter(
      'sluice_cache_semantic_stores_total',
      'Prompts and their answers added to the semantic cache.',
    );
    this.embeddingErrors = counter(
      'sluice_cache_semantic_embedding_errors_total',
      'Prompts whose embedding failed, so the semantic cache was skipped for them.',
    );
    this.similarity = new Histogram({
      name: 'sluice_cache_semantic_similarity',
      help: 'Cosine similarity between a prompt answered from the semantic cache and the stored prompt.',
      labelNames: ['model'] as const,
      buckets: [0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 1],
      registers: [registry],
    });
  }
}
