/**
 * The calls accepted and not yet answered, on any transport (HTTP replies, gRPC calls).
 * Shutdown waits on it: it resolves `idle()` when the last one is answered, and answers
 * whatever is left when the grace period runs out, so no accepted call is ever dropped
 * without a reply.
 */
export class Inflight<Call> {
  private readonly calls = new Set<Call>();
  private waiters: Array<() => void> = [];

  get size(): number {
    return this.calls.size;
  }

  add(call: Call): void {
    this.calls.add(call);
  }

  delete(call: Call): void {
    if (!this.calls.delete(call) || this.calls.size > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves true once nothing is in flight, or false when `timeoutMs` passes first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.calls.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(wake);
    });
  }

  /** Answers every call still open (the grace period is over): `answer` says whether it answered one; returns how many. */
  answerAll(answer: (call: Call) => boolean): number {
    let answered = 0;
    for (const call of [...this.calls]) if (answer(call)) answered += 1;
    return answered;
  }
}
