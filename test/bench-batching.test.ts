/**
 * The pure parts of the `batching` benchmark: which concurrency it keeps, how it judges
 * its targets, the unbatched copy of a model repository, golden items into full batches
 * and requests, and batch counts from the stats API. Behaviour only, no timings.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify as stringifyYaml } from 'yaml';
import { readModelVersion } from '../src/engines/local/models/repository.ts';
import { batchDelta, parseBatchCounts } from '../benchmarks/lib/batch-stats.ts';
import {
  bestConcurrency,
  failuresText,
  modelRatios,
  targetRows,
  type BatchingRecord,
  type ConcurrencyPoint,
  type SideKey,
} from '../benchmarks/lib/batching-report.ts';
import { fullBatches, parseGoldenItems, v2InferBody, v2ItemInferRequests } from '../benchmarks/lib/golden-items.ts';
import { unbatchedDocument, writeUnbatchedRepository } from '../benchmarks/lib/unbatched-repository.ts';

const point = (users: number, itemsPerS: number): ConcurrencyPoint => ({
  users,
  itemsPerS,
  p50Ms: 1,
  p99Ms: 2,
  failed: 0,
  meanBatch: undefined,
});

test('bestConcurrency keeps the highest throughput', () => {
  assert.equal(bestConcurrency([point(32, 2000), point(64, 3000), point(128, 2500)]).users, 64);
});

test('bestConcurrency prefers fewer users when throughputs are within the tolerance', () => {
  // 256 users are 2 % faster than 128: noise, and 128 queue less.
  assert.equal(bestConcurrency([point(32, 2000), point(128, 4900), point(256, 5000)], 0.03).users, 128);
  assert.equal(bestConcurrency([point(32, 2000), point(128, 4000), point(256, 5000)], 0.03).users, 256);
  assert.throws(() => bestConcurrency([]), RangeError);
});

const cpu = { server: 1, client: 0.2, other: 0 };
function record(side: SideKey, round: number, itemsPerS: number): BatchingRecord {
  return {
    model: 'm',
    side,
    round,
    itemsPerS,
    users: undefined,
    p50Ms: undefined,
    p99Ms: undefined,
    failed: 0,
    failureKinds: {},
    cpu,
    batches: undefined,
    idleReached: true,
  };
}

test('ratios pair each round with itself and the targets judge the median', () => {
  const records = [
    record('ceiling', 1, 10_000),
    record('ceiling+pre', 1, 5_000),
    record('batched', 1, 9_500),
    record('unbatched', 1, 1_000),
    record('ceiling', 2, 10_000),
    record('ceiling+pre', 2, 5_000),
    record('batched', 2, 8_500),
    record('unbatched', 2, 500),
  ];
  const ratios = modelRatios(records);
  assert.deepEqual(
    ratios.vsCeiling?.pairs.map((pair) => pair.ratio),
    [0.95, 0.85],
  );
  assert.ok(Math.abs((ratios.vsCeilingWithPreprocessing?.median ?? 0) - 1.8) < 1e-9);
  assert.equal(ratios.vsUnbatched?.median, 13.25);
  const [ceilingTarget, unbatchedTarget] = targetRows('m', ratios);
  assert.equal(ceilingTarget?.verdict, 'met');
  assert.equal(ceilingTarget?.measured, '90% (85%–95%)');
  assert.equal(unbatchedTarget?.verdict, 'met');
  assert.equal(unbatchedTarget?.measured, '13.3x (9.50x–17.0x)');
});

test('a target below its threshold is MISSED, and one never measured is n/a', () => {
  const missed = targetRows(
    'm',
    modelRatios([record('ceiling', 1, 100_000), record('batched', 1, 4_000), record('unbatched', 1, 2_000)]),
  );
  assert.deepEqual(
    missed.map((row) => [row.verdict, row.measured]),
    [
      ['MISSED', '4.0%'],
      ['MISSED', '2.00x'],
    ],
  );
  const unmeasured = targetRows('m', modelRatios([record('batched', 1, 4_000)]));
  assert.deepEqual(
    unmeasured.map((row) => row.verdict),
    ['n/a', 'n/a'],
  );
});

test('per CPU-second ratios compare what an item costs, whatever CPU share each side got', () => {
  const withCpu = (side: SideKey, itemsPerS: number, cores: number): BatchingRecord => ({
    ...record(side, 1, itemsPerS),
    cpu: { server: cores, client: 0, other: 0 },
  });
  // The ceiling got half a core from a busy machine, sluice a whole one.
  const ratios = modelRatios([
    withCpu('ceiling', 50_000, 0.5),
    withCpu('batched', 5_000, 1),
    withCpu('unbatched', 2_000, 0),
  ]);
  assert.equal(ratios.vsCeiling?.median, 0.1);
  assert.equal(ratios.vsCeilingPerCpu?.median, 0.05);
  assert.equal(ratios.vsUnbatchedPerCpu?.median, undefined, 'no CPU measured: no ratio');
});

test('failuresText lists the kinds, or says 0', () => {
  assert.equal(failuresText({}), '0');
  assert.equal(
    failuresText({ ERR_ADMISSION_OVERLOADED: 3, 'status 500': 1 }),
    'ERR_ADMISSION_OVERLOADED 3, status 500 1',
  );
});

test('unbatchedDocument turns batching off and leaves the rest alone', () => {
  const document = {
    name: 'm',
    batching: { max_batch_size: 32, max_queue_delay_ms: 2, preferred_batch_sizes: [8, 32], ragged: 'pad' },
    warmup: { samples: [{ text: 'hi' }], batch_sizes: [1, 8, 32] },
    instances: { max_instances: 2 },
  };
  const copy = unbatchedDocument(document);
  assert.deepEqual(copy['batching'], {
    max_batch_size: 1,
    max_queue_delay_ms: 0,
    preferred_batch_sizes: [],
    ragged: 'pad',
  });
  assert.deepEqual(copy['warmup'], { samples: [{ text: 'hi' }], batch_sizes: [1] });
  assert.deepEqual(copy['instances'], { max_instances: 2 });
  assert.equal(document.batching.max_batch_size, 32, 'the input is not changed');
  assert.deepEqual(unbatchedDocument({ name: 'n' })['batching'], {
    max_batch_size: 1,
    max_queue_delay_ms: 0,
    preferred_batch_sizes: [],
  });
});

test('writeUnbatchedRepository writes a repository sluice reads, with batching off and the ONNX file linked', async () => {
  const root = await mkdtemp(join(tmpdir(), 'bench-batching-test-'));
  try {
    const source = join(root, 'source', 'm', '1');
    await mkdir(source, { recursive: true });
    const spec = {
      name: 'm',
      version: 1,
      task: 'tensor',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2] }],
      tensors: {
        inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 2] }],
        outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }],
      },
      batching: { max_batch_size: 16, max_queue_delay_ms: 1, preferred_batch_sizes: [16] },
    };
    await writeFile(join(source, 'model.yaml'), stringifyYaml(spec));
    await writeFile(join(source, 'model.onnx'), 'not a real graph: only its presence is checked here');
    await writeUnbatchedRepository(join(root, 'source'), join(root, 'target'));
    const entry = readModelVersion(join(root, 'target', 'm', '1'), 'm', '1');
    assert.deepEqual(entry.spec.batching, {
      max_batch_size: 1,
      max_queue_delay_ms: 0,
      preferred_batch_sizes: [],
      ragged: 'group',
    });
    assert.equal(await readlink(entry.onnxPath), join(source, 'model.onnx'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

const TEXT = [{ name: 'text', datatype: 'BYTES' }];

test('golden items keep only the request fields and skip rows that lack one', () => {
  const jsonl = [
    '{"text":"refill please","label":"prescription_refill"}',
    '',
    '{"label":"other"}',
    '{"text":"billed twice","label":"billing"}',
  ].join('\n');
  assert.deepEqual(parseGoldenItems(jsonl, TEXT), [{ text: 'refill please' }, { text: 'billed twice' }]);
  assert.throws(() => parseGoldenItems('{"label":"other"}', TEXT), /no golden rows/);
});

test('fullBatches makes every batch full, repeating items from the start', () => {
  assert.deepEqual(fullBatches([1, 2, 3, 4, 5], 2), [
    [1, 2],
    [3, 4],
    [5, 1],
  ]);
  assert.deepEqual(fullBatches([1, 2], 4), [[1, 2, 1, 2]]);
  assert.deepEqual(fullBatches([1, 2, 3, 4], 2), [
    [1, 2],
    [3, 4],
  ]);
  assert.throws(() => fullBatches([1], 0), RangeError);
});

test('one KServe v2 request per item, each field an input of shape [1], cycling in order', () => {
  const inputs = [
    { name: 'age', datatype: 'FP32' },
    { name: 'reminder_sent', datatype: 'BOOL' },
  ];
  assert.deepEqual(JSON.parse(v2InferBody({ age: 34, reminder_sent: false }, inputs)), {
    inputs: [
      { name: 'age', datatype: 'FP32', shape: [1], data: [34] },
      { name: 'reminder_sent', datatype: 'BOOL', shape: [1], data: [false] },
    ],
  });
  const requests = v2ItemInferRequests('triage large', TEXT, [{ text: 'a' }, { text: 'b' }]);
  assert.equal(requests(0).path, '/v2/models/triage%20large/infer');
  assert.equal(requests(2).body, requests(0).body);
  assert.notEqual(requests(1).body, requests(0).body);
});

test('batch counts from the stats API, and what ran between two readings', () => {
  const stats = (items: number, batches: number, bySize: Array<[number, number]>) => ({
    model_stats: [
      {
        inference_count: items,
        execution_count: batches,
        batch_stats: bySize.map(([batch_size, count]) => ({ batch_size, count })),
      },
    ],
  });
  const before = parseBatchCounts(
    stats(40, 3, [
      [8, 1],
      [32, 1],
    ]),
  );
  const after = parseBatchCounts(
    stats(40 + 32 * 3 + 8, 3 + 4, [
      [8, 2],
      [32, 4],
    ]),
  );
  assert.deepEqual(before, { items: 40, batches: 3, bySize: { 8: 1, 32: 1 } });
  const delta = batchDelta(before, after, 32);
  assert.deepEqual(delta?.bySize, { 8: 1, 32: 3 });
  assert.equal(delta?.meanSize, 26);
  assert.equal(delta?.fullShare, 96 / 104);
  assert.equal(parseBatchCounts({ error: 'unknown model' }), undefined);
  assert.equal(batchDelta(undefined, after, 32), undefined);
});
