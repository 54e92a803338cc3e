import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '../core/errors.ts';
import { parseJsonBody } from './json-body.ts';

function refused(text: string, reason: RegExp): void {
  assert.throws(
    () => parseJsonBody(text),
    (error: unknown) =>
      error instanceof SluiceError && error.code === 'ERR_REQUEST_MALFORMED_JSON' && reason.test(error.message),
  );
}

describe('parseJsonBody', () => {
  it('parses what JSON.parse parses, a leading byte order mark dropped', () => {
    assert.deepEqual(parseJsonBody('{"inputs":[{"data":[1.5,-2]}]}'), { inputs: [{ data: [1.5, -2] }] });
    assert.deepEqual(parseJsonBody('\ufeff{"a":1}'), { a: 1 });
    assert.deepEqual(parseJsonBody('{"text":"caf\\u00e9","prototype":"x","constructor":"y"}'), {
      text: 'café',
      prototype: 'x',
      constructor: 'y',
    });
  });

  it('refuses an empty body and invalid JSON, saying why', () => {
    refused('', /body is empty/);
    refused('\ufeff', /body is empty/);
    refused('{"a":', /not valid JSON: .+/);
  });

  it('refuses prototype poisoning however it is spelled', () => {
    refused('{"__proto__":{"admin":true}}', /forbidden prototype property/);
    refused('{"a":{"\\u005f_proto__":{"admin":true}}}', /forbidden prototype property/);
    refused('{"constructor":{"prototype":{"admin":true}}}', /forbidden prototype property/);
    refused('{"\\u0063onstructor":{"prototype":{"admin":true}}}', /forbidden prototype property/);
  });
});
