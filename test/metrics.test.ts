import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Sluice } from '../src/http/server.ts';
import { startTestSluice } from './support/server.ts';

let sluice: Sluice;
before(async () => {
  sluice = await startTestSluice();
});
after(() => sluice.close());

test('/metrics exposes requests by status, latency split, batch sizes and queue gauges', async () => {
  await sluice.app.inject({ method: 'POST', url: '/v1/embeddings', payload: { model: 'embed', input: ['a', 'b'] } });
  await sluice.app.inject({ method: 'POST', url: '/v1/models/triage-small:predict', payload: { instances: [42] } });
  await sluice.app.inject({ method: 'POST', url: '/v1/embeddings', payload: { model: 'no-such-model', input: 'x' } });
  const response = await sluice.app.inject('/metrics');
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /text\/plain/);
  const text = response.body;
  assert.match(text, /sluice_requests_total\{model="embed",version="1",protocol="openai",status="200"\} 1/);
  assert.match(text, /sluice_requests_total\{model="triage-small",version="1",protocol="kserve-v1",status="400"\} 1/);
  assert.match(text, /sluice_requests_total\{model="_unresolved",version="",protocol="openai",status="404"\} 1/);
  assert.doesNotMatch(text, /no-such-model/);
  assert.match(text, /sluice_request_duration_seconds_count\{model="embed",version="1",protocol="openai"\} 1/);
  assert.match(text, /sluice_queue_duration_seconds_count\{model="embed",version="1",priority="2"\} 2/);
  assert.match(text, /sluice_inference_duration_seconds_count\{model="embed",version="1"\} [12]/);
  assert.match(text, /sluice_batch_size_sum\{model="embed",version="1"\} 2/);
  assert.match(text, /sluice_queue_depth\{model="triage-large",version="1",priority="1"\} 0/);
  assert.match(text, /sluice_concurrency_limit\{model="embed",version="1"\} 1/);
  assert.match(text, /sluice_instances\{model="embed",version="1",state="ready"\} 1/);
  assert.match(text, /^sluice_nodejs_eventloop_lag_p99_seconds \d/m);
  assert.match(text, /^sluice_process_cpu_seconds_total \d/m);
  assert.doesNotMatch(text, /sluice_process_process_|sluice_process_nodejs_/);
  assert.match(text, /sluice_running_batches\{model="embed",version="1"\} 0/);
  assert.match(text, /sluice_inflight_requests\{model="embed",version="1",protocol="openai"\} 0/);
  assert.match(text, /sluice_model_ready\{model="noshow-risk",version="1"\} 1/);
});

test('a request heavy enough to stall the event loop is preprocessed off the main thread, with the same result', async () => {
  const long = 'My chest has been hurting since this morning and I feel dizzy when I stand up. '.repeat(40);
  const texts = Array.from({ length: 200 }, (_, index) => `${index} ${long}`);
  const payload = { inputs: [{ name: 'text', datatype: 'BYTES', shape: [texts.length], data: texts }] };
  const before = (await sluice.app.inject('/metrics')).body.match(
    /sluice_preprocess_pool_tasks\{state="completed"\} (\d+)/,
  )?.[1];
  const heavy = await sluice.app.inject({ method: 'POST', url: '/v2/models/triage-large/infer', payload });
  assert.equal(heavy.statusCode, 200);
  const after = (await sluice.app.inject('/metrics')).body.match(
    /sluice_preprocess_pool_tasks\{state="completed"\} (\d+)/,
  )?.[1];
  assert.equal(Number(after), Number(before ?? 0) + 1);
  const light = await sluice.app.inject({
    method: 'POST',
    url: '/v2/models/triage-large/infer',
    payload: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [texts[7]] }] },
  });
  const heavyRow: number[] = heavy.json().outputs[0].data.slice(7 * 8, 8 * 8);
  light
    .json()
    .outputs[0].data.forEach((value: number, index: number) =>
      assert.ok(Math.abs(value - (heavyRow[index] ?? NaN)) < 1e-5),
    );
});
