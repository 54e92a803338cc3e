/**
 * The gRPC side of a load run: Open Inference Protocol `ModelInfer` calls on one HTTP/2
 * channel (`@grpc/grpc-js`), each request serialised once up front from the official proto
 * (`@grpc/proto-loader`) and its answer left undecoded: only the call's status counts, as
 * the HTTP client reads only a status line. So the generator spends no time on protobuf
 * during the run, and what is measured is the server's work.
 *
 * Both libraries are loaded when a run asks for gRPC, not imported, so the benchmarks still
 * compile and run in a checkout that does not depend on them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Answer, Sender } from './http-target.ts';
import type { Outcome } from './latency-recorder.ts';

/** One serialised `inference.ModelInferRequest`. */
export interface GrpcCallSpec {
  readonly bytes: Buffer;
}

export const PROTO_PATH = join('proto', 'open_inference_grpc.proto');
const SERVICE = 'inference.GRPCInferenceService';

/** gRPC status codes the outcome classes need (grpc/doc/statuscodes.md). */
const STATUS = { OK: 0, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8 } as const;

/** A call's status as the HTTP outcome classes see it: 429's twin is RESOURCE_EXHAUSTED, 504's DEADLINE_EXCEEDED. */
export function outcomeOfGrpcStatus(code: number): Outcome {
  if (code === STATUS.OK) return 'ok';
  if (code === STATUS.RESOURCE_EXHAUSTED) return 'shed';
  if (code === STATUS.DEADLINE_EXCEEDED) return 'timeout';
  return 'error';
}

// The few shapes of @grpc/grpc-js and @grpc/proto-loader this file uses.
interface GrpcError {
  readonly code: number;
  readonly details?: string;
  readonly metadata?: { get(key: string): unknown[] };
}
type UnaryCallback = (error: GrpcError | null, value?: Buffer) => void;
interface GrpcClient {
  makeUnaryRequest(
    method: string,
    serialize: (value: Buffer) => Buffer,
    deserialize: (bytes: Buffer) => Buffer,
    argument: Buffer,
    metadata: unknown,
    options: { deadline: number },
    callback: UnaryCallback,
  ): unknown;
  close(): void;
}
interface GrpcModule {
  readonly Client: new (address: string, credentials: unknown, options: Record<string, number>) => GrpcClient;
  readonly Metadata: new () => unknown;
  readonly credentials: { createInsecure(): unknown };
}
interface MethodDefinition {
  readonly path: string;
  requestSerialize(value: object): Buffer;
}
interface ProtoLoader {
  loadSync(path: string, options: Record<string, unknown>): Record<string, Record<string, MethodDefinition>>;
}

/** Module names in variables: a literal would make the type checker require the packages. */
const GRPC_JS = '@grpc/grpc-js';
const PROTO_LOADER = '@grpc/proto-loader';

/** The service's `ModelInfer` from the proto in `root`, or why it cannot be had. */
export async function loadModelInfer(
  root: string,
): Promise<{ readonly infer: MethodDefinition; readonly grpc: GrpcModule } | { readonly missing: string }> {
  const proto = join(root, PROTO_PATH);
  if (!existsSync(proto)) return { missing: `no ${PROTO_PATH} in ${root}` };
  try {
    const grpc = (await import(GRPC_JS)) as GrpcModule;
    const loader = (await import(PROTO_LOADER)) as ProtoLoader;
    const definition = loader.loadSync(proto, { keepCase: true, longs: Number, enums: String, defaults: true });
    const infer = definition[SERVICE]?.['ModelInfer'];
    if (infer === undefined) return { missing: `${PROTO_PATH} has no ${SERVICE}.ModelInfer` };
    return { infer, grpc };
  } catch (error) {
    return { missing: `cannot load ${GRPC_JS} and ${PROTO_LOADER}: ${(error as Error).message}` };
  }
}

export class GrpcLoadClient implements Sender<GrpcCallSpec> {
  private readonly clients: GrpcClient[];
  private readonly metadata: unknown;
  private next = 0;

  /**
   * One channel (one HTTP/2 connection) by default, as a user's client holds; `channels`
   * more take calls in turn, each its own connection (`grpc.use_local_subchannel_pool`).
   */
  constructor(
    grpc: GrpcModule,
    private readonly infer: MethodDefinition,
    port: number,
    readonly requestTimeoutMs = 30_000,
    channels = 1,
  ) {
    // Loopback only, like the HTTP client; no size cap on what is sent.
    this.clients = Array.from(
      { length: channels },
      () =>
        new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
          'grpc.max_send_message_length': -1,
          'grpc.max_receive_message_length': 64 * 1024 * 1024,
          'grpc.use_local_subchannel_pool': 1,
        }),
    );
    this.metadata = new grpc.Metadata();
  }

  /** `request` as the proto's JSON form, serialised now, for the run to send as it is. */
  serialise(request: object): GrpcCallSpec {
    return { bytes: this.infer.requestSerialize(request) };
  }

  /** Never rejects: a failed call is an answer of its status's class. */
  send(spec: GrpcCallSpec): Promise<Answer> {
    const client = this.clients[this.next++ % this.clients.length] as GrpcClient;
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        this.infer.path,
        (bytes) => bytes,
        (bytes) => bytes,
        spec.bytes,
        this.metadata,
        { deadline: Date.now() + this.requestTimeoutMs },
        (error) => resolve(error === null ? { outcome: 'ok', failureKind: undefined } : answerOfError(error)),
      );
    });
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}

function answerOfError(error: GrpcError): Answer {
  const code = error.metadata?.get('x-sluice-error-code')[0];
  return {
    outcome: outcomeOfGrpcStatus(error.code),
    failureKind: typeof code === 'string' ? code : `grpc status ${error.code}`,
  };
}
