/**
 * A request's own priority and timeout, from headers (every protocol) or KServe v2
 * parameters. `parameters.timeout` is in microseconds and `parameters.priority` 0 means
 * "the default", as Triton's clients send them.
 */
import { SluiceError } from '../core/errors.ts';
import { positiveInteger, type RequestedLimits } from '../pipeline/admit.ts';

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
