/**
 * How long a simulated step takes. Pure arithmetic, so tests and docs/simulator.md can
 * state the formulas exactly:
 *
 *   prefill = slow × cost × (prefill_ms + prefill_per_token_ms × prompt_tokens) × (1 + prefill_contention × (running − 1))
 *   decode  = slow × cost × decode_ms × (1 + decode_contention × (running − 1))
 *
 * `running` counts the sequence itself, so a lone sequence pays the base cost.
 */

export interface LatencyConfig {
  /** Fixed part of the prefill (time to first token) of a lone sequence. */
  prefillMs: number;
  prefillPerTokenMs: number;
  /** Time per generated token after the first, for a lone sequence. */
  decodeMs: number;
  /** Extra prefill time per additional running sequence, as a fraction of the base. */
  prefillContention: number;
  /** Extra decode time per additional running sequence, as a fraction of the base. */
  decodeContention: number;
  /** Multiplies every latency: 10 makes a "slow replica". */
  slowFactor: number;
}

export const DEFAULT_LATENCY: Readonly<LatencyConfig> = Object.freeze({
  prefillMs: 20,
  prefillPerTokenMs: 0.1,
  decodeMs: 15,
  prefillContention: 0.05,
  decodeContention: 0.02,
  slowFactor: 1,
});

export function prefillTimeMs(config: LatencyConfig, promptTokens: number, running: number, cost: number): number {
  const base = config.prefillMs + config.prefillPerTokenMs * promptTokens;
  return config.slowFactor * cost * base * contention(config.prefillContention, running);
}

export function decodeTimeMs(config: LatencyConfig, running: number, cost: number): number {
  return config.slowFactor * cost * config.decodeMs * contention(config.decodeContention, running);
}

function contention(perSequence: number, running: number): number {
  return 1 + perSequence * Math.max(0, running - 1);
}
