/**
 * Preloaded (`node --import`) into a third-party server that listens on every interface
 * and has no flag to say otherwise (Portkey's `start-server.js` calls `listen(port)` with
 * no host): binds it to 127.0.0.1 instead, so a benchmark never opens a proxy that
 * forwards to any host onto the machine's network.
 */
import { Server } from 'node:net';

type Listen = (this: Server, ...args: unknown[]) => Server;
const listen = Server.prototype.listen as Listen;

function withLoopbackHost(args: unknown[]): unknown[] {
  const [first, second, ...rest] = args;
  if (typeof first === 'number') {
    // listen(port), listen(port, undefined, cb), listen(port, cb): no host given.
    if (second === undefined) return [first, '127.0.0.1', ...rest];
    if (typeof second === 'function') return [first, '127.0.0.1', second, ...rest];
    return args;
  }
  // listen({ port }) without a host (a `path` is a Unix socket: left alone).
  if (typeof first === 'object' && first !== null && !('host' in first) && !('path' in first))
    return [{ ...first, host: '127.0.0.1' }, ...args.slice(1)];
  return args;
}

Server.prototype.listen = function listenOnLoopback(this: Server, ...args: unknown[]): Server {
  return listen.apply(this, withLoopbackHost(args));
} as typeof Server.prototype.listen;
