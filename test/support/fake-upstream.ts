/**
 * A plain node:http server imitating an OpenAI-compatible replica, for behaviour the
 * simulator does not offer: a health endpoint that can be switched to 500, 429s with a
 * chosen Retry-After, and answers held until the test lets them go. Every GET is a health
 * probe; every POST a chat completion.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUpstream {
  readonly url: string;
  /** Status of the answer to health probes (any GET); 0: never answer them. */
  healthStatus: number;
  /** While `times` > 0, POSTs are answered 429 with this Retry-After (omitted when undefined). */
  rateLimit: { retryAfter: string | undefined; times: number } | undefined;
  /** Hold POSTs until `release()`: unary ones before their headers, streams after their first chunk. */
  hold: boolean;
  /** POSTs received (chat completions, streamed or not). */
  readonly chats: () => number;
  /** The last message's content of every POST, in the order they arrived. */
  readonly contents: string[];
  readonly probes: () => number;
  /** "GET path" of every probe, and the Authorization header each carried. */
  readonly probesSeen: Array<{ path: string; authorization: string | undefined }>;
  /** POSTs waiting to be let go. */
  readonly held: () => number;
  release(): void;
  close(): Promise<void>;
}

const COMPLETION = {
  id: 'c1',
  object: 'chat.completion',
  created: 0,
  model: 'up',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
};
const CHUNK = {
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'up',
  choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }],
};

export async function startFakeUpstream(): Promise<FakeUpstream> {
  let chats = 0;
  let probes = 0;
  const waiting: Array<() => void> = [];
  const fake: FakeUpstream = {
    url: '',
    healthStatus: 200,
    rateLimit: undefined,
    hold: false,
    chats: () => chats,
    contents: [],
    probes: () => probes,
    probesSeen: [],
    held: () => waiting.length,
    release: () => {
      fake.hold = false;
      for (const go of waiting.splice(0)) go();
    },
    close: async () => {
      fake.release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const later = (go: () => void) => (fake.hold ? waiting.push(go) : go());
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.once('end', () => {
      if (request.method === 'GET') {
        probes += 1;
        fake.probesSeen.push({ path: request.url ?? '', authorization: request.headers.authorization });
        if (fake.healthStatus === 0) return;
        return void response
          .writeHead(fake.healthStatus, { 'content-type': 'application/json' })
          .end('{"object": "list", "data": []}');
      }
      chats += 1;
      const parsed = JSON.parse(body) as { stream?: boolean; messages?: Array<{ content?: unknown }> };
      fake.contents.push(String(parsed.messages?.at(-1)?.content ?? ''));
      const limit = fake.rateLimit;
      if (limit !== undefined && limit.times > 0) {
        limit.times -= 1;
        const headers = {
          'content-type': 'application/json',
          ...(limit.retryAfter === undefined ? {} : { 'retry-after': limit.retryAfter }),
        };
        return void response.writeHead(429, headers).end(
          JSON.stringify({
            error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
          }),
        );
      }
      if (parsed.stream === true) return stream(response, later);
      later(() => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(COMPLETION)));
    });
  });
  // A held request whose client gave up must not keep `release()` waiting on a dead socket.
  server.on('clientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(fake, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

function stream(response: ServerResponse, later: (go: () => void) => void): void {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.write(`data: ${JSON.stringify(CHUNK)}\n\n`);
  later(() => response.end('data: [DONE]\n\n'));
}

/**
 * A backend over fake upstreams serving model "chat" (upstream "up"): round robin, so which
 * replica comes next is known, and no hedges, so counts are exact; `extra` adds or overrides keys.
 */
export function fakeBackendConfig(
  upstreams: readonly FakeUpstream[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: 'llm',
    dialect: 'openai',
    load_balancing: 'round_robin',
    hedging: { enabled: false },
    replicas: upstreams.map((upstream) => ({ url: upstream.url })),
    models: [{ name: 'chat', upstream: 'up' }],
    ...extra,
  };
}
