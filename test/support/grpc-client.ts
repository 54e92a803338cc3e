/**
 * A client of sluice's gRPC service generated from the official proto
 * (proto/open_inference_grpc.proto) with @grpc/proto-loader and @grpc/grpc-js, as a
 * user's would be; each RPC as a promise of its response, metadata and trailers.
 */
import { credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const PROTO = fileURLToPath(new URL('../../proto/open_inference_grpc.proto', import.meta.url));

type Callback = (error: ServiceError | null, response: Record<string, unknown>) => void;
type Method = (
  request: object,
  metadata: Metadata,
  options: { deadline?: number },
  callback: Callback,
) => {
  on(event: 'metadata', listener: (metadata: Metadata) => void): void;
};
type GeneratedClient = Record<string, Method> & { close(): void };

export interface Reply<T> {
  readonly response: T;
  /** The response's headers (initial metadata), as plain strings. */
  readonly headers: Record<string, string>;
}

export class InferenceClient {
  private readonly client: GeneratedClient;

  constructor(port: number) {
    const definition = loadPackageDefinition(
      loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true }),
    );
    const Service = (definition['inference'] as unknown as Record<string, new (...args: unknown[]) => GeneratedClient>)[
      'GRPCInferenceService'
    ];
    if (Service === undefined) throw new Error('the proto has no inference.GRPCInferenceService');
    this.client = new Service(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  call<T = Record<string, unknown>>(
    method: string,
    request: object,
    options: { metadata?: Record<string, string>; deadlineMs?: number } = {},
  ): Promise<Reply<T>> {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
    const deadline = options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
    const rpc = this.client[method];
    if (rpc === undefined) throw new Error(`no RPC ${method}`);
    return new Promise((resolve, reject) => {
      let headers: Record<string, string> = {};
      const call = rpc.call(this.client, request, metadata, deadline, (error, response) => {
        if (error !== null) reject(error);
        else resolve({ response: response as T, headers });
      });
      call.on('metadata', (received) => (headers = textOf(received)));
    });
  }

  close(): void {
    this.client.close();
  }
}

export function textOf(metadata: Metadata): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) if (typeof value === 'string') text[key] = value;
  return text;
}

/** BYTES elements in the binary form: a 4-byte little-endian length before each. */
export function bytesRaw(texts: readonly string[]): Buffer {
  return Buffer.concat(
    texts.flatMap((text) => {
      const bytes = Buffer.from(text, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(bytes.length);
      return [length, bytes];
    }),
  );
}

/** A raw output's FP32 values. */
export function floats(raw: Buffer): number[] {
  const copy = Buffer.from(raw);
  return Array.from(new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4));
}
