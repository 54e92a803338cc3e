/** Structured JSON logs (pino); every request line carries its request id as `reqId`. */
import { pino, type Logger } from 'pino';
import type { Config } from '../config/schema.ts';

export function createLogger(config: Readonly<Config>): Logger {
  return pino({ level: config.logging.level, base: { service: 'sluice' } });
}
