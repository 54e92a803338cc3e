/**
 * The JSON body parser: fastify's own rules (an empty body and invalid JSON are refused,
 * `__proto__` and `constructor.prototype` keys are refused as prototype poisoning) at the
 * price of `JSON.parse` alone for almost every body. Fastify's parser scans every body with
 * two regular expressions that allow a `\u` escape at each letter; here a native substring
 * search rules poisoning out first, and only a body that holds "proto", "constructor" or
 * any `\u` escape goes through secure-json-parse, which applies the exact rules.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { SluiceError } from '../core/errors.ts';

const REFUSE_POISON = { protoAction: 'error', constructorAction: 'error' } as const;

export function parseJsonBody(body: string): unknown {
  // A byte order mark is no part of the JSON; fastify's parser dropped it too.
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  if (text.length === 0)
    throw new SluiceError('ERR_REQUEST_MALFORMED_JSON', 'request body is empty; a JSON object is required');
  const suspect = text.includes('proto') || text.includes('constructor') || text.includes('\\u');
  try {
    return suspect ? secureJson.parse(text, undefined, REFUSE_POISON) : JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SluiceError('ERR_REQUEST_MALFORMED_JSON', `request body is not valid JSON: ${reason}`, {
      cause: error,
    });
  }
}

/** Replaces fastify's `application/json` parser on `app` (and the scopes registered after). */
export function useJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void) => {
      try {
        done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}
