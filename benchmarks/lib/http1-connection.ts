/**
 * One keep-alive HTTP/1.1 connection of the load generator, one request at a time. It
 * writes request bytes prepared before the run and reads answers with
 * `Http1ResponseParser`: no per-request objects beyond the caller's callback, so the
 * generator's cost per request stays a small fraction of the server's it measures.
 */
import { connect, type Socket } from 'node:net';
import { Http1ResponseParser, type ResponseHead } from './http1-response-parser.ts';

export type ExchangeResult = { readonly head: ResponseHead } | { readonly error: Error };
type ExchangeDone = (result: ExchangeResult) => void;

export class Http1Connection {
  private readonly socket: Socket;
  private readonly parser = new Http1ResponseParser();
  private current: ExchangeDone | undefined;
  private closedWith: Error | undefined;
  /** Resolves once connected (or failed to). */
  readonly ready: Promise<void>;

  constructor(host: string, port: number, onClosed: (connection: Http1Connection) => void) {
    this.socket = connect({ host, port, noDelay: true });
    this.ready = new Promise((resolve) => {
      this.socket.once('connect', resolve);
      this.socket.once('close', () => resolve());
    });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', (error) => {
      this.closedWith ??= error;
    });
    this.socket.on('end', () => {
      // A body that runs to the connection's end completes here; anything else was cut.
      if (this.current !== undefined) {
        try {
          this.complete({ head: this.parser.end() });
        } catch (error) {
          this.closedWith ??= error as Error;
        }
      }
      this.socket.destroy();
    });
    this.socket.once('close', () => {
      this.closedWith ??= new Error('connection closed');
      this.complete({ error: this.closedWith });
      onClosed(this);
    });
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  get closed(): boolean {
    return this.closedWith !== undefined || this.socket.destroyed;
  }

  /** Writes one request; `done` is called exactly once, with its answer's head or why there is none. */
  exchange(request: Buffer, done: ExchangeDone): void {
    if (this.current !== undefined) throw new Error('one request at a time on a connection');
    if (this.closed) return done({ error: this.closedWith ?? new Error('connection closed') });
    this.current = done;
    this.socket.write(request);
  }

  /** Gives up on the connection and whatever it is waiting for (`done` gets `reason`). */
  destroy(reason: Error): void {
    this.closedWith ??= reason;
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    let head: ResponseHead | undefined;
    try {
      head = this.parser.push(chunk);
    } catch (error) {
      return this.destroy(error as Error);
    }
    if (head === undefined) return;
    if (this.current === undefined) return this.destroy(new Error('a response nobody asked for'));
    if (head.closes) {
      this.closedWith ??= new Error('the server closed the connection');
      this.socket.end();
    }
    this.complete({ head });
  }

  private complete(result: ExchangeResult): void {
    const done = this.current;
    this.current = undefined;
    done?.(result);
  }
}
