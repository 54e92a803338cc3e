import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startTestSluice } from './support/server.ts';

let sluice: Sluice;
before(async () => {
  sluice = await startTestSluice();
});
after(() => sluice.close());

const TEXTS = [
  'I need to move my appointment to next Tuesday',
  'refill',
  'my chest hurts and I feel dizzy, please call me back right away',
  'Could you send my vaccination records to my new doctor at the clinic on Main Street?',
  'why was I charged twice',
  'are my blood test results in yet',
  'hello',
  'I have had a mild cough for a week and a sore throat but no fever',
];

async function inferAlone(model: string, text: string): Promise<number[]> {
  const response = await sluice.app.inject({
    method: 'POST',
    url: `/v2/models/${model}/infer`,
    payload: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [text] }] },
  });
  assert.equal(response.statusCode, 200);
  return response.json().outputs[0].data;
}

function batchStats(model: string) {
  const stats = sluice.models.resolve(model).stats();
  assert.ok(stats !== undefined);
  return stats;
}

for (const model of ['triage-large', 'embed']) {
  test(`${model}: concurrent requests share batches and each gets exactly its own output`, async () => {
    const alone = new Map<string, number[]>();
    for (const text of TEXTS) alone.set(text, await inferAlone(model, text));
    const before = batchStats(model);
    const requests = Array.from({ length: 64 }, (_, index) => TEXTS[index % TEXTS.length] as string);
    const responses = await Promise.all(requests.map((text) => inferAlone(model, text)));
    const after = batchStats(model);
    const batches = after.executedBatches - before.executedBatches;
    const items = after.executedItems - before.executedItems;
    assert.equal(items, requests.length);
    assert.ok(batches < requests.length, `expected fewer batches than requests, got ${batches} for ${requests.length}`);
    const sizes = Object.entries(after.batchCountsBySize).filter(
      ([size, count]) => Number(size) > 1 && count > (before.batchCountsBySize[Number(size)] ?? 0),
    );
    assert.ok(sizes.length > 0, 'at least one batch larger than 1 was formed');
    // Rows of different lengths were padded into shared batches; masked pooling keeps the
    // result the same as when the text is sent alone (GEMM kernels may differ by batch size
    // in the last bits, hence the tolerance).
    responses.forEach((output, index) => {
      const expected = alone.get(requests[index] as string) ?? [];
      assert.equal(output.length, expected.length);
      output.forEach((value, position) =>
        assert.ok(
          Math.abs(value - (expected[position] ?? NaN)) < 1e-5,
          `request ${index} position ${position}: ${value} vs ${expected[position]}`,
        ),
      );
    });
  });
}

test('a multi-item request returns its items in order', async () => {
  const response = await sluice.app.inject({
    method: 'POST',
    url: '/v2/models/triage-small/infer',
    payload: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [TEXTS.length], data: TEXTS }] },
  });
  const data: number[] = response.json().outputs[0].data;
  for (const [index, text] of TEXTS.entries()) {
    const alone = await inferAlone('triage-small', text);
    data
      .slice(index * 8, index * 8 + 8)
      .forEach((value, position) => assert.ok(Math.abs(value - (alone[position] ?? NaN)) < 1e-5));
  }
});
