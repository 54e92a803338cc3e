/**
 * The inference requests accepted and not yet answered. Shutdown waits on it: it
 * resolves `idle()` when the last one is answered, and answers whatever is left when
 * the grace period runs out, so no accepted request is ever dropped without a reply.
 */
import type { FastifyReply } from 'fastify';

export class InflightRequests {
  private readonly replies = new Set<FastifyReply>();
  private waiters: Array<() => void> = [];

  get size(): number {
    return this.replies.size;
  }

  add(reply: FastifyReply): void {
    this.replies.add(reply);
  }

  delete(reply: FastifyReply): void {
    if (!this.replies.delete(reply) || this.replies.size > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves true once nothing is in flight, or false when `timeoutMs` passes first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.replies.size === 0) return Promise.resolve(true);
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

  /** Answers every request still open (the grace period is over) and returns how many there were. */
  answerAll(answer: (reply: FastifyReply) => void): number {
    const open = [...this.replies].filter((reply) => !reply.sent);
    for (const reply of open) answer(reply);
    return open.length;
  }
}
