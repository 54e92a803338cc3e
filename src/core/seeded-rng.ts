/**
 * Seeded randomness for data generation and training. Everything the build does
 * draws from streams derived from one seed, so the same seed gives the same bytes.
 *
 * mulberry32 is small, fast and good enough for synthetic data and weight init;
 * normals come from Box-Muller (both values of a pair are used).
 */
import { fnv1a32 } from './fnv.ts';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Standard normal. */
  normal(): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Index drawn with probability proportional to its weight. */
  weighted(weights: readonly number[]): number;
  shuffle<T>(items: T[]): T[];
}

/** A named, independent stream of one seed ("train-data", "golden-data", "init"…). */
export function deriveSeed(seed: number, stream: string): number {
  return fnv1a32(`${seed >>> 0}/${stream}`);
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  let spareNormal: number | undefined;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);
  return {
    next,
    int,
    normal() {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      const angle = 2 * Math.PI * next();
      spareNormal = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
    chance: (probability) => next() < probability,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)] as T;
    },
    weighted(weights) {
      const total = weights.reduce((sum, weight) => sum + weight, 0);
      let target = next() * total;
      for (let index = 0; index < weights.length; index++) {
        target -= weights[index] ?? 0;
        if (target < 0) return index;
      }
      return weights.length - 1;
    },
    shuffle<T>(items: T[]): T[] {
      for (let index = items.length - 1; index > 0; index--) {
        const other = int(index + 1);
        [items[index], items[other]] = [items[other] as T, items[index] as T];
      }
      return items;
    },
  };
}

/** Uniform in [0, 1), like `Math.random`. */
export type RandomSource = () => number;
