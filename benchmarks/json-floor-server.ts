/**
 * The floor for serving a model over KServe v2 HTTP: a `node:http` server with nothing in it
 * but what any server of this model must do. It reads the body and decodes it the bare way,
 * runs sluice's own preprocessing and batch stacking, runs the model in ONNX Runtime
 * in-process with the threads sluice's configuration gives, and writes the answer sluice
 * writes. No validation, no queue limits, no admission, no metrics, no logging.
 *
 *   JSON          JSON.parse, a typed array per item (a text input's strings as they are)
 *   binary        (an Inference-Header-Content-Length header: the binary tensor extension)
 *                 JSON.parse of the header, each binary input's bytes viewed as a typed
 *                 array of its datatype (copied only if unaligned), each item a view of its
 *                 slice, no finiteness checks
 *
 *   request ─► decode ─► items ─► preprocess ─► waiting ─┐
 *                 ┌──────────────────────────────────────┘
 *                 └► the session is free: every waiting request, up to max_batch_size
 *                    items ─► stackRows ─► ORT ─► split ─► each request's answer (JSON, or
 *                    binary outputs when it asks for them, as sluice answers)
 *
 * Batches are ideal for a server that never waits: whatever queued while the last batch
 * ran. `real-models` compares sluice with it on dense-heavy, image-small (JSON and binary)
 * and triage-large.
 *
 *   node --import tsx benchmarks/json-floor-server.ts <port> <model version dir>
 *
 * `GET /v2/health/ready` answers 200; `GET /v2/models/<m>/stats` gives the counts sluice's
 * stats give (inference and execution counts, batches by size, queued), so the benchmark
 * reads it like sluice. Listens on 127.0.0.1 only. SIGTERM closes it.
 */
import { createServer, type ServerResponse } from 'node:http';
import { loadConfig } from '../src/config/load.ts';
import type { Row } from '../src/core/tensors.ts';
import { shapeKey, splitOutputs, stackRows } from '../src/engines/local/batching/assemble.ts';
import { openOnnxSession } from '../src/engines/local/models/onnx-session.ts';
import { readModelVersion } from '../src/engines/local/models/repository.ts';
import { makePreprocessor } from '../src/engines/local/preprocess/index.ts';
import type { Item } from '../src/pipeline/request.ts';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../src/protocols/v2-binary.ts';
import { answerOf, decodeRequest, takeRequests } from './lib/json-floor.ts';

const [portText, versionDir] = process.argv.slice(2);
const port = Number(portText ?? '');
if (!Number.isInteger(port) || port <= 0 || versionDir === undefined) {
  console.error('usage: json-floor-server.ts <port> <model version dir>');
  process.exit(2);
}

const { spec, onnxPath } = readModelVersion(versionDir);
const threads = loadConfig({ env: process.env }).models.intra_op_threads;
const session = await openOnnxSession(onnxPath, spec.tensors, { intraOpThreads: threads });
const preprocess = makePreprocessor(spec);
const maxBatch = spec.batching.max_batch_size;

interface Waiting {
  readonly rows: readonly Row[];
  readonly binaryOutput: (name: string) => boolean;
  readonly response: ServerResponse;
}
const waiting: Waiting[] = [];
const stats = { inferences: 0, executions: 0, bySize: new Map<number, number>() };
let running = false;

/** Runs batches while requests wait; one at a time, as one session runs one batch at a time. */
async function drain(): Promise<void> {
  if (running) return;
  running = true;
  while (waiting.length > 0) {
    const taken = waiting.splice(
      0,
      takeRequests(
        waiting.map((entry) => entry.rows.length),
        maxBatch,
      ),
    );
    const rows = taken.flatMap((entry) => entry.rows);
    const outputs = await runRows(rows);
    let next = 0;
    for (const entry of taken) {
      const own = outputs.slice(next, next + entry.rows.length);
      next += entry.rows.length;
      const answer = answerOf(spec, own, entry.binaryOutput);
      entry.response.writeHead(200, answer.headers);
      entry.response.end(answer.body);
    }
  }
  running = false;
}

/** In `group` mode rows of different shapes cannot share a batch: one batch per shape, as sluice's batcher forms them. */
async function runRows(rows: readonly Row[]): Promise<Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = spec.batching.ragged === 'group' ? shapeKey(row) : '';
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const byRow = new Map<Row, Row>();
  for (const group of groups.values()) {
    const outputs = splitOutputs(
      await session.run(stackRows(group, spec.tensors.inputs, spec.batching.ragged)),
      group.length,
    );
    group.forEach((row, index) => byRow.set(row, outputs[index] as Row));
    stats.executions += 1;
    stats.inferences += group.length;
    stats.bySize.set(group.length, (stats.bySize.get(group.length) ?? 0) + 1);
  }
  return rows.map((row) => byRow.get(row) as Row);
}

function statsBody(): string {
  return JSON.stringify({
    model_stats: [
      {
        name: spec.name,
        version: spec.version,
        inference_count: stats.inferences,
        execution_count: stats.executions,
        batch_stats: [...stats.bySize].map(([size, count]) => ({ batch_size: size, count })),
        queue: { queued: waiting.reduce((sum, entry) => sum + entry.rows.length, 0) },
      },
    ],
  });
}

const server = createServer({ keepAliveTimeout: 72_000 }, (request, response) => {
  if (request.method === 'GET') {
    if (request.url === '/v2/health/ready') return response.end('{"ready":true}');
    if (request.url?.endsWith('/stats') === true) return response.end(statsBody());
    response.writeHead(404);
    return response.end();
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let entry: Waiting;
    try {
      const header = request.headers[INFERENCE_HEADER_CONTENT_LENGTH];
      const decoded = decodeRequest(Buffer.concat(chunks), typeof header === 'string' ? header : undefined, spec);
      entry = {
        rows: decoded.items.map((item) => preprocess(item as Item)),
        binaryOutput: decoded.binaryOutput,
        response,
      };
    } catch (error) {
      response.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
      return response.end(JSON.stringify({ error: (error as Error).message }));
    }
    waiting.push(entry);
    void drain();
  });
});
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void session.release().then(() => process.exit(0)));
});
