/**
 * Relays an upstream server-sent-event stream to the client as it arrives. Reading
 * follows writing: the loop awaits `drain` whenever the client's socket buffer is full,
 * and while it waits the upstream body is not read, so TCP flow control slows the
 * upstream down instead of sluice buffering without bound.
 *
 * Each event is looked at once on the way through: model names are mapped back, the
 * first content chunk is timed, the upstream's usage is kept, the content is counted with
 * the tokenizer (incrementally: no text is held beyond the last word of each choice),
 * and `[DONE]` is noticed. A stream that breaks off, stalls or ends without `[DONE]`
 * gets one last event `data: {"error": {...}}` (the client's envelope) before sluice closes it.
 */
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SluiceError } from '../../core/errors.ts';
import { TokenCounter } from './tokens/index.ts';
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
  /** The last event's data for a stream that failed, in the client's error envelope. */
  readonly errorEvent: (failure: SluiceError) => unknown;
}

export interface RelayOutcome {
  /** `[DONE]` came through. */
  readonly completed: boolean;
  readonly clientGone: boolean;
  readonly tokens: StreamTokens;
  /** Each choice's `finish_reason`, as the stream gave them. */
  readonly finishReasons: readonly string[];
  readonly failure: SluiceError | undefined;
}

export interface StreamTokens {
  /** The upstream's `usage.prompt_tokens` and `usage.completion_tokens`, from its last chunk that had them. */
  readonly upstreamPrompt: number | undefined;
  readonly upstreamCompletion: number | undefined;
  /** The content (chat) and text (completions) deltas of every choice, counted with the tokenizer. */
  readonly counted: number;
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
    if (failure !== undefined) raw.write(`data: ${JSON.stringify(options.errorEvent(failure))}\n\n`);
    raw.end();
  }
  return {
    completed: tally.done,
    clientGone,
    tokens: tally.tokens(),
    finishReasons: tally.finishReasons,
    failure:
      failure ??
      (tally.upstreamError
        ? new SluiceError('ERR_UPSTREAM_BAD_RESPONSE', `${options.where} ended the stream with an error event`)
        : undefined),
  };
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
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
  choices?: unknown;
}

interface StreamChoice {
  index?: unknown;
  delta?: { content?: unknown } | null;
  text?: unknown;
  finish_reason?: unknown;
}

/** Reads each event on its way through; rewrites only those that carry a model name. */
class StreamTally {
  done = false;
  upstreamError = false;
  readonly finishReasons: string[] = [];
  private firstTokenSeen = false;
  private upstreamPrompt: number | undefined;
  private upstreamCompletion: number | undefined;
  /** One per choice index: choices' deltas interleave, and each is its own text. */
  private readonly counters = new Map<unknown, TokenCounter>();

  constructor(
    private readonly model: string,
    private readonly onFirstToken: () => void,
  ) {}

  tokens(): StreamTokens {
    let counted = 0;
    for (const counter of this.counters.values()) counted += counter.total();
    return { upstreamPrompt: this.upstreamPrompt, upstreamCompletion: this.upstreamCompletion, counted };
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
    const { prompt_tokens: prompt, completion_tokens: completion } = chunk.usage ?? {};
    if (typeof prompt === 'number') this.upstreamPrompt = prompt;
    if (typeof completion === 'number') this.upstreamCompletion = completion;
    if (!Array.isArray(chunk.choices)) return;
    for (const choice of chunk.choices as Array<StreamChoice | null>) if (choice !== null) this.count(choice);
  }

  private count(choice: StreamChoice): void {
    if (typeof choice.finish_reason === 'string') this.finishReasons.push(choice.finish_reason);
    const content = choice.delta?.content ?? choice.text;
    if (typeof content !== 'string' || content === '') return;
    if (!this.firstTokenSeen) {
      this.firstTokenSeen = true;
      this.onFirstToken();
    }
    let counter = this.counters.get(choice.index ?? 0);
    if (counter === undefined) this.counters.set(choice.index ?? 0, (counter = new TokenCounter()));
    counter.push(content);
  }
}

function parseChunk(data: string): StreamChunk | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as StreamChunk)
      : undefined;
  } catch {
    return undefined;
  }
}
