/**
 * Keeps a model version's monitoring cost bounded whatever its traffic: below `perSecond`
 * items a second every item is taken; above it every n-th, n set each second from the
 * second before's rate. Systematic, not random, so a window's items stay spread evenly
 * over its time. Distribution tests need a window's worth of items, not every item, so
 * a window of sampled items tests the same population at a fraction of the cost.
 */
export class RateSampler {
  private stride = 1;
  private skip = 0;
  private secondStart: number;
  private seenThisSecond = 0;

  constructor(
    /** Items a second above which items are sampled; 0: every item is taken. */
    private readonly perSecond: number,
    /** Milliseconds (Date.now or a fake clock). */
    private readonly now: () => number,
  ) {
    this.secondStart = now();
  }

  /** Whether to take the next item; `now` when the caller has read the clock already. */
  take(now?: number): boolean {
    if (this.perSecond === 0) return true;
    now ??= this.now();
    if (now - this.secondStart >= 1000) {
      const elapsedSeconds = (now - this.secondStart) / 1000;
      this.stride = Math.max(1, Math.ceil(this.seenThisSecond / elapsedSeconds / this.perSecond));
      this.seenThisSecond = 0;
      this.secondStart = now;
    }
    this.seenThisSecond += 1;
    if (this.skip > 0) {
      this.skip -= 1;
      return false;
    }
    this.skip = this.stride - 1;
    return true;
  }

  /** One item in this many is taken now (1: every item). */
  get oneIn(): number {
    return this.stride;
  }
}
