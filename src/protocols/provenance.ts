/** The headers every answer carries to say how it was made (docs/api.md#how-an-answer-was-made). */
import type { Provenance, RowsAnswer } from '../pipeline/target.ts';

/**
 * The model and version that answered (after any fallback), the route decision, and
 * sluice's own share of the time so far: all of it but the model's or the upstream's.
 */
export function provenanceHeaders(provenance: Provenance, elapsedMs: number): Record<string, string> {
  return {
    'x-sluice-model': provenance.model,
    'x-sluice-model-version': provenance.version,
    'x-sluice-route': provenance.route,
    'x-sluice-overhead-ms': Math.max(0, elapsedMs - provenance.engineMs).toFixed(2),
  };
}

/**
 * Each item's route, in item order, when items of one answer took different routes (a
 * cascade: `cascade:1`, `cascade:2`); undefined otherwise. KServe v1 returns it as
 * `item_routes`, KServe v2 as the response parameter `item_routes`, comma-separated.
 */
export function itemRoutes(answer: RowsAnswer): string[] | undefined {
  return answer.itemProvenance?.map((item) => item.route);
}
