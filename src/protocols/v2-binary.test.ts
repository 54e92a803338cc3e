import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng, type Rng } from '../core/seeded-rng.ts';
import { bf16BitsToNumber, fp16BitsToNumber, jsonData, type BinaryDatatype } from './v2-binary-datatypes.ts';
import {
  encodeBinaryInferRequest,
  encodeBinaryInferResponse,
  parseBinaryInferRequest,
  parseBinaryInferResponse,
  wantsBinaryOutput,
  type EncodableTensor,
  type EncodedBody,
  type HeaderLength,
} from './v2-binary.ts';

/** The chunks in fresh memory at offset 0, so a test controls each tensor's alignment. */
function join({ body, byteLength }: EncodedBody): Buffer {
  const out = Buffer.from(new ArrayBuffer(byteLength));
  Buffer.concat(body).copy(out);
  return out;
}

/** A body from a JSON header (or raw header text) and binary sections. */
function frame(header: unknown, ...binary: Buffer[]): { body: Buffer; length: number } {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  return { body: Buffer.concat([json, ...binary]), length: json.length };
}

function roundTrip(inputs: EncodableTensor[], asBinary?: (name: string) => boolean) {
  const encoded = encodeBinaryInferRequest({ id: 'r' }, inputs, asBinary);
  return parseBinaryInferRequest(join(encoded), String(encoded.headerLength));
}

const ROUND_TRIPS: Array<{ datatype: BinaryDatatype; shape: number[]; data: EncodableTensor['data'] }> = [
  { datatype: 'BOOL', shape: [4], data: new Uint8Array([1, 0, 0, 1]) },
  { datatype: 'UINT8', shape: [3], data: new Uint8Array([0, 128, 255]) },
  { datatype: 'UINT16', shape: [3], data: new Uint16Array([0, 1, 65535]) },
  { datatype: 'UINT32', shape: [2, 2], data: new Uint32Array([0, 1, 2 ** 31, 2 ** 32 - 1]) },
  { datatype: 'UINT64', shape: [2], data: new BigUint64Array([0n, 2n ** 64n - 1n]) },
  { datatype: 'INT8', shape: [3], data: new Int8Array([-128, 0, 127]) },
  { datatype: 'INT16', shape: [3], data: new Int16Array([-32768, -1, 32767]) },
  { datatype: 'INT32', shape: [1, 3], data: new Int32Array([-(2 ** 31), 0, 2 ** 31 - 1]) },
  { datatype: 'INT64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n, 2n ** 63n - 1n]) },
  { datatype: 'FP16', shape: [5], data: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0001]) },
  { datatype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xc040]) },
  { datatype: 'FP32', shape: [2, 2], data: new Float32Array([0.5, -1.25, 3.4e38, Number.NaN]) },
  { datatype: 'FP64', shape: [3], data: new Float64Array([Math.PI, -0, Number.MIN_VALUE]) },
  { datatype: 'BYTES', shape: [6], data: ['', 'plain', 'héllo', '日本語', '🙂 emoji', '\uFFFD is valid'] },
  { datatype: 'FP32', shape: [0, 4], data: new Float32Array(0) },
  { datatype: 'BYTES', shape: [2, 0], data: [] },
];

describe('parseBinaryInferRequest', () => {
  for (const { datatype, shape, data } of ROUND_TRIPS) {
    it(`gives back the ${datatype} tensor of shape [${shape}] that the client encoded`, () => {
      const { header, inputs } = roundTrip([{ name: 'x', datatype, shape, data }]);
      assert.deepEqual(inputs, [{ binary: true, name: 'x', datatype, shape, data }]);
      assert.equal(header.id, 'r');
      if (ArrayBuffer.isView(data)) assert.equal(header.inputs[0]?.parameters?.binary_data_size, data.byteLength);
    });
  }

  it('gives BYTES elements as Buffers viewing the body when asked to', () => {
    const encoded = encodeBinaryInferRequest({}, [{ name: 't', datatype: 'BYTES', shape: [3], data: ['', 'é', 'ab'] }]);
    const body = join(encoded);
    const { inputs } = parseBinaryInferRequest(body, encoded.headerLength, { bytesAs: 'buffer' });
    const data = inputs[0]?.data as Buffer[];
    assert.deepEqual(data, [Buffer.from(''), Buffer.from('é'), Buffer.from('ab')]);
    assert.equal(data[2]?.buffer, body.buffer);
  });

  it('reads JSON and binary inputs of one request, taking binary bytes in input order', () => {
    const { inputs } = roundTrip(
      [
        { name: 'a', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) },
        { name: 'b', datatype: 'BYTES', shape: [1], data: ['json text'] },
        { name: 'c', datatype: 'INT64', shape: [1], data: new BigInt64Array([7n]) },
        { name: 'd', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
      ],
      (name) => name !== 'b' && name !== 'd',
    );
    assert.deepEqual(inputs, [
      { binary: true, name: 'a', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) },
      { binary: false, name: 'b', datatype: 'BYTES', shape: [1], data: ['json text'] },
      { binary: true, name: 'c', datatype: 'INT64', shape: [1], data: new BigInt64Array([7n]) },
      { binary: false, name: 'd', datatype: 'BOOL', shape: [2], data: [true, false] },
    ]);
  });

  for (const residue of [1, 2, 3, 4, 5, 6, 7]) {
    it(`copies an FP64 tensor that starts ${residue} bytes past an 8-byte boundary, and keeps its values`, () => {
      const data = new Float64Array([1.5, -2.25, 1e300]);
      const flags = {
        name: 'flags',
        datatype: 'BOOL',
        shape: [residue],
        data: new Uint8Array(residue).fill(1),
      } as const;
      const encoded = encodeBinaryInferRequest({}, [flags, { name: 'x', datatype: 'FP64', shape: [3], data }]);
      const body = join(encoded);
      const view = parseBinaryInferRequest(body, encoded.headerLength).inputs[1]?.data as Float64Array;
      assert.deepEqual(view, data);
      assert.notEqual(view.buffer, body.buffer);
    });
  }

  it('pads the JSON header with spaces to a multiple of 8 bytes, so the tensor after it stays aligned', () => {
    for (const id of ['', 'a', 'ab', 'abc', 'abcd', 'é', 'éé', '日本']) {
      const encoded = encodeBinaryInferRequest({ id }, [
        { name: 'x', datatype: 'INT8', shape: [1], data: new Int8Array(1) },
      ]);
      assert.equal(encoded.headerLength % 8, 0);
      assert.equal(encoded.body[0]?.length, encoded.headerLength);
      assert.equal(parseBinaryInferRequest(join(encoded), encoded.headerLength).header.id, id);
    }
  });

  it('views an aligned 1 MB FP32 tensor in the body without copying it', () => {
    const data = Float32Array.from({ length: 262_144 }, (_, index) => index / 7);
    const encoded = encodeBinaryInferRequest({}, [{ name: 'big', datatype: 'FP32', shape: [512, 512], data }]);
    const body = join(encoded);
    const view = parseBinaryInferRequest(body, encoded.headerLength).inputs[0]?.data as Float32Array;
    assert.equal(view.buffer, body.buffer);
    assert.equal(view.byteOffset, body.byteOffset + encoded.headerLength);
    assert.deepEqual(view, data);
  });

  it('round-trips 300 random requests of random datatypes, shapes and alignments', () => {
    const rng = createRng(20_240_611);
    for (let round = 0; round < 300; round++) {
      const inputs = Array.from({ length: 1 + rng.int(4) }, (_, index) => randomTensor(rng, `in${index}`));
      const json = new Set(inputs.filter(() => rng.chance(0.25)).map((input) => input.name));
      const parsed = roundTrip(inputs, (name) => !json.has(name));
      parsed.inputs.forEach((input, index) => {
        const sent = inputs[index];
        assert.ok(sent !== undefined);
        const expected = json.has(sent.name) ? jsonData(sent.datatype, sent.data) : sent.data;
        assert.deepEqual(input.data, expected, `round ${round}, ${sent.name} (${sent.datatype} [${sent.shape}])`);
      });
    }
  });
});

const RANDOM_TYPES = ['BOOL', 'UINT8', 'INT16', 'UINT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] as const;

function randomTensor(rng: Rng, name: string): EncodableTensor {
  const datatype = rng.pick(RANDOM_TYPES);
  const shape = Array.from({ length: rng.int(4) }, () => rng.int(5));
  return {
    name,
    datatype,
    shape,
    data: randomData(
      rng,
      datatype,
      shape.reduce((product, dim) => product * dim, 1),
    ),
  };
}

function randomData(rng: Rng, datatype: BinaryDatatype, length: number): EncodableTensor['data'] {
  const text = () => String.fromCodePoint(...Array.from({ length: rng.int(4) }, () => 32 + rng.int(0x3000)));
  if (datatype === 'BYTES') return Array.from({ length }, text);
  if (datatype === 'BOOL') return Uint8Array.from({ length }, () => rng.int(2));
  if (datatype === 'UINT8') return Uint8Array.from({ length }, () => rng.int(256));
  if (datatype === 'INT16') return Int16Array.from({ length }, () => rng.int(65536) - 32768);
  if (datatype === 'UINT32') return Uint32Array.from({ length }, () => rng.int(2 ** 32));
  if (datatype === 'INT64') return BigInt64Array.from({ length }, () => BigInt(rng.int(2 ** 31) - 2 ** 30) << 20n);
  if (datatype === 'FP16') return Uint16Array.from({ length }, () => rng.int(0x7c00));
  if (datatype === 'FP32') return Float32Array.from({ length }, () => rng.normal());
  return Float64Array.from({ length }, () => rng.normal() * 1e6);
}

const FP32_PAIR = { name: 'a', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } };
const EIGHT = Buffer.alloc(8);
const header = (...inputs: unknown[]) => ({ inputs });
const bytesElements = (...elements: Array<[number, string]>) =>
  Buffer.concat(elements.map(([length, text]) => Buffer.concat([u32(length), Buffer.from(text)])));
function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value);
  return out;
}

const MALFORMED: Array<{
  case: string;
  body: { body: Buffer; length: number };
  length?: HeaderLength;
  code: string;
  message: string | RegExp;
}> = [
  {
    case: 'the Inference-Header-Content-Length header is missing',
    body: frame(header(FP32_PAIR), EIGHT),
    length: undefined,
    code: 'ERR_REQUEST_INVALID',
    message: 'a binary body needs the Inference-Header-Content-Length header',
  },
  {
    case: 'the header length is not an integer',
    body: frame(header(FP32_PAIR), EIGHT),
    length: '12abc',
    code: 'ERR_REQUEST_INVALID',
    message: 'Inference-Header-Content-Length must be an integer, got "12abc"',
  },
  {
    case: 'the header length is a fraction',
    body: frame(header(FP32_PAIR), EIGHT),
    length: 1.5,
    code: 'ERR_REQUEST_INVALID',
    message: 'Inference-Header-Content-Length must be an integer, got 1.5',
  },
  {
    case: 'the header length is given twice',
    body: frame(header(FP32_PAIR), EIGHT),
    length: ['8', '8'],
    code: 'ERR_REQUEST_INVALID',
    message: 'Inference-Header-Content-Length must be an integer, got ["8","8"]',
  },
  {
    case: 'the header length is negative',
    body: frame(header(FP32_PAIR), EIGHT),
    length: '-3',
    code: 'ERR_REQUEST_INVALID',
    message: 'Inference-Header-Content-Length must not be negative, got -3',
  },
  {
    case: 'the header length asks for a raw binary request',
    body: frame('', EIGHT),
    length: 0,
    code: 'ERR_REQUEST_INVALID',
    message: 'Inference-Header-Content-Length 0 (raw binary data without a JSON header) is not supported',
  },
  {
    case: 'the header length is larger than the body',
    body: frame('{}'),
    length: 3,
    code: 'ERR_REQUEST_INVALID',
    message: 'Inference-Header-Content-Length 3 is larger than the 2-byte body',
  },
  {
    case: 'the header is not JSON',
    body: frame('{"inputs": ['),
    code: 'ERR_REQUEST_MALFORMED_JSON',
    message: /^the 12-byte JSON header is not JSON: /,
  },
  {
    case: 'the header is JSON but not an object',
    body: frame('[1]'),
    code: 'ERR_REQUEST_INVALID',
    message: 'the JSON header must be an object',
  },
  {
    case: 'the header has no inputs array',
    body: frame({ inputs: {} }),
    code: 'ERR_REQUEST_INVALID',
    message: 'the JSON header\'s "inputs" must be an array',
  },
  {
    case: 'binary_data_size is a string',
    body: frame(header({ ...FP32_PAIR, parameters: { binary_data_size: '8' } }), EIGHT),
    code: 'ERR_REQUEST_INVALID',
    message: 'input "a": parameters.binary_data_size must be a non-negative integer, got "8"',
  },
  {
    case: 'binary_data_size is negative',
    body: frame(header({ ...FP32_PAIR, parameters: { binary_data_size: -8 } }), EIGHT),
    code: 'ERR_REQUEST_INVALID',
    message: 'input "a": parameters.binary_data_size must be a non-negative integer, got -8',
  },
  {
    case: 'binary_data_size is a fraction',
    body: frame(header({ ...FP32_PAIR, parameters: { binary_data_size: 7.5 } }), EIGHT),
    code: 'ERR_REQUEST_INVALID',
    message: 'input "a": parameters.binary_data_size must be a non-negative integer, got 7.5',
  },
  {
    case: 'an input has both data and binary_data_size',
    body: frame(header({ ...FP32_PAIR, data: [1, 2] }), EIGHT),
    code: 'ERR_REQUEST_INVALID',
    message: 'input "a": has both data and parameters.binary_data_size; send one',
  },
  {
    case: 'an input has neither data nor binary_data_size',
    body: frame(header({ name: 'a', datatype: 'FP32', shape: [2] })),
    code: 'ERR_REQUEST_INVALID',
    message: 'input "a": has neither data nor parameters.binary_data_size',
  },
  {
    case: 'the binary sizes ask for more bytes than follow the header',
    body: frame(header(FP32_PAIR, { ...FP32_PAIR, name: 'b' }), EIGHT, Buffer.alloc(4)),
    code: 'ERR_REQUEST_INVALID',
    message: 'input "b": binary_data_size 8 from byte 8 overruns the 12 bytes after the JSON header',
  },
  {
    case: 'more bytes follow the header than the binary sizes account for',
    body: frame(header(FP32_PAIR), EIGHT, Buffer.alloc(3)),
    code: 'ERR_REQUEST_INVALID',
    message: "11 bytes follow the JSON header but the inputs' binary_data_size add up to 8",
  },
  {
    case: 'bytes follow a header whose inputs are all JSON',
    body: frame(header({ name: 'a', datatype: 'FP32', shape: [1], data: [1] }), Buffer.alloc(4)),
    code: 'ERR_REQUEST_INVALID',
    message: "4 bytes follow the JSON header but the inputs' binary_data_size add up to 0",
  },
  {
    case: 'a fixed-size binary input does not match its shape',
    body: frame(header({ ...FP32_PAIR, shape: [3] }), EIGHT),
    code: 'ERR_TENSOR_SHAPE',
    message: 'input "a": shape [3] of FP32 takes 12 bytes but parameters.binary_data_size is 8',
  },
  {
    case: 'a binary input has a datatype with no binary form',
    body: frame(header({ ...FP32_PAIR, datatype: 'FP8' }), EIGHT),
    code: 'ERR_TENSOR_DATATYPE',
    message: 'input "a": datatype FP8 has no binary form',
  },
  {
    case: 'a shape has a negative dimension',
    body: frame(header({ ...FP32_PAIR, shape: [-1, 2] }), EIGHT),
    code: 'ERR_TENSOR_SHAPE',
    message: 'input "a": shape must be an array of non-negative integers',
  },
  {
    case: 'a BYTES element declares more bytes than remain',
    body: frame(
      header({ name: 's', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: 11 } }),
      bytesElements([1, 'a'], [5, 'bc']),
    ),
    code: 'ERR_TENSOR_DATA',
    message: 'input "s": BYTES element 1 declares 5 bytes but only 2 of its binary data remain',
  },
  {
    case: 'a BYTES binary section ends inside a length prefix',
    body: frame(
      header({ name: 's', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 7 } }),
      bytesElements([1, 'a']),
      Buffer.alloc(2),
    ),
    code: 'ERR_TENSOR_DATA',
    message: 'input "s": BYTES element 1 starts at byte 5 of 7, too few for its 4-byte length',
  },
  {
    case: 'BYTES elements outnumber the shape',
    body: frame(
      header({ name: 's', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 9 } }),
      bytesElements([1, 'a'], [0, '']),
    ),
    code: 'ERR_TENSOR_SHAPE',
    message: 'input "s": shape holds 1 elements but its BYTES binary data has 2',
  },
  {
    case: 'BYTES elements fall short of the shape',
    body: frame(
      header({ name: 's', datatype: 'BYTES', shape: [3], parameters: { binary_data_size: 5 } }),
      bytesElements([1, 'a']),
    ),
    code: 'ERR_TENSOR_SHAPE',
    message: 'input "s": shape holds 3 elements but its BYTES binary data has 1',
  },
  {
    case: 'a BYTES element is not UTF-8',
    body: frame(
      header({ name: 's', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 6 } }),
      u32(2),
      Buffer.from([0xc3, 0x28]),
    ),
    code: 'ERR_TENSOR_DATA',
    message: 'input "s": BYTES element 0 is not valid UTF-8',
  },
];

describe('parseBinaryInferRequest on a malformed body', () => {
  for (const entry of MALFORMED) {
    it(`answers ${entry.code} when ${entry.case}`, () => {
      const length = 'length' in entry ? entry.length : entry.body.length;
      assert.throws(() => parseBinaryInferRequest(entry.body.body, length), {
        code: entry.code,
        message: entry.message,
      });
    });
  }
});

describe('wantsBinaryOutput', () => {
  const CASES: Array<{ case: string; request: object; binary: string[]; json: string[] }> = [
    { case: 'nothing is asked for', request: {}, binary: [], json: ['a', 'b'] },
    {
      case: 'binary_data_output is true',
      request: { parameters: { binary_data_output: true } },
      binary: ['a', 'b'],
      json: [],
    },
    {
      case: 'one output asks for binary',
      request: { outputs: [{ name: 'a', parameters: { binary_data: true } }, { name: 'b' }] },
      binary: ['a'],
      json: ['b'],
    },
    {
      case: 'an output opts out of binary_data_output',
      request: {
        parameters: { binary_data_output: true },
        outputs: [{ name: 'b', parameters: { binary_data: false } }],
      },
      binary: ['a'],
      json: ['b'],
    },
  ];
  for (const { case: name, request, binary, json } of CASES) {
    it(`answers the outputs in binary that the request asks for when ${name}`, () => {
      const wants = wantsBinaryOutput(request);
      assert.deepEqual([...binary, ...json].map(wants), [...binary.map(() => true), ...json.map(() => false)]);
    });
  }

  it('names the parameter that is not a boolean', () => {
    assert.throws(() => wantsBinaryOutput({ parameters: { binary_data_output: 'yes' } }), {
      code: 'ERR_REQUEST_INVALID',
      message: 'parameters.binary_data_output must be true or false, got "yes"',
    });
    assert.throws(() => wantsBinaryOutput({ outputs: [{ name: 'a', parameters: { binary_data: 1 } }] }), {
      code: 'ERR_REQUEST_INVALID',
      message: 'outputs[0].parameters.binary_data must be true or false, got 1',
    });
  });
});

describe('encodeBinaryInferResponse', () => {
  const probs = new Float32Array([0.25, 0.75, 0.5, 0.5]);
  const outputs: EncodableTensor[] = [
    { name: 'probs', datatype: 'FP32', shape: [2, 2], data: probs },
    { name: 'label', datatype: 'BYTES', shape: [2], data: ['spam', 'ham'] },
    { name: 'flag', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
  ];

  it('appends the binary outputs after the JSON header and puts their sizes in it, as Triton does', () => {
    const wants = wantsBinaryOutput({ outputs: [{ name: 'probs', parameters: { binary_data: true } }] });
    const encoded = encodeBinaryInferResponse({ model_name: 'm', model_version: '1' }, outputs, wants);
    assert.equal(encoded.byteLength, encoded.headerLength + 16);
    assert.deepEqual(JSON.parse(encoded.body[0]?.toString() ?? ''), {
      model_name: 'm',
      model_version: '1',
      outputs: [
        { name: 'probs', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 16 } },
        { name: 'label', datatype: 'BYTES', shape: [2], data: ['spam', 'ham'] },
        { name: 'flag', datatype: 'BOOL', shape: [2], data: [true, false] },
      ],
    });
    assert.equal(encoded.body[1]?.buffer, probs.buffer, 'the FP32 bytes are sent from the tensor, not a copy');
  });

  it('gives back every output that the client reads from a binary response', () => {
    const encoded = encodeBinaryInferResponse({ id: '7' }, outputs, () => true);
    const { header, outputs: parsed } = parseBinaryInferResponse(join(encoded), encoded.headerLength);
    assert.equal(header.id, '7');
    assert.deepEqual(
      parsed.map(({ name, data }) => ({ name, data })),
      outputs.map(({ name, data }) => ({ name, data })),
    );
  });

  it('is all JSON, its header length the whole body, when no output is binary', () => {
    const encoded = encodeBinaryInferResponse({}, outputs, () => false);
    assert.equal(encoded.body.length, 1);
    assert.equal(encoded.headerLength, encoded.byteLength);
    const parsed = parseBinaryInferResponse(join(encoded), undefined);
    assert.deepEqual(parsed.outputs[0]?.data, [0.25, 0.75, 0.5, 0.5]);
  });

  it('refuses a tensor whose data does not match its datatype or shape', () => {
    const wrongType = { name: 'x', datatype: 'FP64', shape: [1], data: new Float32Array(1) } as const;
    assert.throws(() => encodeBinaryInferResponse({}, [wrongType], () => true), /does not hold FP64 elements/);
    const wrongShape = { name: 'x', datatype: 'FP32', shape: [3], data: new Float32Array(2) } as const;
    assert.throws(() => encodeBinaryInferResponse({}, [wrongShape], () => true), /shape \[3\] holds 3 elements/);
  });
});

describe('parseBinaryInferResponse', () => {
  it('reports a malformed upstream body as a bad upstream response', () => {
    const { body, length } = frame(header(FP32_PAIR), Buffer.alloc(4));
    assert.throws(() => parseBinaryInferResponse(body, length), {
      code: 'ERR_UPSTREAM_BAD_RESPONSE',
      message: /"outputs" must be an array/,
    });
  });
});

describe('jsonData', () => {
  it('turns binary elements into the values JSON carries', () => {
    assert.deepEqual(jsonData('FP16', new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0001, 0xfc00])), [
      1,
      -2,
      65504,
      Infinity,
      2 ** -24,
      -Infinity,
    ]);
    assert.ok(Number.isNaN(fp16BitsToNumber(0x7e00)));
    assert.equal(bf16BitsToNumber(0x3f80), 1);
    assert.deepEqual(jsonData('INT64', new BigInt64Array([-5n, 9n])), [-5, 9]);
    assert.deepEqual(jsonData('BYTES', [Buffer.from('é')]), ['é']);
  });
});
