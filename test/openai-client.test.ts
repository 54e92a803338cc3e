import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { Sluice } from '../src/http/server.ts';
import { startTestSluice } from './support/server.ts';

let sluice: Sluice;
let client: OpenAI;
before(async () => {
  sluice = await startTestSluice();
  await sluice.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = sluice.app.server.address() as AddressInfo;
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(() => sluice.close());

test('the official openai client creates embeddings (its default base64 encoding)', async () => {
  const response = await client.embeddings.create({
    model: 'embed',
    input: ['I need a refill', 'Where are my lab results?'],
  });
  assert.equal(response.data.length, 2);
  const [first] = response.data;
  assert.ok(first !== undefined);
  assert.equal(first.embedding.length, sluice.models.resolve('embed').spec.tensors.outputs[0]?.shape[1]);
  assert.ok(Math.abs(Math.hypot(...first.embedding) - 1) < 1e-4);
  assert.equal(response.usage.prompt_tokens, 9);
  const floats = await client.embeddings.create({ model: 'embed', input: 'I need a refill', encoding_format: 'float' });
  // Alone vs in a batch of two: GEMM kernels differ by batch size in the last bits.
  floats.data[0]?.embedding.forEach((value, index) =>
    assert.ok(Math.abs(value - (first.embedding[index] ?? NaN)) < 1e-6),
  );
});

test('the openai client lists and retrieves models', async () => {
  const ids: string[] = [];
  for await (const model of client.models.list()) ids.push(model.id);
  assert.deepEqual(ids, ['embed', 'noshow-risk', 'triage-large', 'triage-small']);
  assert.equal((await client.models.retrieve('embed')).id, 'embed');
});

test('the openai client surfaces errors with their status, code and param', async () => {
  await assert.rejects(client.embeddings.create({ model: 'nope', input: 'hi' }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.equal(error.status, 404);
    assert.equal(error.code, 'err_model_not_found');
    assert.equal(error.param, 'model');
    return true;
  });
  await assert.rejects(client.embeddings.create({ model: 'triage-small', input: 'hi' }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.match(error.message, /not an embedding model/);
    return true;
  });
});
