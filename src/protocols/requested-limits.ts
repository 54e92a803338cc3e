/**
 * A request's own priority and timeout, from headers (every protocol) or KServe v2
 * parameters. `parameters.timeout` is in microseconds and `parameters.priority` 0 means
 * "the default", as Triton's clients send them.
 */
import { SluiceError } from '../core/errors.ts';
import { positiveInteger } from '../pipeline/admit.ts';
import type { RequestedLimits } from '../pipeline/request.ts';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

export function limitsFromHeaders(headers: Headers): RequestedLimits {
  return {
    priority: positiveInteger(single(headers, 'x-priority'), 'x-priority', 'ERR_REQUEST_PRIORITY'),
    timeoutMs: positiveInteger(single(headers, 'x-request-timeout-ms'), 'x-request-timeout-ms', 'ERR_REQUEST_TIMEOUT'),
  };
}

export function limitsFromV2(
  headers: Headers,
  parameters: Readonly<Record<string, unknown>> | undefined,
): RequestedLimits {
  const fromHeaders = limitsFromHeaders(headers);
  const priority =
    parameters?.['priority'] === 0
      ? undefined
      : positiveInteger(parameters?.['priority'], 'parameters.priority', 'ERR_REQUEST_PRIORITY');
  const timeoutUs = positiveInteger(parameters?.['timeout'], 'parameters.timeout', 'ERR_REQUEST_TIMEOUT');
  const timeoutMs = timeoutUs === undefined ? undefined : Math.ceil(timeoutUs / 1000);
  return {
    priority: priority ?? fromHeaders.priority,
    // Both given: the stricter one holds.
    timeoutMs:
      timeoutMs === undefined || fromHeaders.timeoutMs === undefined
        ? (timeoutMs ?? fromHeaders.timeoutMs)
        : Math.min(timeoutMs, fromHeaders.timeoutMs),
  };
}

function single(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value))
    throw new SluiceError(
      name === 'x-priority' ? 'ERR_REQUEST_PRIORITY' : 'ERR_REQUEST_TIMEOUT',
      `header ${name} is given more than once`,
      { field: name },
    );
  return value;
}

/**
 * The version a request pins: the `x-sluice-model-version` header on every protocol, or
 * the KServe v2 path's `/versions/{v}`; both given, they must agree.
 */
export function pinnedVersion(headers: Headers, fromPath?: string): string | undefined {
  const value = headers['x-sluice-model-version'];
  if (Array.isArray(value)) {
    throw new SluiceError('ERR_REQUEST_INVALID', 'header x-sluice-model-version is given more than once', {
      field: 'x-sluice-model-version',
    });
  }
  if (value === undefined) return fromPath;
  if (value === '') {
    throw new SluiceError('ERR_REQUEST_INVALID', 'header x-sluice-model-version is empty', {
      field: 'x-sluice-model-version',
    });
  }
  if (fromPath !== undefined && fromPath !== value) {
    throw new SluiceError(
      'ERR_REQUEST_INVALID',
      `the path names version "${fromPath}" but header x-sluice-model-version names "${value}"`,
      { field: 'x-sluice-model-version' },
    );
  }
  return value;
}
