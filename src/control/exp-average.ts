/**
 * The long-term ("no-load") RTT of the adaptive limit: an exponential moving average
 * that starts as a plain mean. Averaging the first few samples equally keeps one odd
 * first sample (a cold cache, a JIT warm-up) from setting the baseline for minutes.
 * After the warm-up each sample weighs 2/(window+1), the usual "N-period" EWMA whose
 * centre of mass lies about window/2 samples back.
 */
export class ExpAverage {
  private readonly factor: number;
  private readonly warmup: number;
  private value = 0;
  private count = 0;

  constructor(window: number, warmup = 10) {
    if (!Number.isFinite(window) || window < 1) throw new RangeError(`window must be ≥ 1, got ${window}`);
    this.factor = 2 / (window + 1);
    this.warmup = Math.min(warmup, window);
  }

  /** 0 until the first sample. */
  get current(): number {
    return this.value;
  }

  add(sample: number): number {
    if (this.count < this.warmup) {
      this.count += 1;
      this.value += (sample - this.value) / this.count;
    } else {
      this.value += (sample - this.value) * this.factor;
    }
    return this.value;
  }

  /** Moves the average by a factor outright, without waiting for samples to pull it. */
  scale(factor: number): void {
    this.value *= factor;
  }
}
