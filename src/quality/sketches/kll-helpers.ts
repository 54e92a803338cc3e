/** Small pieces of the KLL sketch kept apart so quantile-sketch.ts reads as the algorithm. */

/** The `counter`-th draw of mulberry32 from `seed` (core/seeded-rng's generator), reduced to one bit. */
export function coin(seed: number, counter: number): number {
  let t = (seed + Math.imul(counter + 1, 0x6d2b79f5)) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 31) & 1;
}

/** push(...items) without spreading: a long level would overflow the argument stack. */
export function appendTo(target: number[], items: readonly number[]): void {
  for (const item of items) target.push(item);
}

/** Index of the first value > x in an ascending array. */
export function upperBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
