/**
 * Where a large tensor request's time goes: image-small (FP32 [3,128,128], ~200 KB of JSON
 * an item) served in-process and driven with `app.inject`, one request at a time, so the
 * profile shows sluice's own work and not load. Run under `--cpu-prof` for a profile, or
 * as it is for the per-request time over JSON and over the binary tensor extension.
 *
 *   flock /tmp/sluice-bench.lock node --import tsx benchmarks/json-tensor-profile.ts [requests]
 *   flock /tmp/sluice-bench.lock node --cpu-prof --cpu-prof-dir=.bench-results/prof \
 *     --import tsx benchmarks/json-tensor-profile.ts 300 json
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.ts';
import { createSluice } from '../src/http/server.ts';
import { buildBenchModels } from '../src/offline/bench-models/build-bench-models.ts';
import { IMAGE_SMALL_INPUT, IMAGE_SMALL_NAME, IMAGE_SMALL_SHAPE } from '../src/offline/bench-models/image-small.ts';
import { encodeBinaryInferRequest } from '../src/protocols/v2-binary.ts';

const requests = Number(process.argv[2] ?? 200);
const modes = (process.argv[3] ?? 'json,binary').split(',');

const dir = mkdtempSync(join(tmpdir(), 'sluice-json-profile-'));
await buildBenchModels(dir, { seed: 7 });
const config = loadConfig({
  env: {},
  overrides: {
    admission: { enabled: false },
    models: { repository: dir, build_defaults: false },
    server: { port: 0, host: '127.0.0.1' },
  },
});
const sluice = createSluice(config, pino({ level: 'silent' }), {});
await sluice.models.loadRepository(dir);

const shape = [1, ...IMAGE_SMALL_SHAPE.image];
// Two decimals, as a client rounding pixel values writes them: ~250 KB of JSON an image.
const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 7919) % 100) / 100);
const pixels = Float32Array.from(values);
const url = `/v2/models/${IMAGE_SMALL_NAME}/infer`;
const jsonBody = JSON.stringify({
  inputs: [{ name: IMAGE_SMALL_INPUT, datatype: 'FP32', shape, data: values }],
});
const encoded = encodeBinaryInferRequest({}, [{ name: IMAGE_SMALL_INPUT, datatype: 'FP32', shape, data: pixels }]);
const binaryBody = Buffer.concat(encoded.body);

async function send(mode: string): Promise<void> {
  const response =
    mode === 'json'
      ? await sluice.app.inject({
          method: 'POST',
          url,
          payload: jsonBody,
          headers: { 'content-type': 'application/json' },
        })
      : await sluice.app.inject({
          method: 'POST',
          url,
          payload: binaryBody,
          headers: {
            'content-type': 'application/octet-stream',
            'inference-header-content-length': String(encoded.headerLength),
          },
        });
  if (response.statusCode !== 200) throw new Error(`${mode}: ${response.statusCode} ${response.body.slice(0, 300)}`);
}

console.log(`image-small, ${jsonBody.length} bytes of JSON, ${binaryBody.length} bytes binary, ${requests} requests`);
for (const mode of modes) {
  for (let i = 0; i < 20; i++) await send(mode);
  const started = performance.now();
  for (let i = 0; i < requests; i++) await send(mode);
  const ms = (performance.now() - started) / requests;
  console.log(`${mode}: ${ms.toFixed(2)} ms per request (${(1000 / ms).toFixed(0)} requests/s, one at a time)`);
}
await sluice.close();
rmSync(dir, { recursive: true, force: true });
