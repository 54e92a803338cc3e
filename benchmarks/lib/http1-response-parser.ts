/**
 * An HTTP/1.1 response reader for the load generator: it finds the status, the
 * `x-sluice-error-code` header and the end of the body, and skips everything else. The
 * body is never copied or decoded: the generator only needs to know when an answer ended.
 *
 *   head ─► "\r\n\r\n" found ─► 1xx: start over ─► content-length n: count n bytes ─► done
 *                                               ├► chunked: size line, data, CRLF … 0, trailers ─► done
 *                                               ├► 204, 304: done (no body)
 *                                               └► neither: the body runs to the connection's end
 */

export interface ResponseHead {
  readonly status: number;
  readonly errorCode: string | undefined;
  /** The server will close the connection after this response. */
  readonly closes: boolean;
}

type BodyState =
  | { readonly kind: 'length'; remaining: number }
  | { readonly kind: 'chunk-size' }
  | { readonly kind: 'chunk-data'; remaining: number }
  | { readonly kind: 'trailers' }
  | { readonly kind: 'until-close' };

const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
const headerPattern = (name: string): RegExp => new RegExp(`\\r\\n${name}:[ \\t]*([^\\r]*)`, 'i');
const HEADERS = {
  connection: headerPattern('connection'),
  errorCode: headerPattern('x-sluice-error-code'),
  contentLength: headerPattern('content-length'),
  transferEncoding: headerPattern('transfer-encoding'),
} as const;
/** A head longer than this is not an answer this generator knows how to read. */
const MAX_HEAD_BYTES = 64 * 1024;

export class Http1ResponseParser {
  /** Bytes not yet consumed: a partial head or a partial chunk-size line. */
  private pending: Buffer | undefined;
  private head: ResponseHead | undefined;
  private body: BodyState | undefined;

  /**
   * Feeds bytes read from the socket; returns the head of the response they complete, or
   * undefined while it is not complete. Throws on bytes that are not an HTTP/1.1 response.
   */
  push(chunk: Buffer): ResponseHead | undefined {
    let data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    while (data.length > 0) {
      if (this.head === undefined) {
        const end = data.indexOf(HEAD_END);
        if (end < 0) {
          if (data.length > MAX_HEAD_BYTES) throw new Error(`response head longer than ${MAX_HEAD_BYTES} bytes`);
          this.pending = data;
          return undefined;
        }
        this.startBody(data.subarray(0, end).toString('latin1'));
        data = data.subarray(end + HEAD_END.length);
        if (this.head !== undefined && this.body === undefined) return this.finish();
        continue;
      }
      const rest = this.consumeBody(data);
      if (rest === 'incomplete') return undefined;
      // With one request per connection at a time nothing follows a response; bytes that did would be the server's error.
      if (rest === 'done') return this.finish();
      data = rest;
    }
    return undefined;
  }

  /** The connection ended: completes a response whose body runs to the end, else says what was cut. */
  end(): ResponseHead {
    if (this.head !== undefined && this.body?.kind === 'until-close') return this.finish();
    throw new Error(
      this.head === undefined
        ? 'connection closed before a response'
        : 'connection closed in the middle of a response body',
    );
  }

  /** Between responses, or before the first one. */
  get idle(): boolean {
    return this.head === undefined && this.pending === undefined;
  }

  private startBody(headText: string): void {
    const status = Number(headText.slice(9, 12));
    if (!headText.startsWith('HTTP/1.') || !(status >= 100 && status <= 599))
      throw new Error(`not an HTTP/1.1 response: ${JSON.stringify(headText.slice(0, 40))}`);
    if (status < 200) return; // 1xx: an interim head, the real one follows
    const header = (pattern: RegExp): string | undefined => pattern.exec(headText)?.[1]?.trim();
    const closes = /close/i.test(header(HEADERS.connection) ?? '');
    this.head = { status, errorCode: header(HEADERS.errorCode), closes };
    const length = header(HEADERS.contentLength);
    if (status === 204 || status === 304) this.body = undefined;
    else if (/chunked/i.test(header(HEADERS.transferEncoding) ?? '')) this.body = { kind: 'chunk-size' };
    else if (length !== undefined) this.body = { kind: 'length', remaining: parseLength(length) };
    else this.body = { kind: 'until-close' };
    if (this.body?.kind === 'length' && this.body.remaining === 0) this.body = undefined;
  }

  /** Consumes body bytes; the bytes left after the body ends, or how far it got. */
  private consumeBody(data: Buffer): Buffer | 'incomplete' | 'done' {
    const body = this.body;
    if (body === undefined) return 'done';
    switch (body.kind) {
      case 'until-close':
        return 'incomplete';
      case 'length':
      case 'chunk-data': {
        const taken = Math.min(body.remaining, data.length);
        body.remaining -= taken;
        if (body.remaining > 0) return 'incomplete';
        if (body.kind === 'length') return 'done';
        this.body = { kind: 'chunk-size' };
        return data.subarray(taken);
      }
      case 'chunk-size':
      case 'trailers':
        return this.consumeLine(data, body.kind);
    }
  }

  /** A chunk-size line (or the CRLF after a chunk's data), or a trailer line. */
  private consumeLine(data: Buffer, kind: 'chunk-size' | 'trailers'): Buffer | 'incomplete' | 'done' {
    const end = data.indexOf(CRLF);
    if (end < 0) {
      this.pending = data;
      return 'incomplete';
    }
    const line = data.subarray(0, end).toString('latin1');
    const rest = data.subarray(end + CRLF.length);
    if (kind === 'trailers') return line === '' ? 'done' : rest;
    if (line === '') return rest; // the CRLF that ends a chunk's data
    const size = Number.parseInt(line.split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size line ${JSON.stringify(line)}`);
    this.body = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining: size };
    // After "0\r\n" the final empty line may come in the next read.
    return rest.length === 0 ? 'incomplete' : rest;
  }

  private finish(): ResponseHead {
    const head = this.head;
    if (head === undefined) throw new Error('no response to finish');
    this.head = undefined;
    this.body = undefined;
    this.pending = undefined;
    return head;
  }
}

function parseLength(text: string): number {
  const length = Number(text);
  if (!Number.isSafeInteger(length) || length < 0) throw new Error(`bad content-length ${JSON.stringify(text)}`);
  return length;
}
