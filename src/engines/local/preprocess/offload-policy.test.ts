import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelSpec } from '../models/model-spec.ts';
import type { Item } from './index.ts';
import { shouldOffload } from './offload-policy.ts';

const textTensors = {
  inputs: [
    { name: 'input_ids', dtype: 'int64', shape: [-1, -1] },
    { name: 'attention_mask', dtype: 'float32', shape: [-1, -1] },
  ],
  outputs: [{ name: 'probabilities', dtype: 'float32', shape: [-1, 8] }],
};

function textSpec(hashing: {
  word_ngrams: number[];
  char_ngrams: number;
  max_tokens: number;
  buckets: number;
}): ModelSpec {
  return ModelSpec.parse({
    name: 'triage',
    version: 1,
    task: 'text-classification',
    inputs: [{ name: 'text', datatype: 'BYTES' }],
    preprocessing: {
      kind: 'text-hash',
      input: 'text',
      ids_tensor: 'input_ids',
      mask_tensor: 'attention_mask',
      ...hashing,
    },
    tensors: textTensors,
  });
}

const triageLarge = textSpec({ buckets: 65536, word_ngrams: [1, 2], char_ngrams: 3, max_tokens: 256 });
const triageSmall = textSpec({ buckets: 4096, word_ngrams: [1], char_ngrams: 0, max_tokens: 64 });

const tabular = ModelSpec.parse({
  name: 'noshow',
  version: 1,
  task: 'tabular-classification',
  inputs: [{ name: 'age', datatype: 'FP32' }],
  preprocessing: {
    kind: 'tabular',
    features_tensor: 'features',
    fields: [{ name: 'age', kind: 'numeric', mean: 40, std: 20 }],
  },
  tensors: {
    inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 1] }],
    outputs: [{ name: 'probability', dtype: 'float32', shape: [-1, 1] }],
  },
});

const tensor = ModelSpec.parse({
  name: 'raw',
  version: 1,
  task: 'tensor',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [4] }],
  tensors: {
    inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }],
  },
});

/** `count` items of `length` characters of message-like text. */
function texts(count: number, length: number): Item[] {
  const text = 'please refill my lisinopril at the pharmacy on main street, thanks. '
    .repeat(Math.ceil(length / 68))
    .slice(0, length);
  return Array.from({ length: count }, () => ({ text }));
}

describe('shouldOffload', () => {
  it('keeps typical requests on the event loop', () => {
    assert.equal(shouldOffload(triageLarge, texts(1, 100)), false);
    assert.equal(shouldOffload(triageLarge, texts(32, 100)), false);
    assert.equal(shouldOffload(triageLarge, texts(1, 20_000)), false);
  });

  it('offloads a full request of the longest texts', () => {
    assert.equal(shouldOffload(triageLarge, texts(2048, 20_000)), true);
    assert.equal(shouldOffload(triageSmall, texts(2048, 20_000)), true);
  });

  it('draws the line near 5 ms of triage-large hashing', () => {
    assert.equal(shouldOffload(triageLarge, texts(5, 20_000)), false);
    assert.equal(shouldOffload(triageLarge, texts(8, 20_000)), true);
    assert.equal(shouldOffload(triageLarge, texts(200, 100)), false);
    assert.equal(shouldOffload(triageLarge, texts(400, 100)), true);
  });

  it('counts the hashing of each item, not only characters', () => {
    // The same 60,000 characters: many short messages mean many more features to hash.
    assert.equal(shouldOffload(triageLarge, texts(1000, 60)), true);
    assert.equal(shouldOffload(triageLarge, texts(3, 20_000)), false);
  });

  it('offloads cheaper hashing settings later', () => {
    assert.equal(shouldOffload(triageLarge, texts(400, 100)), true);
    assert.equal(shouldOffload(triageSmall, texts(400, 100)), false);
  });

  it('treats a missing text as empty', () => {
    assert.equal(shouldOffload(triageLarge, [{}, { text: 42 }]), false);
  });

  it('never offloads tabular or pass-through preprocessing', () => {
    const rows = Array.from({ length: 2048 }, () => ({ age: 30, x: [1, 2, 3, 4] }));
    assert.equal(shouldOffload(tabular, rows), false);
    assert.equal(shouldOffload(tensor, rows), false);
  });
});
