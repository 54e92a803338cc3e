/** The simulated models. Their names say "sim" so nobody mistakes them for real ones. */

export interface SimModel {
  readonly id: string;
  /** Largest `max_tokens` a request may ask for. */
  readonly maxTokens: number;
  /** Multiplies every latency of this model's sequences: a larger model is slower per token. */
  readonly cost: number;
  readonly embeddingDimensions: number;
}

export const SIM_MODELS: readonly SimModel[] = [
  { id: 'sim-small', maxTokens: 2048, cost: 1, embeddingDimensions: 64 },
  { id: 'sim-large', maxTokens: 4096, cost: 2.5, embeddingDimensions: 256 },
];

export const SIM_OWNER = 'sluice-simulator';

export function findModel(id: string): SimModel | undefined {
  return SIM_MODELS.find((model) => model.id === id);
}
