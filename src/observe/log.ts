/**
 * Structured JSON logs (pino); every request line carries its request id as `reqId`. With
 * `logging.redact` (the default), personal data in every line (message, fields, errors and
 * the input they echo) is replaced before it is written (src/observe/redact, docs/redaction.md).
 */
import { pino, stdSerializers, type DestinationStream, type LogFn, type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config/schema.ts';
import { redactText, redactValue } from './redact/redactor.ts';

export function createLogger(config: Readonly<Config>, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.logging.level,
    base: { service: 'sluice' },
    ...(config.logging.redact
      ? { hooks: { logMethod: redactingLogMethod }, serializers: { err: keepSerialized } }
      : {}),
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

function redactingLogMethod(this: Logger, args: Parameters<LogFn>, method: LogFn): void {
  const redacted = args.map((arg: unknown) =>
    typeof arg === 'string' ? redactText(arg) : redactValue(serialized(arg)),
  );
  method.apply(this, redacted as Parameters<LogFn>);
}

/** An error already serialized (and redacted) stays as it is. */
function keepSerialized(err: unknown): unknown {
  return err instanceof Error ? stdSerializers.err(err) : err;
}

/** An error keeps its type and fields in the line: serialized as pino would, then redacted. */
function serialized(arg: unknown): unknown {
  if (arg instanceof Error) return stdSerializers.err(arg);
  if (typeof arg !== 'object' || arg === null || !('err' in arg) || !(arg.err instanceof Error)) return arg;
  return { ...arg, err: stdSerializers.err(arg.err) };
}
