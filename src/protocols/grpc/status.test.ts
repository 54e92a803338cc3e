import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError, type ErrorCode } from '../../core/errors.ts';
import { decodeStatusDetails, errorStatus, grpcCode } from './status.ts';

test('each HTTP status of the registry has its gRPC status code', () => {
  const table: Array<[number, status]> = [
    [400, status.INVALID_ARGUMENT],
    [401, status.UNAUTHENTICATED],
    [404, status.NOT_FOUND],
    [413, status.RESOURCE_EXHAUSTED],
    [415, status.INVALID_ARGUMENT],
    [429, status.RESOURCE_EXHAUSTED],
    [499, status.CANCELLED],
    [500, status.INTERNAL],
    [502, status.UNAVAILABLE],
    [503, status.UNAVAILABLE],
    [504, status.DEADLINE_EXCEEDED],
    [507, status.INTERNAL],
  ];
  for (const [http, grpc] of table) assert.equal(grpcCode(http), grpc, `HTTP ${http}`);
});

test('a 429 carries its wait in retry-after-ms and in google.rpc.RetryInfo, and its code in the trailers', () => {
  const error = new SluiceError('ERR_ADMISSION_QUEUE_FULL', 'full', { retryAfterMs: 1250.2 });
  const { code, details, metadata } = errorStatus(error);
  assert.equal(code, status.RESOURCE_EXHAUSTED);
  assert.equal(details, 'full');
  assert.deepEqual(metadata?.get('x-sluice-error-code'), ['ERR_ADMISSION_QUEUE_FULL']);
  assert.deepEqual(metadata?.get('retry-after-ms'), ['1251']);
  const decoded = decodeStatusDetails(metadata?.get('grpc-status-details-bin')[0] as Buffer);
  assert.deepEqual(decoded, {
    code: status.RESOURCE_EXHAUSTED,
    message: 'full',
    details: [
      { type: 'google.rpc.ErrorInfo', value: { reason: 'ERR_ADMISSION_QUEUE_FULL', domain: 'sluice' } },
      { type: 'google.rpc.RetryInfo', value: { retry_delay: { seconds: 1, nanos: 251_000_000 } } },
    ],
  });
});

test('a 400 names its field in the message and in a google.rpc.BadRequest field violation', () => {
  const codes: ErrorCode[] = ['ERR_TENSOR_SHAPE', 'ERR_REQUEST_PRIORITY'];
  for (const registryCode of codes) {
    const { code, details, metadata } = errorStatus(new SluiceError(registryCode, 'wrong', { field: 'image' }));
    assert.equal(code, status.INVALID_ARGUMENT);
    assert.equal(details, 'wrong (field "image")');
    const decoded = decodeStatusDetails(metadata?.get('grpc-status-details-bin')[0] as Buffer);
    assert.deepEqual(decoded.details[1], {
      type: 'google.rpc.BadRequest',
      value: { field_violations: [{ field: 'image', description: 'wrong (field "image")' }] },
    });
  }
});
