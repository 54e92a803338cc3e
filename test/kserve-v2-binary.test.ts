/**
 * The KServe v2 binary tensor data extension on the HTTP infer route, against real models:
 * the benchmark models (image-small, dense-heavy: FP32 tensors) and the default ones
 * (triage-small: BYTES text; noshow-risk: FP32, INT64, BOOL and BYTES scalars). The same
 * request over JSON and over binary must give bit-identical outputs.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Sluice } from '../src/http/server.ts';
import { buildBenchModels } from '../src/offline/bench-models/build-bench-models.ts';
import {
  encodeBinaryInferRequest,
  parseBinaryInferResponse,
  type EncodableTensor,
} from '../src/protocols/v2-binary.ts';
import { defaultModelsDir } from './support/models.ts';
import { startTestSluice } from './support/server.ts';

let sluice: Sluice;

before(async () => {
  const repository = mkdtempSync(join(tmpdir(), 'sluice-binary-'));
  await buildBenchModels(repository, { seed: 7 });
  for (const model of ['triage-small', 'noshow-risk'])
    cpSync(join(await defaultModelsDir(), model), join(repository, model), { recursive: true });
  sluice = await startTestSluice({ repository });
});

after(async () => {
  await sluice.close();
});

function postJson(model: string, body: unknown): Promise<LightMyRequestResponse> {
  return sluice.app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, payload: body as object });
}

function postBinary(
  model: string,
  header: object,
  inputs: readonly EncodableTensor[],
  asBinary?: (name: string) => boolean,
): Promise<LightMyRequestResponse> {
  const encoded = encodeBinaryInferRequest(header, inputs, asBinary);
  return postRaw(model, Buffer.concat(encoded.body), encoded.headerLength);
}

function postRaw(model: string, payload: Buffer, headerLength: number | undefined, type = 'application/octet-stream') {
  return sluice.app.inject({
    method: 'POST',
    url: `/v2/models/${model}/infer`,
    payload,
    headers: {
      'content-type': type,
      ...(headerLength === undefined ? {} : { 'inference-header-content-length': String(headerLength) }),
    },
  });
}

/** Every output of a response as FP32 bytes, however the response carried it. */
function outputBytes(response: LightMyRequestResponse): Map<string, Buffer> {
  assert.equal(response.statusCode, 200, response.body);
  const length = response.headers['inference-header-content-length'];
  const parsed = parseBinaryInferResponse(response.rawPayload, length as string | undefined);
  return new Map(
    parsed.outputs.map((output) => {
      const values = output.binary ? (output.data as Float32Array) : Float32Array.from(output.data as number[]);
      return [output.name, Buffer.from(values.buffer, values.byteOffset, values.byteLength)];
    }),
  );
}

function seededValues(count: number, seed: number): number[] {
  return Array.from({ length: count }, (_, index) => (((index + 1) * 7919 * seed) % 1000) / 1000);
}

describe('KServe v2 binary tensor data', () => {
  test('GET /v2 advertises the binary tensor data extension', async () => {
    const response = await sluice.app.inject({ method: 'GET', url: '/v2' });
    assert.deepEqual(response.json().extensions, ['statistics', 'binary_tensor_data']);
  });

  test('image-small: one image over JSON and over binary, answered in JSON and in binary, bit-identical', async () => {
    const shape = [1, 3, 128, 128];
    const values = seededValues(3 * 128 * 128, 3);
    const input = { name: 'image', datatype: 'FP32' as const, shape, data: Float32Array.from(values) };
    const overJson = await postJson('image-small', { inputs: [{ ...input, data: values }] });
    const binaryIn = await postBinary('image-small', {}, [input]);
    const binaryBoth = await postBinary('image-small', { parameters: { binary_data_output: true } }, [input]);
    assert.equal(binaryIn.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(binaryBoth.headers['content-type'], 'application/octet-stream');
    assert.ok(Number(binaryBoth.headers['inference-header-content-length']) > 0);
    const expected = outputBytes(overJson).get('probabilities');
    assert.equal(expected?.length, 40);
    assert.deepEqual(outputBytes(binaryIn).get('probabilities'), expected);
    assert.deepEqual(outputBytes(binaryBoth).get('probabilities'), expected);
  });

  test('dense-heavy: three items over binary equal the JSON answer, item by item', async () => {
    const values = seededValues(3 * 512, 5);
    const data = Float32Array.from(values);
    const overJson = await postJson('dense-heavy', {
      id: 'j',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [3, 512], data: values }],
    });
    const overBinary = await postBinary(
      'dense-heavy',
      { id: 'b', outputs: [{ name: 'logits', parameters: { binary_data: true } }] },
      [{ name: 'features', datatype: 'FP32', shape: [3, 512], data }],
    );
    assert.deepEqual(outputBytes(overBinary), outputBytes(overJson));
    const header = parseBinaryInferResponse(
      overBinary.rawPayload,
      overBinary.headers['inference-header-content-length'] as string,
    ).header;
    assert.equal(header.id, 'b');
    assert.deepEqual(header.outputs[0]?.shape, [3, 16]);
    assert.equal(header.outputs[0]?.parameters?.['binary_data_size'], 3 * 16 * 4);
  });

  test('triage-small: BYTES text as binary input gives the JSON answer', async () => {
    const texts = ['I need a refill of my blood pressure medication', 'chest pain since this morning', 'héllo ✓'];
    const overJson = await postJson('triage-small', {
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [3], data: texts }],
    });
    const overBinary = await postBinary('triage-small', {}, [
      { name: 'text', datatype: 'BYTES', shape: [3], data: texts },
    ]);
    assert.deepEqual(outputBytes(overBinary), outputBytes(overJson));
  });

  test('noshow-risk: FP32, INT64, BOOL and BYTES inputs, some binary and some JSON, give the all-JSON answer', async () => {
    const spec = sluice.models.resolve('noshow-risk').spec;
    const given: EncodableTensor[] = [
      { name: 'age', datatype: 'FP32', shape: [2], data: new Float32Array([34, 71]) },
      { name: 'lead_time_days', datatype: 'FP32', shape: [2], data: new Float32Array([45, 2]) },
      { name: 'prior_no_shows', datatype: 'INT64', shape: [2], data: new BigInt64Array([3n, 0n]) },
      { name: 'reminder_sent', datatype: 'BOOL', shape: [2, 1], data: new Uint8Array([0, 1]) },
      { name: 'weekday', datatype: 'BYTES', shape: [2], data: ['mon', 'thu'] },
    ];
    const extra: EncodableTensor[] = spec.inputs
      .filter((input) => !given.some((tensor) => tensor.name === input.name))
      .map((input) => {
        const schema = input.schema as { enum?: string[]; minimum?: number } | undefined;
        if (input.datatype !== 'BYTES') throw new Error(`noshow-risk grew a ${input.datatype} field; extend this test`);
        return {
          name: input.name,
          datatype: 'BYTES',
          shape: [2],
          data: [schema?.enum?.[0] ?? 'x', schema?.enum?.[0] ?? 'x'],
        };
      });
    const jsonInputs = [
      { name: 'age', datatype: 'FP32', shape: [2], data: [34, 71] },
      { name: 'lead_time_days', datatype: 'FP32', shape: [2], data: [45, 2] },
      { name: 'prior_no_shows', datatype: 'INT64', shape: [2], data: [3, 0] },
      { name: 'reminder_sent', datatype: 'BOOL', shape: [2, 1], data: [false, true] },
      { name: 'weekday', datatype: 'BYTES', shape: [2], data: ['mon', 'thu'] },
      ...extra.map((tensor) => ({ ...tensor, data: [...(tensor.data as string[])] })),
    ];
    const overJson = await postJson('noshow-risk', { inputs: jsonInputs });
    const binaryNames = new Set(['age', 'prior_no_shows', 'reminder_sent', 'weekday']);
    const mixed = await postBinary(
      'noshow-risk',
      { parameters: { binary_data_output: true } },
      [...given, ...extra],
      (name) => binaryNames.has(name),
    );
    assert.deepEqual(outputBytes(mixed), outputBytes(overJson));
    assert.equal(mixed.headers['content-type'], 'application/octet-stream');
  });

  test('a JSON request may ask for binary outputs', async () => {
    const values = seededValues(512, 11);
    const body = { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 512], data: values }] };
    const plain = await postJson('dense-heavy', body);
    const binary = await postJson('dense-heavy', { ...body, parameters: { binary_data_output: true } });
    assert.equal(binary.headers['content-type'], 'application/octet-stream');
    assert.deepEqual(outputBytes(binary), outputBytes(plain));
  });
});

describe('KServe v2 binary tensor data: malformed bodies are 400s naming the input', () => {
  const image = (size: number) => ({
    inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 512], parameters: { binary_data_size: size } }],
  });
  const body = (header: object, binaryBytes: number) => {
    const json = Buffer.from(JSON.stringify(header));
    return { payload: Buffer.concat([json, Buffer.alloc(binaryBytes)]), headerLength: json.length };
  };
  const cases: Array<[string, { payload: Buffer; headerLength: number | undefined }, number, string, RegExp]> = [
    [
      'binary_data_size that disagrees with the shape',
      body(image(100), 100),
      400,
      'ERR_TENSOR_SHAPE',
      /input "features": shape \[1,512\] of FP32 takes 2048 bytes but parameters.binary_data_size is 100/,
    ],
    [
      'fewer bytes than binary_data_size',
      body(image(2048), 1000),
      400,
      'ERR_REQUEST_INVALID',
      /input "features": binary_data_size 2048 from byte 0 overruns the 1000 bytes/,
    ],
    [
      'more bytes than the sizes add up to',
      body(image(2048), 2050),
      400,
      'ERR_REQUEST_INVALID',
      /2050 bytes follow the JSON header but the inputs' binary_data_size add up to 2048/,
    ],
    [
      'a header length beyond the body',
      { payload: Buffer.from('{"inputs": []}'), headerLength: 99 },
      400,
      'ERR_REQUEST_INVALID',
      /Inference-Header-Content-Length 99 is larger than the 14-byte body/,
    ],
    [
      'a JSON header that is not JSON',
      { payload: Buffer.from('{"inputs": [}'), headerLength: 13 },
      400,
      'ERR_REQUEST_MALFORMED_JSON',
      /JSON header is not JSON/,
    ],
    [
      'an input with neither data nor binary_data_size',
      body({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 512] }] }, 0),
      400,
      'ERR_REQUEST_INVALID',
      /input "features": has neither data nor parameters.binary_data_size/,
    ],
    [
      'a header the JSON schema refuses',
      body(
        {
          inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 512], parameters: { binary_data_size: 2048 } }],
          outputs: [{}],
        },
        2048,
      ),
      400,
      'ERR_REQUEST_INVALID',
      /the JSON header \(outputs\/0\) must have required property 'name'/,
    ],
    [
      'a binary body without the header',
      { payload: Buffer.alloc(8), headerLength: undefined },
      415,
      'ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE',
      /Inference-Header-Content-Length/,
    ],
  ];
  for (const [name, { payload, headerLength }, status, code, message] of cases) {
    test(`${name} → ${status} ${code}`, async () => {
      const response = await postRaw('dense-heavy', payload, headerLength);
      assert.equal(response.statusCode, status, response.body);
      assert.equal(response.headers['x-sluice-error-code'], code);
      assert.deepEqual(Object.keys(response.json()), ['error']);
      assert.match(response.json().error, message);
    });
  }

  test('a BYTES element whose length prefix overruns its tensor', async () => {
    const bytes = Buffer.alloc(8);
    bytes.writeUInt32LE(50, 0);
    const header = { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 8 } }] };
    const json = Buffer.from(JSON.stringify(header));
    const response = await postRaw('triage-small', Buffer.concat([json, bytes]), json.length);
    assert.equal(response.statusCode, 400);
    assert.equal(response.headers['x-sluice-error-code'], 'ERR_TENSOR_DATA');
    assert.match(
      response.json().error,
      /input "text": BYTES element 0 declares 50 bytes but only 4 of its binary data remain/,
    );
  });

  test('binary values JSON could not carry (NaN) are refused like JSON ones', async () => {
    const data = new Float32Array(512).fill(0.5);
    data[7] = Number.NaN;
    const response = await postBinary('dense-heavy', {}, [
      { name: 'features', datatype: 'FP32', shape: [1, 512], data },
    ]);
    assert.equal(response.statusCode, 400);
    assert.equal(response.headers['x-sluice-error-code'], 'ERR_TENSOR_DATA');
    assert.match(response.json().error, /input "features" data\[7\]: NaN is not a valid FP32 value/);
  });

  test('the server body limit applies to binary bodies', async () => {
    const limit = sluice.app.initialConfig.bodyLimit ?? 0;
    const response = await postRaw('dense-heavy', Buffer.alloc(limit + 1), 16);
    assert.equal(response.statusCode, 413);
    assert.equal(response.headers['x-sluice-error-code'], 'ERR_REQUEST_BODY_TOO_LARGE');
  });
});
