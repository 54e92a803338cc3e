/**
 * What every `ModelSession` promises, as one suite each implementation runs
 * (`model-session.contract.test.ts`), on a small real model: `noshow-risk` of the default
 * models, one float32 input `features` [-1, 14] and one output `probability` [-1, 1].
 * ONNX Runtime itself, called directly, is the reference every session must match.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import type { BatchTensor, BatchTensors } from '../../../core/tensors.ts';
import { SessionLostError, type DeclaredTensors, type ModelSession } from './model-session.ts';
import { ModelLoadError } from './onnx-session.ts';
import { readModelRepository } from './repository.ts';

export type OpenForContract = (onnxPath: string, declared: DeclaredTensors) => Promise<ModelSession>;

const MODEL = 'noshow-risk';
const WIDTH = 14;

export function runModelSessionContract(name: string, open: OpenForContract, modelsDir: () => Promise<string>): void {
  describe(`${name} keeps the ModelSession contract`, () => {
    let onnxPath = '';
    let declared: DeclaredTensors = { inputs: [], outputs: [] };
    let reference: ort.InferenceSession | undefined;
    // One session serves the tests that leave it open: opening a worker thread takes a while.
    let shared: ModelSession | undefined;
    const session = (): ModelSession => {
      assert.ok(shared !== undefined);
      return shared;
    };
    const expected = async (rows: number, seed: number): Promise<BatchTensors> => {
      assert.ok(reference !== undefined);
      const out = await reference.run({ features: new ort.Tensor('float32', featureData(rows, seed), [rows, WIDTH]) });
      const tensor = out['probability'] as ort.Tensor;
      return { probability: { dtype: 'float32', data: tensor.data as Float32Array, dims: tensor.dims } };
    };

    before(async () => {
      const entry = readModelRepository(await modelsDir()).find((candidate) => candidate.spec.name === MODEL);
      assert.ok(entry !== undefined, `default model ${MODEL}`);
      ({ onnxPath } = entry);
      declared = entry.spec.tensors;
      reference = await ort.InferenceSession.create(onnxPath);
      shared = await open(onnxPath, declared);
    });

    after(async () => {
      await shared?.release();
      await reference?.release();
    });

    it('answers a batch with what ONNX Runtime itself answers, for every declared output', async () => {
      assertSameTensors(await session().run(features(5, 1)), await expected(5, 1));
    });

    it('refuses at open a model.yaml that contradicts the graph, naming each tensor it gets wrong', async () => {
      const contradicting: DeclaredTensors = {
        inputs: declared.inputs.map((spec) => ({ ...spec, dtype: 'float64' })),
        outputs: declared.outputs.map((spec) => ({ ...spec, shape: [-1, 2] })),
      };
      await assert.rejects(open(onnxPath, contradicting), (error: Error) => {
        assert.ok(error instanceof ModelLoadError, `${error.name}: ${error.message}`);
        assert.match(error.message, /tensors\.inputs\.features\.dtype: declared float64, graph has float32/);
        assert.match(error.message, /tensors\.outputs\.probability\.shape\[1\]: declared 2, graph has 1/);
        return true;
      });
    });

    it('answers runs sent together each with its own result, in the order they were sent', async () => {
      const sizes = [3, 1, 8, 2, 5, 4];
      const settled: number[] = [];
      const runs = sizes.map((rows, order) => session().run(features(rows, order)).finally(() => settled.push(order)));
      const results = await Promise.all(runs);
      assert.deepEqual(settled, [0, 1, 2, 3, 4, 5]);
      for (const [order, rows] of sizes.entries()) {
        assertSameTensors(results[order] as BatchTensors, await expected(rows, order));
      }
    });

    it('rejects a bad input with an error naming it, and carries on serving', async () => {
      const bad: Record<string, BatchTensor> = {
        'a wrong dtype': { dtype: 'float64', data: new Float64Array(WIDTH), dims: [1, WIDTH] },
        'a wrong width': { dtype: 'float32', data: new Float32Array(WIDTH - 1), dims: [1, WIDTH - 1] },
        'dims the data does not fill': { dtype: 'float32', data: new Float32Array(WIDTH - 1), dims: [1, WIDTH] },
      };
      for (const [what, tensor] of Object.entries(bad)) {
        await assert.rejects(session().run({ features: tensor }), (error: Error) => {
          assert.ok(!(error instanceof SessionLostError), `${what}: the session was lost`);
          assert.match(error.message, /features/, `${what}: "${error.message}" does not name the input`);
          return true;
        });
      }
      await assert.rejects(session().run({}), /features/, 'a missing input is named too');
      assertSameTensors(await session().run(features(2, 9)), await expected(2, 9));
    });

    // Last, as it closes the shared session (which `after` then releases once more).
    it('releases once however often asked, and then refuses runs saying the session is closed', async () => {
      await Promise.all([session().release(), session().release()]);
      await session().release();
      await assert.rejects(session().run(features(1, 0)), /session of .*noshow-risk.* is closed/);
    });
  });
}

/** `rows` rows of plausible standardised features, different for each seed. */
function featureData(rows: number, seed: number): Float32Array {
  return new Float32Array(rows * WIDTH).map((_, index) => Math.sin(index * 0.7 + seed * 1.3));
}

function features(rows: number, seed: number): BatchTensors {
  return { features: { dtype: 'float32', data: featureData(rows, seed), dims: [rows, WIDTH] } };
}

function assertSameTensors(actual: BatchTensors, expected: BatchTensors): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [output, tensor] of Object.entries(expected)) {
    const got = actual[output];
    assert.ok(got !== undefined, output);
    assert.equal(got.dtype, tensor.dtype, `${output}.dtype`);
    assert.deepEqual([...got.dims], [...tensor.dims], `${output}.dims`);
    assert.deepEqual([...got.data], [...tensor.data], `${output}.data`);
  }
}
