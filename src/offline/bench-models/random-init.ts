/**
 * Random weights for the benchmark models. Nothing is trained: these models exist to cost
 * what a real model of their shape costs, so their weights only have to keep activations
 * in range, which He initialisation does for ReLU layers (variance 2 / fan-in).
 */
import type { Rng } from '../../core/seeded-rng.ts';

/** `count` weights drawn from N(0, gain² / fanIn). */
export function scaledNormal(rng: Rng, count: number, fanIn: number, gain = Math.SQRT2): Float32Array {
  const scale = gain / Math.sqrt(fanIn);
  const weights = new Float32Array(count);
  for (let index = 0; index < count; index++) weights[index] = rng.normal() * scale;
  return weights;
}

/** Small biases, so that no unit starts dead or saturated across the board. */
export function smallBiases(rng: Rng, count: number): Float32Array {
  const biases = new Float32Array(count);
  for (let index = 0; index < count; index++) biases[index] = rng.normal() * 0.01;
  return biases;
}

/** Uniform values in [0, 1] rounded to 3 decimals, so that an item's JSON spends at most 5 characters a value. */
export function unitValues(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => rng.int(1001) / 1000);
}
