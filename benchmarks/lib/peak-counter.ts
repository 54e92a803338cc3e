/**
 * How many things are open at once, and the most that ever were: streams held by a load
 * client. A leave without its enter is a bug in the caller, so it throws rather than let
 * the count drift below zero and understate the peak.
 */
export class PeakCounter {
  private open = 0;
  private highest = 0;

  enter(): void {
    this.open += 1;
    if (this.open > this.highest) this.highest = this.open;
  }

  leave(): void {
    if (this.open === 0) throw new RangeError('PeakCounter.leave() without a matching enter()');
    this.open -= 1;
  }

  get current(): number {
    return this.open;
  }

  get peak(): number {
    return this.highest;
  }
}
