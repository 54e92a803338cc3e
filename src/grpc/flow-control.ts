/**
 * HTTP/2 receive windows for the gRPC edge. grpc-js advertises Node's default windows (64 KB
 * a stream, 64 KB a connection) and reads no server option to change them (grpc-node#3058),
 * so a client sending one 196 KB image stops three times a call to wait for WINDOW_UPDATE,
 * which the server sends only when its event loop gets to the data: with the loop busy, few
 * calls arrive whole between batches, and each costs more loop turns. Measured with a bare
 * grpc-js server (benchmarks/grpc-floor.ts; docs/benchmarks.md, "gRPC: where the time goes").
 *
 *   client ── DATA 64 KB ─► server ─(loop turn)─ WINDOW_UPDATE ─► client ── DATA 64 KB ─► …   default
 *   client ── DATA 196 KB (whole call) ────────► server                                      widened
 */
import type { Server } from '@grpc/grpc-js';
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import { EventEmitter } from 'node:events';

/** A stream's window: one call of up to 1 MiB arrives without waiting for the server. */
export const STREAM_WINDOW_BYTES = 1024 * 1024;
/** A connection's window: what one client may have sent and the server not yet read (~40 images). */
export const CONNECTION_WINDOW_BYTES = 8 * 1024 * 1024;

/** grpc-js's own option, read by its client and, once grpc-node#3058 lands, by its server. */
export const FLOW_CONTROL_OPTION = { 'grpc-node.flow_control_window': STREAM_WINDOW_BYTES } as const;

/** Widens every session's windows as it opens. */
export function widenWindows(session: ServerHttp2Session): void {
  session.settings({ initialWindowSize: STREAM_WINDOW_BYTES });
  session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
}

/**
 * Hooks `widenWindows` on the HTTP/2 servers grpc-js has bound; returns how many. They are
 * a private field of grpc-js's Server: 0 means its layout changed and the windows stay at
 * 64 KB (flow-control.test.ts fails then).
 */
export function widenServerWindows(server: Server): number {
  const servers: unknown = (server as unknown as { readonly http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map)) return 0;
  let count = 0;
  for (const http2 of (servers as Map<unknown, unknown>).keys()) {
    if (!(http2 instanceof EventEmitter)) continue;
    (http2 as Http2Server).on('session', widenWindows);
    count++;
  }
  return count;
}
