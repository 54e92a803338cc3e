import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { countTokens } from './tokens/index.ts';
import { relaySse } from './sse-relay.ts';

const chunk = (content: string) =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', model: 'upstream-name', choices: [{ index: 0, delta: { content } }] })}\n\n`;

/** A client that accepts writes only when told to, like a socket whose peer reads slowly. */
class SlowClient extends Writable {
  received = '';
  private held: Array<() => void> = [];
  constructor() {
    super({ highWaterMark: 64 });
  }
  override _write(data: Buffer, _encoding: string, callback: () => void): void {
    this.received += data.toString();
    this.held.push(callback);
  }
  release(): void {
    const held = this.held;
    this.held = [];
    for (const callback of held) callback();
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

test('a slow client pauses reading upstream, and everything arrives once it reads', async () => {
  let pulled = 0;
  const total = 5_000;
  const upstream = Readable.from(
    (function* () {
      for (; pulled < total;) {
        pulled += 1;
        yield Buffer.from(chunk(`t${pulled} `));
      }
      yield Buffer.from('data: [DONE]\n\n');
    })(),
    { highWaterMark: 4 },
  );
  const client = new SlowClient();
  let firstTokens = 0;
  const relayed = relaySse({
    body: upstream,
    raw: client,
    signal: new AbortController().signal,
    model: 'mine',
    where: 'test',
    onFirstToken: () => (firstTokens += 1),
    errorEvent: (failure) => ({ error: failure.message }),
  });
  for (let turn = 0; turn < 20; turn += 1) await settle();
  assert.ok(pulled < 50, `read ${pulled} upstream chunks while the client read none`);
  while (!client.writableFinished) {
    client.release();
    await settle();
  }
  const outcome = await relayed;
  assert.equal(outcome.completed, true);
  const text = Array.from({ length: total }, (_, index) => `t${index + 1} `).join('');
  assert.equal(outcome.tokens.counted, countTokens(text), 'the content, counted with the tokenizer as it passed');
  assert.equal(firstTokens, 1);
  assert.equal(outcome.failure, undefined);
  assert.ok(client.received.endsWith('data: [DONE]\n\n'));
  assert.ok(!client.received.includes('upstream-name'));
  assert.equal(client.received.match(/"model":"mine"/g)?.length, total);
});

test("the upstream's usage chunk is kept beside the counted content; events split across reads are joined", async () => {
  const text = `${chunk('Hello')}${chunk(' there')}data: {"choices":[],"model":"upstream-name","usage":{"prompt_tokens":3,"completion_tokens":7}}\n\ndata: [DONE]\n\n`;
  const upstream = Readable.from(
    [text.slice(0, 30), text.slice(30, 101), text.slice(101)].map((part) => Buffer.from(part)),
  );
  const client = new Writable({ write: (_data, _encoding, callback) => callback() });
  const outcome = await relaySse({
    body: upstream,
    raw: client,
    signal: new AbortController().signal,
    model: 'mine',
    where: 'test',
    onFirstToken: () => {},
    errorEvent: (failure) => ({ error: failure.message }),
  });
  assert.deepEqual(
    { completed: outcome.completed, tokens: outcome.tokens, failure: outcome.failure },
    { completed: true, tokens: { upstreamPrompt: 3, upstreamCompletion: 7, counted: 2 }, failure: undefined },
  );
});

test('each choice of a stream is counted as its own text, however their deltas interleave', async () => {
  const delta = (index: number, content: string) =>
    `data: ${JSON.stringify({ model: 'upstream-name', choices: [{ index, delta: { content } }] })}\n\n`;
  const text = [
    delta(0, 'Hello'),
    delta(1, 'once'),
    delta(0, ' there,'),
    delta(1, ' upon a'),
    delta(0, ' friend!'),
    delta(1, ' time'),
    'data: [DONE]\n\n',
  ].join('');
  const client = new Writable({ write: (_data, _encoding, callback) => callback() });
  const outcome = await relaySse({
    body: Readable.from([Buffer.from(text)]),
    raw: client,
    signal: new AbortController().signal,
    model: 'mine',
    where: 'test',
    onFirstToken: () => {},
    errorEvent: (failure) => ({ error: failure.message }),
  });
  assert.equal(outcome.tokens.counted, countTokens('Hello there, friend!') + countTokens('once upon a time'));
  assert.equal(outcome.tokens.upstreamCompletion, undefined);
});

test("each choice's finish_reason is kept as the stream gives it, from its last content chunk or one of its own", async () => {
  const event = (choices: object[]) => `data: ${JSON.stringify({ model: 'upstream-name', choices })}\n\n`;
  const text = [
    event([{ index: 0, delta: { content: 'Hi' }, finish_reason: null }]),
    event([{ index: 1, text: 'once', finish_reason: 'length' }]),
    event([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    'data: [DONE]\n\n',
  ].join('');
  const outcome = await relaySse({
    body: Readable.from([Buffer.from(text)]),
    raw: new Writable({ write: (_data, _encoding, callback) => callback() }),
    signal: new AbortController().signal,
    model: 'mine',
    where: 'test',
    onFirstToken: () => {},
    errorEvent: (failure) => ({ error: failure.message }),
  });
  assert.deepEqual(outcome.finishReasons, ['length', 'stop']);
});
