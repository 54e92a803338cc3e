/**
 * The gRPC floor: a bare grpc-js server for `ModelInfer` that does only what any gRPC server
 * must for one image a call: receive the message, decode it with sluice's loader options
 * (`LOADER_OPTIONS`), view `raw_input_contents[0]` as floats (copied when unaligned, as sluice
 * does) and answer a 40-byte output. No model, no checks, no batching: what grpc-js itself costs
 * a call. `--widen` hooks sluice's receive windows (src/grpc/flow-control.ts); without it the
 * server keeps grpc-js's 64 KB. Readiness on HTTP `GET /ready` at `--ready-port`.
 *
 *   node --import tsx benchmarks/grpc-floor-server.ts <grpc port> <ready port> [--widen]
 */
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { createServer } from 'node:http';
import { widenServerWindows } from '../src/grpc/flow-control.ts';
import { loadInferenceService, type ModelInferRequest, type ModelInferResponse } from '../src/protocols/grpc/proto.ts';
import { viewFixed } from '../src/protocols/v2-binary-datatypes.ts';

const [grpcPort, readyPort] = [Number(process.argv[2]), Number(process.argv[3])];
const widen = process.argv.includes('--widen');
const output = Buffer.alloc(40);
let checksum = 0;

function modelInfer(
  call: ServerUnaryCall<ModelInferRequest, ModelInferResponse>,
  callback: sendUnaryData<ModelInferResponse>,
): void {
  const { raw_input_contents: raw, model_name, id } = call.request;
  const floats = viewFixed('FP32', raw[0] ?? Buffer.alloc(0));
  checksum += Number(floats[0] ?? 0);
  callback(null, {
    model_name,
    model_version: '1',
    id,
    outputs: [{ name: 'output', datatype: 'FP32', shape: [1, 10] }],
    raw_output_contents: [output],
  });
}

const server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': -1 });
server.addService(loadInferenceService(), { ModelInfer: modelInfer });
server.bindAsync(`127.0.0.1:${grpcPort}`, ServerCredentials.createInsecure(), (error) => {
  if (error !== null) throw error;
  if (widen && widenServerWindows(server) === 0) throw new Error("grpc-js's HTTP/2 servers not found");
  createServer((_request, response) => response.end('ready')).listen(readyPort, '127.0.0.1');
});
process.once('SIGTERM', () => (server.forceShutdown(), process.exit(checksum === Infinity ? 1 : 0)));
