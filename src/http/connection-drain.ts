/**
 * Keep-alive connections during shutdown. HTTP/1.1 gives a server no way to tell a client
 * holding an idle connection "send nothing more": closing it races with a request the
 * client may be writing on it, and that request fails with a reset, never answered. A
 * deploy that closes its keep-alive connections as soon as the in-flight requests are done
 * drops every request that was on its way to one of them (docs/design-notes.md).
 *
 * So once draining, every response carries `Connection: close`: the connection that
 * carried it closes after it, cleanly, and the client's next request opens a new one and
 * gets its 503 there. The server stays open until no request has arrived for `quietMs`
 * (clients that have had their 503s have stopped, or moved to another replica), and only
 * then are the idle connections closed, when nobody is writing on them.
 *
 *   begin() ───► every response: Connection: close; every arrival restarts the quiet time
 *   quiet(graceMs) ─► resolves once no request has arrived for quietMs (true), or
 *                     graceMs after begin() (false: a client that never stops is cut off)
 */
import type { Clock } from '../core/clock.ts';

/** What the drain needs of a `ServerResponse`. */
export interface ResponseHeaders {
  setHeader(name: string, value: string): unknown;
}

export class ConnectionDrain {
  private draining = false;
  private beganMs = Number.NEGATIVE_INFINITY;
  private lastArrivalMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly quietMs: number,
  ) {
    if (!(quietMs >= 0) || !Number.isFinite(quietMs))
      throw new RangeError(`quietMs must be a finite number ≥ 0, got ${quietMs}`);
  }

  get active(): boolean {
    return this.draining;
  }

  /** Shutdown has begun; the quiet time starts now, as if a request had just arrived. */
  begin(): void {
    this.draining = true;
    this.beganMs = this.clock.now();
    this.lastArrivalMs = this.beganMs;
  }

  /** Every request the HTTP server receives, before anything answers it. */
  onRequest(response: ResponseHeaders): void {
    if (!this.draining) return;
    this.lastArrivalMs = this.clock.now();
    response.setHeader('connection', 'close');
  }

  /** Resolves true once no request has arrived for `quietMs`, or false when `graceMs` since `begin()` have passed first. */
  quiet(graceMs: number): Promise<boolean> {
    const deadlineMs = this.beganMs + graceMs;
    return new Promise((resolve) => {
      const check = (): void => {
        const now = this.clock.now();
        const quietAtMs = this.lastArrivalMs + this.quietMs;
        if (now >= quietAtMs) return resolve(true);
        if (now >= deadlineMs) return resolve(false);
        // Timers run before the loop polls its sockets: deciding in the check phase, after
        // the poll, counts the requests that arrived while the loop was stalled, so a stall
        // (a GC pause, a starved process) is not taken for quiet.
        this.clock.setTimer(() => setImmediate(check), Math.min(quietAtMs, deadlineMs) - now);
      };
      check();
    });
  }
}
