/**
 * What grpc-js itself costs one image-small call (196 KB of FP32), with its default 64 KB
 * receive windows and with sluice's (src/grpc/flow-control.ts): the bare server of
 * grpc-floor-server.ts pinned to CPU 0, the real-models scenario's gRPC client (one channel)
 * on CPU 1, closed loops at 8, 32 and 128 users; prints calls/s, p50 and the server's CPU
 * per call. The floor sluice's gRPC path is read against in docs/benchmarks.md section 7.
 *
 *   flock /tmp/sluice-bench.lock node --import tsx benchmarks/grpc-floor.ts [seconds a row, default 4]
 */
import { pinThisProcess } from './lib/cpu-pinning.ts';
import { GrpcLoadClient, loadModelInfer } from './lib/grpc-target.ts';
import { runClosedLoop } from './lib/open-loop.ts';
import { startCpuMeter } from './lib/process-usage.ts';
import { freePort, REPOSITORY_ROOT, startNodeServer } from './lib/server-process.ts';
import { cycle, grpcTensorRequest } from './lib/tensor-requests.ts';

const USERS = [8, 32, 128];
const ROW_MS = Number(process.argv[2] ?? 4) * 1000;
/** image-small's input: 3 × 128 × 128 floats. */
const INPUT = { name: 'input', shape: [3, 128, 128] };

async function floorRows(widen: boolean): Promise<void> {
  const [grpcPort, readyPort] = [await freePort(), await freePort()];
  const server = await startNodeServer({
    label: `grpc floor (${widen ? 'widened' : 'default'} windows)`,
    entry: ['--import', 'tsx', 'benchmarks/grpc-floor-server.ts'],
    args: [String(grpcPort), String(readyPort), ...(widen ? ['--widen'] : [])],
    port: readyPort,
    readyPath: '/ready',
    cpus: '0',
  });
  const loaded = await loadModelInfer(REPOSITORY_ROOT);
  if ('missing' in loaded) throw new Error(loaded.missing);
  const client = new GrpcLoadClient(loaded.grpc, loaded.infer, grpcPort);
  const images = Array.from({ length: 8 }, (_, seed) =>
    Float32Array.from({ length: 3 * 128 * 128 }, (_, index) => ((index * 7 + seed) % 255) / 255),
  );
  const request = cycle(images.map((floats) => client.serialise(grpcTensorRequest('image-small', INPUT, floats))));
  try {
    for (const users of USERS) {
      await runClosedLoop({ client, request, users, durationMs: 1_000, sloMs: 1_000 });
      const cpu = startCpuMeter(server.pid);
      const summary = await runClosedLoop({ client, request, users, durationMs: ROW_MS, sloMs: 1_000 });
      const used = cpu.read();
      const perCallUs = (used.server / summary.okThroughput) * 1e6;
      console.log(
        `| ${widen ? 'sluice windows (1 MiB, 8 MiB)' : 'grpc-js default (64 KB)'} | ${users} | ${summary.okThroughput.toFixed(0)} | ${summary.outcomes.ok.p50Ms.toFixed(1)} | ${used.server.toFixed(2)} | ${perCallUs.toFixed(0)} | ${used.client.toFixed(2)} | ${used.other.toFixed(2)} |`,
      );
    }
  } finally {
    client.close();
    await server.stop(5_000);
  }
}

pinThisProcess('1');
console.log('| windows | users | calls/s | p50 ms | server cores | server CPU µs/call | client cores | other cores |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const widen of [false, true]) await floorRows(widen);
