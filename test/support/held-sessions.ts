/**
 * Real ONNX Runtime sessions whose batches can be held: while held, every batch waits
 * before it runs, so a test can fill queues, watch deadlines pass or shut down with
 * work in flight, deterministically, and then let everything go. They run where the
 * server's `models.execution` says (a worker thread by default).
 */
import type { ModelSession, OpenSession } from '../../src/engines/local/models/model-session.ts';
import { openModelSession } from '../../src/engines/local/models/open-model-session.ts';

export class HeldSessions {
  private holding = false;
  private waiting: Array<() => void> = [];
  /** Batches that have reached the session, held or not. */
  started = 0;

  readonly open: OpenSession = async (path, tensors, options) => {
    const session = await openModelSession(path, tensors, options);
    const wrapped: ModelSession = {
      run: async (batch) => {
        this.started += 1;
        if (this.holding) await new Promise<void>((resolve) => this.waiting.push(resolve));
        return session.run(batch);
      },
      release: () => session.release(),
      onLost: (listener) => session.onLost?.(listener),
    };
    return wrapped;
  };

  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const go of this.waiting.splice(0)) go();
  }

  get held(): number {
    return this.waiting.length;
  }
}

/** Waits (bounded) until `condition` holds, checking on every turn of the event loop. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
