import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SluiceError } from '../../../core/errors.ts';
import { ModelSpec } from '../models/model-spec.ts';
import { makePreprocessor, type Item } from './index.ts';
import { PreprocessError, PreprocessPool, workerBootstrap, workerExecArgv } from './preprocess-pool.ts';

const textSpec = ModelSpec.parse({
  name: 'triage-test',
  version: 1,
  task: 'text-classification',
  inputs: [{ name: 'text', datatype: 'BYTES', schema: { type: 'string' } }],
  preprocessing: {
    kind: 'text-hash',
    input: 'text',
    buckets: 65536,
    word_ngrams: [1, 2],
    char_ngrams: 3,
    max_tokens: 256,
    ids_tensor: 'input_ids',
    mask_tensor: 'attention_mask',
  },
  tensors: {
    inputs: [
      { name: 'input_ids', dtype: 'int64', shape: [-1, -1] },
      { name: 'attention_mask', dtype: 'float32', shape: [-1, -1] },
    ],
    outputs: [{ name: 'probabilities', dtype: 'float32', shape: [-1, 8] }],
  },
});

const tabularSpec = ModelSpec.parse({
  name: 'noshow-test',
  version: 1,
  task: 'tabular-classification',
  inputs: [
    { name: 'age', datatype: 'FP32' },
    { name: 'reminder_sent', datatype: 'BOOL' },
    { name: 'weekday', datatype: 'BYTES' },
  ],
  preprocessing: {
    kind: 'tabular',
    features_tensor: 'features',
    fields: [
      { name: 'age', kind: 'numeric', mean: 40, std: 20 },
      { name: 'reminder_sent', kind: 'boolean' },
      { name: 'weekday', kind: 'categorical', categories: ['mon', 'tue', 'wed'] },
    ],
  },
  tensors: {
    inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 5] }],
    outputs: [{ name: 'probability', dtype: 'float32', shape: [-1, 1] }],
  },
});

const tensorSpec = ModelSpec.parse({
  name: 'tensor-test',
  version: 1,
  task: 'tensor',
  inputs: [
    { name: 'x', datatype: 'INT64', shape: [2, 2] },
    { name: 'flag', datatype: 'BOOL', shape: [] },
  ],
  tensors: {
    inputs: [
      { name: 'x', dtype: 'int64', shape: [-1, 2, 2] },
      { name: 'flag', dtype: 'bool', shape: [-1] },
    ],
    outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }],
  },
});

const texts: Item[] = [
  { text: 'Hi, I need to move my appointment with Dr. Patel to Friday afternoon.' },
  { text: 'Could you send a refill of my lisinopril to the CVS on Main Street? I’m almost out.' },
  { text: 'ＦＵＬＬ-width, naïve café, очень больно, 我需要预约 😀' },
  { text: ' ?! ' },
];

function longTexts(count: number, length: number): Item[] {
  const sentence = 'My father has had crushing chest pressure for the last twenty minutes, what should we do? ';
  return Array.from({ length: count }, (_, index) => ({
    text: `${index} ${sentence.repeat(Math.ceil(length / sentence.length))}`.slice(0, length),
  }));
}

function onMainThread(spec: ModelSpec, items: readonly Item[]): unknown {
  return items.map(makePreprocessor(spec));
}

describe('PreprocessPool', () => {
  let pool: PreprocessPool;
  before(() => {
    pool = new PreprocessPool({ threads: 2 });
  });
  after(() => pool.close());

  it('computes the same rows as the main thread, for every kind of preprocessing', async () => {
    const tabularItems = [
      { age: 50, reminder_sent: true, weekday: 'tue' },
      { age: 20n, reminder_sent: 0, weekday: 'wed' },
    ];
    const tensorItems = [
      {
        x: [
          [1, 2],
          [3, 4],
        ],
        flag: true,
      },
    ];
    assert.deepEqual(await pool.run(textSpec, texts), onMainThread(textSpec, texts));
    assert.deepEqual(await pool.run(tabularSpec, tabularItems), onMainThread(tabularSpec, tabularItems));
    assert.deepEqual(await pool.run(tensorSpec, tensorItems), onMainThread(tensorSpec, tensorItems));
    const [row] = await pool.run(textSpec, texts.slice(0, 1));
    assert.equal(row?.input_ids?.dtype, 'int64');
    assert.ok(row?.input_ids?.data instanceof BigInt64Array);
    assert.ok(row?.attention_mask?.data instanceof Float32Array);
    assert.deepEqual(row?.input_ids?.dims, [row?.input_ids?.data.length]);
  });

  it('returns a plain preprocessing error with its message and the failing item', async () => {
    const items = [
      { age: 50, reminder_sent: true, weekday: 'tue' },
      { age: 50, reminder_sent: true, weekday: 'sun' },
    ];
    const error = await pool.run(tabularSpec, items).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    assert.ok(error instanceof PreprocessError);
    assert.equal(error.message, 'field "weekday": expected one of mon, tue, wed, got "sun"');
    assert.equal(error.itemIndex, 1);
  });

  it('returns a SluiceError with its code, message and field', async () => {
    await assert.rejects(pool.run(tensorSpec, [{ x: [1, 2, 3], flag: true }]), (error: unknown) => {
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'ERR_TENSOR_SHAPE');
      assert.equal(error.status, 400);
      assert.equal(error.field, 'x');
      assert.equal(error.message, 'input "x": each item must have shape [2,2], got [3]');
      return true;
    });
  });

  it('gives every one of many concurrent tasks its own rows, and keeps both workers', async () => {
    const earlier = pool.stats();
    const batches = Array.from({ length: 24 }, (_, index) => [
      { text: `message number ${index}` },
      { text: `and its second item ${index * 7}` },
    ]);
    const results = await Promise.all(batches.map((items) => pool.run(textSpec, items)));
    results.forEach((rows, index) => assert.deepEqual(rows, onMainThread(textSpec, batches[index] ?? [])));
    const stats = pool.stats();
    assert.equal(stats.completed - earlier.completed, 24);
    assert.deepEqual(
      { threads: stats.threads, busy: stats.busy, queued: stats.queued },
      { threads: 2, busy: 0, queued: 0 },
    );
  });

  it('keeps the event loop turning while a 2 MB batch preprocesses', async () => {
    await pool.run(textSpec, texts); // both workers loaded
    const items = longTexts(100, 20_000);
    let ticks = 0;
    let running = true;
    const tick = (): void => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const rows = await pool.run(textSpec, items);
    running = false;
    assert.equal(rows.length, 100);
    assert.ok(ticks > 10, `only ${ticks} event-loop turns while preprocessing`);
  });

  it('returns no rows for no items', async () => {
    assert.deepEqual(await pool.run(textSpec, []), []);
  });
});

describe('PreprocessPool queueing', () => {
  it('runs queued tasks first in, first out on one worker', async () => {
    const pool = new PreprocessPool({ threads: 1 });
    const finished: number[] = [];
    const runs = [0, 1, 2, 3, 4].map((index) =>
      pool.run(textSpec, [{ text: `task ${index}` }]).then(() => finished.push(index)),
    );
    assert.deepEqual(pool.stats(), { threads: 1, busy: 1, queued: 4, completed: 0, failed: 0 });
    await Promise.all(runs);
    assert.deepEqual(finished, [0, 1, 2, 3, 4]);
    await pool.close();
  });

  it('rejects a task when the queue is full, and still runs the others', async () => {
    const pool = new PreprocessPool({ threads: 1, maxQueued: 2 });
    const accepted = [0, 1, 2].map((index) => pool.run(textSpec, [{ text: `task ${index}` }]));
    await assert.rejects(pool.run(textSpec, [{ text: 'one too many' }]), (error: unknown) => {
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'ERR_ADMISSION_QUEUE_FULL');
      assert.match(error.message, /preprocessing queue is full \(2 tasks waiting\)/);
      return true;
    });
    assert.equal((await Promise.all(accepted)).length, 3);
    assert.deepEqual(pool.stats(), { threads: 1, busy: 0, queued: 0, completed: 3, failed: 0 });
    await pool.close();
  });
});

describe('PreprocessPool failures and shutdown', () => {
  it('fails the task of a worker that crashes, replaces the worker and carries on', async () => {
    const pool = new PreprocessPool({
      threads: 1,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    // 64 MB in 64 KB items: the heap grows past the limit gradually, which V8 can stop
    // in the worker alone (one allocation larger than the limit aborts the whole process).
    const chunk = 'abc def '.repeat(8 * 1024);
    const huge = Array.from({ length: 1000 }, (_, index) => ({ text: `${index} ${chunk}` }));
    const crashed = pool.run(textSpec, huge);
    const next = pool.run(textSpec, texts); // queued behind the crashing task
    await assert.rejects(crashed, (error: unknown) => {
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'ERR_INTERNAL');
      assert.match(error.message, /^preprocessing worker crashed: /);
      return true;
    });
    assert.deepEqual(await next, onMainThread(textSpec, texts));
    assert.deepEqual(pool.stats(), { threads: 1, busy: 0, queued: 0, completed: 1, failed: 1 });
    await pool.close();
  });

  it('finishes running and queued tasks on close, then terminates and refuses new ones', async () => {
    const pool = new PreprocessPool({ threads: 1 });
    const running = pool.run(textSpec, texts);
    const queued = pool.run(tabularSpec, [{ age: 40, reminder_sent: false, weekday: 'mon' }]);
    const closed = pool.close();
    await assert.rejects(
      pool.run(textSpec, texts),
      (error: unknown) => error instanceof SluiceError && error.code === 'ERR_SERVER_SHUTTING_DOWN',
    );
    assert.equal((await running).length, texts.length);
    assert.equal((await queued).length, 1);
    await closed;
    assert.deepEqual(pool.stats(), { threads: 0, busy: 0, queued: 0, completed: 2, failed: 0 });
    await pool.close(); // idempotent
  });

  it('sizes itself to the machine by default', async () => {
    const pool = new PreprocessPool();
    assert.ok(pool.stats().threads >= 1);
    await pool.close();
  });
});

describe('worker entry', () => {
  it('keeps only the parent flags that matter to module resolution', () => {
    const parent = [
      '--import',
      'tsx',
      '--test',
      '-e',
      'code',
      '--conditions',
      'development',
      '-C=dev',
      '--enable-source-maps',
      '--max-old-space-size=100',
    ];
    assert.deepEqual(workerExecArgv(parent), ['--conditions', 'development', '-C=dev', '--enable-source-maps']);
  });

  it('starts compiled JavaScript without a loader', () => {
    assert.equal(
      workerBootstrap('file:///app/dist/preprocess/preprocess-pool.js'),
      'import("file:///app/dist/preprocess/preprocess-worker.js");',
    );
  });

  it('works when only the main thread registered tsx, as bin/sluice.js does', async () => {
    // Run from another directory: tsx must resolve from the pool's file, not from the cwd.
    const script = `
      const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});
      register();
      const { PreprocessPool } = await import(${JSON.stringify(new URL('./preprocess-pool.ts', import.meta.url).href)});
      const pool = new PreprocessPool({ threads: 1 });
      const spec = ${JSON.stringify(textSpec)};
      const [row] = await pool.run(spec, [{ text: 'refill my lisinopril' }]);
      await pool.close();
      console.log(JSON.stringify([...row.input_ids.data].map(Number)));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: tmpdir(),
    });
    const [expected] = onMainThread(textSpec, [{ text: 'refill my lisinopril' }]) as {
      input_ids: { data: BigInt64Array };
    }[];
    assert.deepEqual(JSON.parse(stdout), [...(expected?.input_ids.data ?? [])].map(Number));
  });
});
