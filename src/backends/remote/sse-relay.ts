/**
 * Relays an upstream server-sent-event stream to the client as it arrives. Reading
 * follows writing: the loop awaits `drain` whenever the client's socket buffer is full,
 * and while it waits the upstream body is not read, so TCP flow control slows the
 * upstream down instead of sluice buffering without bound.
 *
 * Each event is looked at once on the way through: model names are mapped back, the
 * first content chunk is timed, tokens are counted, and `[DONE]` is noticed. A stream
 * that breaks off, stalls or ends without `[DONE]` gets one last event
 * `data: {"error": {...}}` (OpenAI's envelope) before sluice closes it.
 */
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SluiceError } from '../../errors.ts';
import { errorBody } from '../../protocols/envelopes.ts';
import { bodyFailure, discardBody } from './upstream-errors.ts';

export interface RelayOptions {
  readonly body: Readable;
  /** The client's response (a ServerResponse whose headers are sent). */
  readonly raw: Writable;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** The sluice model name every chunk's `model` field is set to. */
  readonly model: string;
  readonly where: string;
  /** Called when the first chunk with content is written. */
  readonly onFirstToken: () => void;
}

export interface RelayOutcome {
  /** `[DONE]` came through. */
  readonly completed: boolean;
  readonly clientGone: boolean;
  /** The upstream's `usage.completion_tokens` when it sent usage, else the content chunks. */
  readonly tokens: number;
  readonly failure: SluiceError | undefined;
}

export async function relaySse(options: RelayOptions): Promise<RelayOutcome> {
  const { body, raw, signal } = options;
  const decoder = new StringDecoder('utf8');
  const tally = new StreamTally(options.model, options.onFirstToken);
  let buffered = '';
  let failure: SluiceError | undefined;
  try {
    for await (const chunk of body) {
      buffered += decoder.write(chunk as Buffer);
      const events = buffered.split(/\r?\n\r?\n/);
      buffered = events.pop() ?? '';
      const out = events.map((event) => tally.relay(event)).join('');
      if (out !== '' && !raw.write(out)) await drainedOrClosed(raw);
      if (raw.destroyed || signal.aborted) break;
    }
  } catch (error) {
    if (!signal.aborted) failure = bodyFailure(error, options.where);
  } finally {
    discardBody(body);
  }
  const clientGone = raw.destroyed || signal.aborted;
  if (!clientGone && failure === undefined && !tally.done && !tally.upstreamError) {
    failure = new SluiceError('ERR_UPSTREAM_BAD_RESPONSE', `${options.where}: the stream ended before [DONE]`);
  }
  if (!clientGone) {
    if (failure !== undefined) raw.write(`data: ${JSON.stringify(errorBody('openai', failure))}\n\n`);
    raw.end();
  }
  return { completed: tally.done, clientGone, tokens: tally.tokens(), failure: failure ?? (tally.upstreamError ? new SluiceError('ERR_UPSTREAM_BAD_RESPONSE', `${options.where} ended the stream with an error event`) : undefined) };
}

/** Both listeners go when either fires: a long stream waits for drain thousands of times. */
function drainedOrClosed(raw: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
  });
}

interface StreamChunk {
  model?: unknown;
  error?: unknown;
  usage?: { completion_tokens?: unknown } | null;
  choices?: Array<{ delta?: { content?: unknown }; text?: unknown }>;
}

/** Reads each event on its way through; rewrites only those that carry a model name. */
class StreamTally {
  done = false;
  upstreamError = false;
  private contentChunks = 0;
  private usageTokens: number | undefined;

  constructor(
    private readonly model: string,
    private readonly onFirstToken: () => void,
  ) {}

  tokens(): number {
    return this.usageTokens ?? this.contentChunks;
  }

  /** The event as the client gets it (with its blank line), or '' for what comes after [DONE]. */
  relay(event: string): string {
    if (this.done) return '';
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data === '[DONE]') this.done = true;
    if (data === '' || data === '[DONE]') return `${event}\n\n`;
    const chunk = parseChunk(data);
    if (chunk === undefined) return `${event}\n\n`;
    this.observe(chunk);
    if (chunk.model === undefined || chunk.model === this.model) return `${event}\n\n`;
    return `data: ${JSON.stringify({ ...chunk, model: this.model })}\n\n`;
  }

  private observe(chunk: StreamChunk): void {
    if (chunk.error !== undefined) this.upstreamError = true;
    const completionTokens = chunk.usage?.completion_tokens;
    if (typeof completionTokens === 'number') this.usageTokens = completionTokens;
    const choice = chunk.choices?.[0];
    const content = choice?.delta?.content ?? choice?.text;
    if (typeof content !== 'string' || content === '') return;
    this.contentChunks += 1;
    if (this.contentChunks === 1) this.onFirstToken();
  }
}

function parseChunk(data: string): StreamChunk | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as StreamChunk) : undefined;
  } catch {
    return undefined;
  }
}
