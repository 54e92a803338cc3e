/**
 * One rule for every transport: faults at error with their stack, load shed by design at
 * info with its code, a client's own mistakes at debug with their code and field only: their
 * messages echo what the client sent (a model name, a value), and inputs are never logged.
 */
import type { Logger } from 'pino';
import { isServerFault, isShedding, type SluiceError } from '../core/errors.ts';

export type FailureLog = Pick<Logger, 'error' | 'info' | 'debug'>;

export function logFailure(log: FailureLog, failure: SluiceError, cause: unknown = failure.cause ?? failure): void {
  if (isServerFault(failure.code, failure.status)) log.error({ err: cause, code: failure.code }, failure.message);
  else if (isShedding(failure.code, failure.status))
    log.info({ code: failure.code, status: failure.status }, failure.message);
  else log.debug({ code: failure.code, status: failure.status, field: failure.field }, 'refused: a client error');
}
