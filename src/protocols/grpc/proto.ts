/**
 * The Open Inference Protocol's gRPC service (`inference.GRPCInferenceService`), loaded
 * from the official proto vendored unchanged in proto/ (see proto/README.md), and the
 * shapes of its messages as @grpc/proto-loader hands them over with LOADER_OPTIONS.
 */
import { loadSync, type Options } from '@grpc/proto-loader';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { fileURLToPath } from 'node:url';

/** proto/ is at the package root: three levels up from src/protocols/grpc/ and from dist/protocols/grpc/. */
export const PROTO_PATH = fileURLToPath(new URL('../../../proto/open_inference_grpc.proto', import.meta.url));

/**
 * Field names as the proto spells them; 64-bit integers as decimal strings (exact, where
 * numbers would round above 2^53); unset fields at their defaults; the chosen oneof member
 * named in `parameter_choice`. Bytes arrive as Buffers viewing the received message.
 */
export const LOADER_OPTIONS: Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export function loadInferenceService(): ServiceDefinition {
  const definition = loadPackageDefinition(loadSync(PROTO_PATH, LOADER_OPTIONS));
  const inference = definition['inference'] as unknown as { GRPCInferenceService: { service: ServiceDefinition } };
  return inference.GRPCInferenceService.service;
}

/** int64 and uint64 as they arrive (strings); sent, numbers do too. */
export type Int64 = string | number;

export interface InferParameter {
  readonly parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  readonly bool_param?: boolean;
  readonly int64_param?: Int64;
  readonly string_param?: string;
  readonly double_param?: number;
  readonly uint64_param?: Int64;
}

export type InferParameters = Readonly<Record<string, InferParameter>>;

export interface InferTensorContents {
  readonly bool_contents: readonly boolean[];
  readonly int_contents: readonly number[];
  readonly int64_contents: readonly Int64[];
  readonly uint_contents: readonly number[];
  readonly uint64_contents: readonly Int64[];
  readonly fp32_contents: readonly number[];
  readonly fp64_contents: readonly number[];
  readonly bytes_contents: readonly Buffer[];
}

export interface InferInputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly Int64[];
  readonly parameters: InferParameters;
  readonly contents: InferTensorContents | null;
}

export interface ModelInferRequest {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: InferParameters;
  readonly inputs: readonly InferInputTensor[];
  readonly outputs: ReadonlyArray<{ readonly name: string; readonly parameters: InferParameters }>;
  readonly raw_input_contents: readonly Buffer[];
}

export interface InferOutputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

export interface ModelInferResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly outputs: readonly InferOutputTensor[];
  readonly raw_output_contents: readonly Buffer[];
  /** Sluice sets `item_routes` when a cascade answered items by different models (docs/api.md). */
  readonly parameters?: InferParameters;
}

/** ModelReadyRequest and ModelMetadataRequest. */
export interface ModelRef {
  readonly name: string;
  readonly version: string;
}

export interface TensorMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

export interface ModelMetadataResponse {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  readonly properties: Readonly<Record<string, string>>;
}

export interface ServerMetadataResponse {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}
