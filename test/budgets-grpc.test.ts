/**
 * A budget over gRPC: the same reservation as over HTTP, past its soft ratio warned in the
 * answer's metadata, refused as RESOURCE_EXHAUSTED with its code and retry info.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { InferenceClient, textOf } from './support/grpc-client.ts';
import { testKey } from './support/keys.ts';
import { startTestSluice } from './support/server.ts';

const acme = testKey({ scopes: ['infer'] });

test('a ModelInfer call past its soft ratio carries x-sluice-budget-warning; past its budget it is RESOURCE_EXHAUSTED with ERR_BUDGET_EXCEEDED and retry-after-ms', async () => {
  const limits = { spend_per_day: 2, spend_unit: 'compute-units' };
  const sluice = await startTestSluice({
    config: { auth: { enabled: true }, tenants: [{ name: 'acme', keys: [acme.entry], limits }] },
  });
  const client = new InferenceClient(await sluice.startGrpc(0));
  try {
    const request = (text: string) => ({
      model_name: 'triage-small',
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from(text)] } }],
    });
    const first = await client.call('ModelInfer', request('first'), { metadata: acme.bearer });
    assert.equal(first.headers['x-sluice-budget-warning'], undefined, 'half the budget: under the soft ratio of 0.8');
    const second = await client.call('ModelInfer', request('second'), { metadata: acme.bearer });
    assert.equal(second.headers['x-sluice-budget-warning'], 'tenant=acme; limit=spend_per_day; used=100%');
    const refused = await client.call('ModelInfer', request('third'), { metadata: acme.bearer }).then(
      () => assert.fail('the third call was answered'),
      (error: ServiceError) => error,
    );
    assert.equal(refused.code, status.RESOURCE_EXHAUSTED);
    const trailers = textOf(refused.metadata);
    assert.equal(trailers['x-sluice-error-code'], 'ERR_BUDGET_EXCEEDED');
    const untilMidnight = 86_400_000 - (Date.now() % 86_400_000);
    assert.ok(Math.abs(Number(trailers['retry-after-ms']) - untilMidnight) < 5_000);
    assert.match(refused.details, /tenant "acme" is over its spend_per_day budget of 2 compute-units/);
  } finally {
    client.close();
    await sluice.close();
  }
});
