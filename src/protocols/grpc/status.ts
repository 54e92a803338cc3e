/**
 * Errors on gRPC: the registry's HTTP status as a gRPC status code (one table), the
 * registry code in the `x-sluice-error-code` trailer, and the richer error model
 * (google.rpc.Status in `grpc-status-details-bin`, as Google's APIs and gRPC's own
 * libraries read it): ErrorInfo with the code, BadRequest naming the field of a 400,
 * RetryInfo with the wait of a 429, also in the `retry-after-ms` trailer.
 */
import { Metadata, status as GrpcStatus, type StatusObject } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { parseJsonObject } from '../../core/json.ts';
import type { RejectionAnswer } from '../../pipeline/target.ts';
import type { WireError } from '../envelopes.ts';

/** By HTTP status; anything else by its class (4xx: INVALID_ARGUMENT, 5xx: INTERNAL). */
const BY_HTTP_STATUS: ReadonlyMap<number, GrpcStatus> = new Map([
  [400, GrpcStatus.INVALID_ARGUMENT],
  [401, GrpcStatus.UNAUTHENTICATED],
  [403, GrpcStatus.PERMISSION_DENIED],
  [404, GrpcStatus.NOT_FOUND],
  [409, GrpcStatus.ABORTED],
  [413, GrpcStatus.RESOURCE_EXHAUSTED],
  [429, GrpcStatus.RESOURCE_EXHAUSTED],
  [499, GrpcStatus.CANCELLED],
  [500, GrpcStatus.INTERNAL],
  [501, GrpcStatus.UNIMPLEMENTED],
  [502, GrpcStatus.UNAVAILABLE],
  [503, GrpcStatus.UNAVAILABLE],
  [504, GrpcStatus.DEADLINE_EXCEEDED],
]);

export function grpcCode(httpStatus: number): GrpcStatus {
  return BY_HTTP_STATUS.get(httpStatus) ?? (httpStatus < 500 ? GrpcStatus.INVALID_ARGUMENT : GrpcStatus.INTERNAL);
}

export const ERROR_CODE_TRAILER = 'x-sluice-error-code';
export const RETRY_AFTER_MS_TRAILER = 'retry-after-ms';
export const STATUS_DETAILS_TRAILER = 'grpc-status-details-bin';

/** The status a call ends with for `error`; `status` overrides the error's own (an upstream's 4xx keeps its own). */
export function errorStatus(error: WireError, status = error.status): StatusObject {
  const code = grpcCode(status);
  const details =
    error.field === undefined || error.message.includes(error.field)
      ? error.message
      : `${error.message} (field "${error.field}")`;
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, error.code);
  if (error.retryAfterMs !== undefined) metadata.set(RETRY_AFTER_MS_TRAILER, String(Math.ceil(error.retryAfterMs)));
  metadata.set(STATUS_DETAILS_TRAILER, statusDetails(code, details, error));
  return { code, details, metadata };
}

// google.rpc.Status and the error details sluice sends, from googleapis' google/rpc/status.proto
// and error_details.proto (only the fields used; field numbers as there).
const RPC_TYPES = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
            Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
          },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
            ErrorInfo: {
              fields: {
                reason: { type: 'string', id: 1 },
                domain: { type: 'string', id: 2 },
              },
            },
            RetryInfo: { fields: { retry_delay: { type: 'google.protobuf.Duration', id: 1 } } },
            BadRequest: {
              nested: {
                FieldViolation: {
                  fields: { field: { type: 'string', id: 1 }, description: { type: 'string', id: 2 } },
                },
              },
              fields: { field_violations: { rule: 'repeated', type: 'FieldViolation', id: 1 } },
            },
          },
        },
      },
    },
  },
});

const Status = RPC_TYPES.lookupType('google.rpc.Status');

function statusDetails(code: GrpcStatus, message: string, error: WireError): Buffer {
  const details = [packedDetail('ErrorInfo', { reason: error.code, domain: 'sluice' })];
  if (error.retryAfterMs !== undefined) {
    const ms = Math.ceil(error.retryAfterMs);
    details.push(
      packedDetail('RetryInfo', { retry_delay: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } }),
    );
  }
  if (error.field !== undefined && code === GrpcStatus.INVALID_ARGUMENT) {
    details.push(packedDetail('BadRequest', { field_violations: [{ field: error.field, description: message }] }));
  }
  return Buffer.from(Status.encode(Status.fromObject({ code, message, details })).finish());
}

/** A `google.protobuf.Any` holding one google.rpc detail message. */
function packedDetail(type: 'ErrorInfo' | 'RetryInfo' | 'BadRequest', value: object) {
  const message = RPC_TYPES.lookupType(`google.rpc.${type}`);
  return {
    type_url: `type.googleapis.com/google.rpc.${type}`,
    value: message.encode(message.fromObject(value)).finish(),
  };
}

/** The details a client finds in `grpc-status-details-bin` (tests, clients in Node). */
export function decodeStatusDetails(bytes: Buffer): {
  code: number;
  message: string;
  details: Array<{ type: string; value: Record<string, unknown> }>;
} {
  const decoded = Status.toObject(Status.decode(bytes), { longs: Number, defaults: true }) as {
    code: number;
    message: string;
    details: Array<{ type_url: string; value: Uint8Array }>;
  };
  const details = decoded.details.map(({ type_url, value }) => {
    const name = type_url.replace(/^type\.googleapis\.com\//, '');
    const type = RPC_TYPES.lookupType(name);
    return { type: name, value: type.toObject(type.decode(value), { longs: Number, defaults: true }) };
  });
  return { code: decoded.code, message: decoded.message, details };
}

/** A call that ends with a status of its own making (an upstream's refusal): its HTTP status is what the metrics count. */
export class CallFailure extends Error {
  constructor(
    readonly status: StatusObject,
    readonly httpStatus: number,
  ) {
    super(status.details);
    this.name = 'CallFailure';
  }
}

/** The model's server refused the request (4xx): its status, its message, its Retry-After, and sluice's code. */
export function rejectionFailure(answer: RejectionAnswer): CallFailure {
  const own = parseJsonObject(answer.text)?.error;
  const retryAfterMs = retryAfterMsOf(answer.retryAfter);
  const error: WireError = {
    code: answer.failure.code,
    status: answer.status,
    message: typeof own === 'string' ? own : answer.failure.message,
    field: answer.failure.field,
    retryAfterMs: retryAfterMs ?? answer.failure.retryAfterMs,
  };
  return new CallFailure(errorStatus(error), answer.status);
}

/** Retry-After in seconds or as an HTTP date. */
function retryAfterMsOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
