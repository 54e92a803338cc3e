/** An upstream's answer as the remote backend hands it on: headers in, body still to read. */
import type { Readable } from 'node:stream';

export interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Readable;
  /** "backend \"x\" replica host:port", for error messages. */
  readonly where: string;
  /** When the attempt that answered was sent, on `performance.now()`'s scale (not the request's slot wait or earlier attempts). */
  readonly startedAt: number;
  /** Reports the attempt's outcome to the replica counts, the balancer and the concurrency limit; only the first call counts. */
  settle(ok: boolean): void;
}
