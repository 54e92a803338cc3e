/**
 * What a load client needs to know of an OpenAI-style server-sent-event stream, read as
 * it arrives: when the first content token came, whether `data: [DONE]` came, and whether
 * the server ended it with an error event instead (sluice does when an upstream stream
 * breaks off after the headers went out; see docs/backends.md). Pure: it is fed text and
 * says what it saw; the caller keeps the clock.
 *
 * After the first content token only `[DONE]` and error events matter, so later events are
 * not parsed as JSON: with thousands of streams the generator must stay cheap, or it
 * measures itself.
 */

/** How a stream whose body ended amounted: complete, ended with an error event, or cut short. */
export type StreamVerdict =
  | { readonly kind: 'done'; readonly sawContent: boolean }
  | { readonly kind: 'error event'; readonly code: string }
  | { readonly kind: 'truncated' };

const EVENT_BOUNDARY = /\r?\n\r?\n/;
const ERROR_EVENT = /^\{\s*"error"/;

export class SseStreamReader {
  private buffered = '';
  private content = false;
  private finished = false;
  private errorCode: string | undefined;
  private count = 0;

  /** Feeds decoded text; true when it held the stream's first content token. */
  push(text: string): boolean {
    this.buffered += text;
    const events = this.buffered.split(EVENT_BOUNDARY);
    this.buffered = events.pop() ?? '';
    const hadContent = this.content;
    for (const event of events) this.readEvent(event);
    return !hadContent && this.content;
  }

  /** Events read so far (comments and empty events included). */
  get events(): number {
    return this.count;
  }

  get sawContent(): boolean {
    return this.content;
  }

  /** The body has ended: what the stream amounted to. A partial last event does not count. */
  verdict(): StreamVerdict {
    if (this.errorCode !== undefined) return { kind: 'error event', code: this.errorCode };
    if (this.finished) return { kind: 'done', sawContent: this.content };
    return { kind: 'truncated' };
  }

  private readEvent(event: string): void {
    this.count += 1;
    if (this.finished || this.errorCode !== undefined) return;
    const data = dataOf(event);
    if (data === undefined) return;
    if (data === '[DONE]') {
      this.finished = true;
      return;
    }
    if (this.content && !ERROR_EVENT.test(data)) return;
    const parsed = parseJson(data);
    const error = errorCodeOf(parsed);
    if (error !== undefined) this.errorCode = error;
    else if (hasContent(parsed)) this.content = true;
  }
}

/** The event's `data:` lines joined by newlines (the SSE rule); undefined for a comment-only event. */
export function dataOf(event: string): string | undefined {
  let data: string | undefined;
  for (const line of event.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.startsWith('data: ') ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{"error": {"code": ...}}` → its code (or type); anything else → undefined. */
function errorCodeOf(value: unknown): string | undefined {
  if (!isRecord(value) || !('error' in value)) return undefined;
  const error = value['error'];
  if (!isRecord(error)) return 'unknown';
  const code = error['code'] ?? error['type'];
  return typeof code === 'string' && code !== '' ? code : 'unknown';
}

/** A chat chunk with a non-empty `delta.content`, or a legacy completion chunk with non-empty `text`. */
function hasContent(value: unknown): boolean {
  if (!isRecord(value) || !Array.isArray(value['choices'])) return false;
  const choice: unknown = value['choices'][0];
  if (!isRecord(choice)) return false;
  const delta = choice['delta'];
  const text = isRecord(delta) ? delta['content'] : choice['text'];
  return typeof text === 'string' && text.length > 0;
}
